import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/** Profile a stretch of this process (what `node --cpu-prof` records, for one part of a run); writes `<dir>/<name>.cpuprofile`. */
export async function withCpuProfile<T>(dir: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 500 });
  await session.post("Profiler.start");
  try {
    return await fn();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of samples not idle (program + GC). */
  busyShare: number;
  topFunctions: ProfileLine[];
  /** Self time by package or by file of ours (`node:internal` and native code grouped). */
  byArea: ProfileLine[];
}

function area(url: string, fn: string): string {
  if (!url) return fn === "(garbage collector)" || fn === "(idle)" || fn === "(program)" ? fn : `(native) ${fn || "anonymous"}`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  const m = /\/(?:dist|src)\/(.+)$/.exec(url);
  return m ? m[1] : url;
}

/** Self time per function and per area from a .cpuprofile file: what the hot path spends its time on. */
export function summariseProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fnTotals = new Map<string, number>();
  const areaTotals = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    const where = area(url, functionName);
    const key = `${functionName || "(anonymous)"} ${url ? `${where}:${lineNumber + 1}` : ""}`.trim();
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    areaTotals.set(where, (areaTotals.get(where) ?? 0) + us);
  }
  const busy = Math.max(1, total - idle);
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), selfShare: Math.round((us / busy) * 1000) / 1000 }));
  return { file, totalMs: Math.round(total / 1000), busyShare: Math.round((busy / Math.max(1, total)) * 1000) / 1000, topFunctions: lines(fnTotals), byArea: lines(areaTotals) };
}

export function formatProfile(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const out = [`${s.file}: ${s.totalMs} ms sampled, ${pct(s.busyShare).trim()} busy`, "  by area (self time, share of busy):"];
  for (const l of s.byArea) out.push(`    ${pct(l.selfShare)}  ${l.name}`);
  out.push("  top functions:");
  for (const l of s.topFunctions) out.push(`    ${pct(l.selfShare)}  ${l.name}`);
  return out.join("\n");
}
