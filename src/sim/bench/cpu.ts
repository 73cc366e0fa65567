import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; null where /proc is not available. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces: fields start after the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface CpuShares {
  /** CPU time over wall time, per process (1 = one core busy the whole time). */
  [process: string]: number | null;
}

/**
 * Start measuring the CPU used by some processes (by pid; "self" is this process); `stop()` gives
 * each one's CPU seconds over the wall seconds in between. On a shared 2-core machine this is how
 * the cost of a request is told apart from the cost of the load generator beside it.
 */
export function measureCpu(pids: Record<string, number | undefined>): { stop(): CpuShares } {
  const startWall = performance.now();
  const selfStart = process.cpuUsage();
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid === undefined ? null : processCpuSeconds(pid)]));
  return {
    stop() {
      const wall = (performance.now() - startWall) / 1000;
      const out: CpuShares = {};
      const self = process.cpuUsage(selfStart);
      out.self = round((self.user + self.system) / 1e6 / wall);
      for (const [k, pid] of Object.entries(pids)) {
        const before = start[k];
        const after = pid === undefined ? null : processCpuSeconds(pid);
        out[k] = before === null || after === null ? null : round((after - before) / wall);
      }
      return out;
    },
  };
}

// Four places: an idle process uses a few tenths of a percent of a core.
const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** A CPU share (CPU seconds over wall seconds) held for `seconds`, as whole microseconds per one of `count` items; null without items. */
export function cpuMicrosPer(share: number, seconds: number, count: number): number | null {
  return count > 0 ? Math.round((share * seconds * 1e6) / count) : null;
}

/** This process's children (the broker, service processes) by a readable name, with their pids. */
export function childProcesses(parent = process.pid): Record<string, number> {
  const out: Record<string, number> = {};
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const d of entries) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== parent) continue;
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      out[nameOf(argv) ?? `pid-${d}`] = Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function nameOf(argv: string[]): string | null {
  if (argv.some((a) => a.endsWith("nats-server"))) return "nats-server";
  if (argv[1] === "-e") return "reaper"; // the harness's watcher that kills children if it dies
  const i = argv.indexOf("service");
  if (i < 0 || !argv[i + 1]) return null;
  const service = argv[i + 1];
  const flag = (f: string) => {
    const j = argv.indexOf(f);
    return j >= 0 ? argv[j + 1] : undefined;
  };
  return `${service}/${flag("--instance") ?? flag("--name") ?? service}`;
}

/** CPU shares over `seconds` as microseconds per order finished (see PipelineStep.cpuMicrosPerOrder): `system` the other processes, `harness` this one. */
export function cpuPerOrder(cpu: CpuShares, seconds: number, orders: number): { system: number | null; harness: number | null } {
  const others = Object.entries(cpu).filter(([k, v]) => k !== "self" && !k.startsWith("pid-") && v !== null) as Array<[string, number]>;
  return {
    system: others.length > 0 ? cpuMicrosPer(others.reduce((a, [, v]) => a + v, 0), seconds, orders) : null,
    harness: cpu.self === null || cpu.self === undefined ? null : cpuMicrosPer(cpu.self, seconds, orders),
  };
}

/** `harness 80%, nats-server 45%, order 30%, ...` (the processes of one service summed). */
export function cpuSummary(cpu: CpuShares): string {
  const groups = new Map<string, number>();
  for (const [k, v] of Object.entries(cpu)) {
    if (v === null || k.startsWith("pid-")) continue;
    const key = k === "self" ? "harness" : k.split("/")[0];
    groups.set(key, (groups.get(key) ?? 0) + v);
  }
  return [...groups.entries()].map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ") || "-";
}

/** Cumulative CPU seconds of this process and its children, sampled on the load clock. */
export class CpuTimeline {
  private readonly samples: Sample[] = [];
  private pids: Record<string, number> = {};

  sample(atMs: number): void {
    if (Object.keys(this.pids).length === 0) this.pids = childProcesses();
    const own = process.cpuUsage();
    const cpu: Record<string, number | null> = { self: (own.user + own.system) / 1e6 };
    for (const [name, pid] of Object.entries(this.pids)) cpu[name] = processCpuSeconds(pid);
    this.samples.push({ atMs, wall: performance.now() / 1000, cpu });
  }

  /**
   * The wall seconds between the samples `shares(fromMs, toMs)` is taken from (null without two).
   * Shorter than the window when the run stopped sampling inside it (a step whose load was stopped
   * and drained): a share times the window's length would count CPU for time nobody measured.
   */
  sampledSeconds(fromMs: number, toMs: number): number | null {
    const pair = this.around(fromMs, toMs);
    return pair ? pair[1].wall - pair[0].wall : null;
  }

  /** Shares over [fromMs, toMs) of the load clock, from the samples nearest inside the window. */
  shares(fromMs: number, toMs: number): CpuShares {
    const pair = this.around(fromMs, toMs);
    if (!pair) return {};
    const [a, b] = pair;
    const wall = b.wall - a.wall;
    const out: CpuShares = {};
    for (const k of Object.keys(b.cpu)) {
      const x = a.cpu[k];
      const y = b.cpu[k];
      if (x === null || y === null || x === undefined || y === undefined || wall <= 0) continue;
      const share = Math.round(((y - x) / wall) * 1000) / 1000;
      if (share > 0.005 || k === "self") out[k] = share;
    }
    return out;
  }

  /**
   * The first and last samples within half a second of the window; when fewer than two are (the
   * samples come with the run's ticks, which a loaded machine delays: a short step can hold one),
   * the nearest ones around it, so that the share is of a little more time rather than none.
   */
  private around(fromMs: number, toMs: number): [Sample, Sample] | null {
    const inside = this.samples.filter((s) => s.atMs >= fromMs - 500 && s.atMs <= toMs + 500);
    if (inside.length >= 2) return [inside[0], inside[inside.length - 1]];
    const before = this.samples.findLast((s) => s.atMs <= fromMs) ?? inside[0];
    const after = this.samples.find((s) => s.atMs >= toMs) ?? inside[0];
    return before && after && before !== after ? [before, after] : null;
  }
}

interface Sample {
  atMs: number;
  wall: number;
  cpu: Record<string, number | null>;
}
