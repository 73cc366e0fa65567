import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The source layout the README promises: rooms by concern, nothing importing upward, no cycles.
const SRC = resolve(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Relative imports of a file (static, dynamic, re-exports, type-only alike), resolved to files. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
    const base = resolve(dirname(file), m[1]).replace(/\.js$/, "");
    const target = [`${base}.ts`, `${base}.tsx`].find((c) => existsSync(c));
    if (target) out.push(target);
  }
  return out;
}

/** The room a file lives in: `sim/<concern>` for the harness, `sim` for its top, else the first folder. */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts[0] === "sim") return parts.length > 2 ? `sim/${parts[1]}` : "sim";
  return parts.length > 1 ? parts[0] : "cli";
}

function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    const at = path.indexOf(node);
    if (at >= 0) return [...path.slice(at), node];
    if (done.has(node)) return null;
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(node);
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

const files = sourceFiles(SRC);
const fileEdges = new Map(files.map((f) => [f, new Set(importsOf(f))]));
const roomEdges = new Map<string, Set<string>>();
for (const [from, targets] of fileEdges) {
  for (const to of targets) {
    const a = roomOf(from);
    const b = roomOf(to);
    if (a === b) continue;
    if (!roomEdges.has(a)) roomEdges.set(a, new Set());
    roomEdges.get(a)!.add(b);
  }
}

describe("the source layout", () => {
  it("has no import cycle between files (type-only imports included)", () => {
    expect(findCycle(fileEdges)?.map((f) => relative(SRC, f)) ?? null).toBeNull();
  });

  it("has no import cycle between rooms", () => {
    expect(findCycle(roomEdges)).toBeNull();
  });

  it("imports nothing upward: services import neither sim nor tui, sim does not import tui, tui does not import commands", () => {
    const upward: string[] = [];
    for (const [from, targets] of fileEdges) {
      const a = relative(SRC, from).split("/")[0];
      for (const to of targets) {
        const b = relative(SRC, to).split("/")[0];
        const forbidden = (a === "services" && (b === "sim" || b === "tui" || b === "commands")) || (a === "sim" && (b === "tui" || b === "commands")) || (a === "tui" && b === "commands");
        if (forbidden) upward.push(`${relative(SRC, from)} -> ${relative(SRC, to)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("keeps the harness in rooms: at most 6 files at the top of src/sim", () => {
    const top = readdirSync(join(SRC, "sim")).filter((n) => /\.tsx?$/.test(n));
    expect(top.length).toBeLessThanOrEqual(6);
  });

  it("finds a cycle when there is one (the check itself works)", () => {
    const edges = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])]]);
    expect(findCycle(edges)).toEqual(["a", "b", "c", "a"]);
  });
});
