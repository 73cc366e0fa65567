/**
 * The reading half of the scenario loader: typed getters over the parsed YAML that stop at the
 * first bad value with a `ScenarioError` naming the file, the key path, what was expected and
 * what was found. The chaos-step grammar that reads with them is in chaos-steps.ts.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import { ConfigError } from "../../services/shared/errors.js";
import { printable, quoted } from "../../services/shared/printable.js";
import { formatDuration, parseDuration } from "./duration.js";

export type PathSeg = string | number;

export interface ScenarioErrorInit {
  file: string;
  path: string;
  expected: string;
  found: string;
  line?: number;
  column?: number;
}

/** A scenario file that cannot run; a ConfigError, so the CLI exits with code 2. */
export class ScenarioError extends ConfigError {
  readonly file: string;
  /** Key path such as `load[1].rampTo`; `(syntax)` for YAML errors, `(file)` when unreadable, `(root)` for the document itself. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  /** 1-based position of the offending node when known. */
  readonly line?: number;
  readonly column?: number;

  constructor(init: ScenarioErrorInit, options?: { cause?: unknown }) {
    // The message is one line whatever the file holds: what came from it is shown escaped.
    const [path, expected, found] = [printable(init.path), printable(init.expected), printable(init.found)];
    super(`${printable(init.file)}: ${path}: expected ${expected}, found ${found}`, options);
    this.file = init.file;
    this.path = path;
    this.expected = expected;
    this.found = found;
    this.line = init.line;
    this.column = init.column;
  }
}

/** A key as it reads in a path: as it is when plain, else quoted and escaped (`"a\nb"`, `"a.b"`, `""`), so a path cannot be spoofed. */
export function renderKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : quoted(key);
}

export function renderPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? renderKey(seg) : `.${renderKey(seg)}`;
  return out === "" ? "(root)" : out;
}

/** A YAML mapping; not a list, nor what a tag such as !!timestamp, !!set or !!omap makes (a Date, Set, Map). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const TAGGED: Array<[new (...args: never[]) => object, string]> = [[Date, "a !!timestamp"], [Set, "a !!set"], [Map, "a !!omap or !!pairs"], [Uint8Array, "!!binary data"]];

/** JSON-ish rendering of a found value, short enough for one line and escaped; `nothing` when missing. */
export function renderFound(value: unknown): string {
  if (value === undefined) return "nothing";
  const tagged = TAGGED.find(([type]) => value instanceof type);
  if (tagged) return tagged[1];
  let text: string;
  try {
    text = typeof value === "number" && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    // An alias can make a value refer to itself, or nest it past what JSON.stringify can recurse
    // through; String() would not help (it throws for a mapping with a `toString` key).
    text = `${Array.isArray(value) ? "a list" : "a mapping"} that refers to itself or is nested too deeply to show`;
  }
  return printable(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** min is excluded: "above min". */
  above?: boolean;
}

function rangeText(kind: string, r: NumberRange): string {
  if (r.min !== undefined && r.max !== undefined && !r.above) return `${kind} from ${r.min} to ${r.max}`;
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(r.above ? `above ${r.min}` : `>= ${r.min}`);
  if (r.max !== undefined) parts.push(`at most ${r.max}`);
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

function inRange(n: number, r: NumberRange): boolean {
  if (r.min !== undefined && (r.above ? !(n > r.min) : !(n >= r.min))) return false;
  if (r.max !== undefined && !(n <= r.max)) return false;
  return true;
}

export const DURATION_HINT = "a duration such as 500ms, 10s or 2m";

/** Null (a key written with no value) counts as absent for optional keys. */
export const given = (v: unknown): boolean => v !== undefined && v !== null;

export class Reader {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  /** Where a path points in the source: the key itself when `atKey`, else its value. */
  private locate(path: readonly PathSeg[], atKey: boolean): { line?: number; column?: number } {
    if (!this.doc || !this.lines) return {};
    // A missing key points at the nearest mapping that should hold it.
    let node: unknown = this.doc.contents;
    let keyNode: unknown = null;
    for (const seg of path) {
      keyNode = null;
      let child: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
        keyNode = pair?.key ?? null;
        child = pair?.value;
      } else if (isSeq(node) && typeof seg === "number") {
        child = node.items[seg];
      }
      if (child === undefined || child === null) {
        if (keyNode) node = keyNode;
        break;
      }
      node = child;
    }
    const target = (atKey && keyNode ? keyNode : node) as Node | null;
    const offset = target?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  fail(path: readonly PathSeg[], expected: string, value: unknown, found?: string, atKey = false): never {
    throw new ScenarioError({ file: this.file, path: renderPath(path), expected, found: found ?? renderFound(value), ...this.locate(path, atKey) });
  }

  /** A mapping whose keys are all in `allowed` (the first stranger, in file order, is the error). */
  mapping(value: unknown, path: readonly PathSeg[], allowed: readonly string[], what = "a mapping"): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(path, `${what} with keys ${allowed.join(", ")}`, value);
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail([...path, key], `one of the keys ${allowed.join(", ")}`, obj[key], `unknown key ${quoted(key)}`, true);
    }
    return obj;
  }

  list(value: unknown, path: readonly PathSeg[], r: { min?: number; max?: number; of: string }): unknown[] {
    const what = r.min && r.max ? `a list of ${r.min} to ${r.max} ${r.of}` : r.min ? `a list of at least ${r.min} ${r.of}` : `a list of ${r.of}`;
    if (!Array.isArray(value)) this.fail(path, what, value);
    if ((r.min !== undefined && value.length < r.min) || (r.max !== undefined && value.length > r.max)) this.fail(path, what, value);
    return value;
  }

  required(value: unknown, path: readonly PathSeg[], expected: string): void {
    if (value === undefined) this.fail(path, expected, undefined);
  }

  string(value: unknown, path: readonly PathSeg[], expected = "a string", pattern?: RegExp): string {
    if (typeof value !== "string" || (pattern && !pattern.test(value))) this.fail(path, expected, value);
    return value;
  }

  boolean(value: unknown, path: readonly PathSeg[]): boolean {
    if (typeof value !== "boolean") this.fail(path, "true or false", value);
    return value as boolean;
  }

  number(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    if (typeof value !== "number" || !Number.isFinite(value) || !inRange(value, r)) this.fail(path, rangeText("a number", r), value);
    return value;
  }

  integer(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || !inRange(value, r)) this.fail(path, rangeText("an integer", r), value);
    return value;
  }

  /** A duration in ms: `250ms`, `5s`, `1.5m` or a bare number of milliseconds. */
  duration(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    const ms = typeof value === "boolean" ? null : parseDuration(value, "ms");
    if (ms === null) this.fail(path, DURATION_HINT, value);
    if (!inRange(ms, r)) {
      const parts: string[] = [];
      if (r.min !== undefined) parts.push(r.above ? `above ${formatDuration(r.min)}` : `of at least ${formatDuration(r.min)}`);
      if (r.max !== undefined) parts.push(`${parts.length ? "" : "of "}at most ${formatDuration(r.max)}`);
      this.fail(path, `a duration ${parts.join(" and ")}`, value);
    }
    return ms;
  }

  oneOf<T extends string>(value: unknown, path: readonly PathSeg[], choices: readonly T[]): T {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) this.fail(path, `one of ${choices.join(", ")}`, value);
    return value as T;
  }
}
