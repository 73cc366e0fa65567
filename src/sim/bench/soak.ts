import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { STREAMS } from "../../services/shared/contracts.js";
import { connectNats } from "../../services/shared/nats.js";
import { ScenarioRun } from "../run.js";
import type { RunReport, RunStart, RunTick } from "../telemetry/run-events.js";
import type { BenchMode } from "./accept.js";
import { childProcesses } from "./cpu.js";
import { loadAverage } from "./machine.js";
import { BENCH_ROSTER, benchScenario } from "./pipeline.js";
import type { Progress } from "./progress.js";
import { UP_RETENTION, type StreamRetention } from "../scenario/retention.js";

export interface SoakOptions {
  mode: BenchMode;
  minutes: number;
  /** Orders per second, paced (open model). */
  rate: number;
  /** Seconds between samples. */
  sampleSeconds: number;
  seed: number;
  workDir: string;
  logLevel: string;
  progress: Progress;
  /** The ORDERS stream's max age (default: `up`'s). */
  retentionAgeMs?: number;
}

/** One sample of the soak: every process's resident set, the orders finished so far, the broker's store. */
export interface SoakSample {
  /** Seconds since the load started. */
  atSeconds: number;
  /** Orders completed or cancelled so far. */
  finished: number;
  /** Resident set per process in MiB (`harness` is this process; in inprocess mode the services too). */
  rssMiB: Record<string, number>;
  /** The ORDERS stream as the broker holds it. */
  stream: { messages: number; bytes: number } | null;
  /** Size of the run directory (SQLite files, logs, the timeline) in MiB. */
  runDirMiB: number;
}

export interface SoakResult {
  mode: BenchMode;
  minutes: number;
  rate: number;
  /** The ORDERS stream's retention in the run (`up`'s default). */
  retention: StreamRetention;
  /** MALLOC_ARENA_MAX as the harness and its children had it (glibc's malloc arenas; null: glibc's default, 8 per core). */
  mallocArenaMax?: string | null;
  samples: SoakSample[];
  /**
   * Per process, from the sample at 1/6 of the run (minute 5 of 30) to the last one: RSS at
   * both ends, the change in percent and per 1,000 orders finished in between (KiB).
   */
  growth: Record<string, { fromMiB: number; toMiB: number; percent: number; kibPer1000Orders: number | null }>;
  /** The window of `growth`: seconds and orders finished. */
  window: { fromSeconds: number; toSeconds: number; orders: number };
  verdictValid: boolean;
  /** When the verdict is invalid: the count of each kind of finding and the first three of each (the run's report has up to 50). */
  findings?: Record<string, { count: number; first: string[] }>;
  orders: { accepted: number; finished: number };
  loadAverage: [number, number, number];
}

/** VmRSS of a process in MiB, or null when it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

function dirMiB(dir: string): number {
  let bytes = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          bytes += statSync(p).size;
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  walk(dir);
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** Growth of each process between the sample nearest `fromSeconds` and the last. */
export function soakGrowth(samples: readonly SoakSample[], fromSeconds: number): Pick<SoakResult, "growth" | "window"> {
  const last = samples[samples.length - 1];
  const first = samples.find((s) => s.atSeconds >= fromSeconds) ?? last;
  const orders = last.finished - first.finished;
  const growth: SoakResult["growth"] = {};
  for (const [name, to] of Object.entries(last.rssMiB)) {
    const from = first.rssMiB[name];
    if (from === undefined) continue;
    growth[name] = {
      fromMiB: from,
      toMiB: to,
      percent: Math.round(((to - from) / from) * 1000) / 10,
      kibPer1000Orders: orders > 0 ? Math.round(((to - from) * 1024 * 1000) / orders) : null,
    };
  }
  return { growth, window: { fromSeconds: first.atSeconds, toSeconds: last.atSeconds, orders } };
}

/**
 * Per process, the least-squares slope of RSS against orders finished over the samples from
 * `fromSeconds` on, in KiB per 1,000 orders: less at the mercy of where a garbage collection
 * happened to fall than two samples are (a Node process's RSS moves 10-20 MiB with its heap).
 */
export function soakSlopes(samples: readonly SoakSample[], fromSeconds: number): Record<string, number | null> {
  const window = samples.filter((x) => x.atSeconds >= fromSeconds);
  const out: Record<string, number | null> = {};
  const names = new Set(window.flatMap((x) => Object.keys(x.rssMiB)));
  for (const name of names) {
    const points = window.filter((x) => x.rssMiB[name] !== undefined).map((x) => [x.finished, x.rssMiB[name] * 1024] as const);
    const n = points.length;
    const mx = points.reduce((a, [x]) => a + x, 0) / n;
    const my = points.reduce((a, [, y]) => a + y, 0) / n;
    const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
    out[name] = n < 3 || sxx === 0 ? null : Math.round((points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx) * 1000);
  }
  return out;
}

/**
 * `pizzeria bench soak`: the default roster (processes or in-process) under a paced load for
 * `minutes`, sampling every process's RSS, the broker's ORDERS stream and the run directory's
 * size. What a long run costs in memory and disk: after the first sixth of the run (minute 5 of
 * 30) nothing should grow with the orders finished.
 */
export async function benchSoak(o: SoakOptions): Promise<SoakResult> {
  const scenario = benchScenario("soak", [{ durationSeconds: Math.round(o.minutes * 60), rate: o.rate }], { seed: o.seed, roster: BENCH_ROSTER, drainTimeoutSeconds: 60 });
  scenario.mode = o.mode;
  // A soak stands for a long `up`: the stream bounded as up bounds it, the services pruning past it.
  scenario.retention = { ...UP_RETENTION, ...(o.retentionAgeMs !== undefined ? { maxAgeMs: o.retentionAgeMs } : {}) };
  const run = new ScenarioRun({ scenario, runDir: join(o.workDir, `soak-${o.mode}`), logLevel: o.logLevel, mode: o.mode });
  const samples: SoakSample[] = [];
  let lastTick: RunTick | null = null;
  let start: RunStart | null = null;
  let sampling: Promise<void> | null = null;
  let nextAt = 0;
  const nc = { current: null as Awaited<ReturnType<typeof connectNats>> | null };
  run.on("start", (s) => (start = s));
  run.on("tick", (t) => {
    lastTick = t;
    if (t.state !== "running" || t.elapsedMs < nextAt || sampling) return;
    nextAt = t.elapsedMs + o.sampleSeconds * 1000;
    sampling = sample(t).finally(() => (sampling = null));
  });
  const sample = async (t: RunTick): Promise<void> => {
    const pids: Record<string, number> = { harness: process.pid, ...childProcesses() };
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) {
      if (name.startsWith("pid-") || name === "reaper") continue;
      const v = rssMiB(pid);
      if (v !== null) rss[name] = v;
    }
    let stream: SoakSample["stream"] = null;
    try {
      if (!nc.current && start) nc.current = await connectNats({ servers: start.broker.urls }, "soak-bench");
      if (nc.current) {
        const info = await (await jetstreamManager(nc.current)).streams.info(STREAMS.orders);
        stream = { messages: info.state.messages, bytes: info.state.bytes };
      }
    } catch {
      // the broker is busy: this sample goes without
    }
    const s: SoakSample = { atSeconds: Math.round(t.elapsedMs / 1000), finished: t.totals.stages.completed + t.totals.stages.cancelled, rssMiB: rss, stream, runDirMiB: start ? dirMiB(start.runDir) : 0 };
    samples.push(s);
    o.progress.step(`soak[${o.mode}] ${s.atSeconds} s, ${s.finished.toLocaleString("en-US")} orders: ${Object.entries(rss).map(([k, v]) => `${k} ${v}`).join(", ")} MiB${stream ? `; ORDERS ${stream.messages.toLocaleString("en-US")} msgs ${(stream.bytes / 1048576).toFixed(1)} MiB` : ""}; run dir ${s.runDirMiB} MiB`);
  };
  let report;
  try {
    report = await run.run();
  } finally {
    await nc.current?.close().catch(() => undefined);
  }
  if (samples.length === 0) throw new Error(`soak[${o.mode}]: the run ended before it was sampled`);
  const tick = lastTick as RunTick | null;
  return {
    mode: o.mode,
    minutes: o.minutes,
    rate: o.rate,
    retention: scenario.retention,
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
    samples,
    ...soakGrowth(samples, (o.minutes * 60) / 6),
    verdictValid: report.verdict.valid,
    ...(report.verdict.valid ? {} : { findings: findingsOf(report.verdict) }),
    orders: { accepted: tick?.totals.accepted ?? 0, finished: tick ? tick.totals.stages.completed + tick.totals.stages.cancelled : 0 },
    loadAverage: loadAverage(),
  };
}

/** What made a verdict invalid, in short. */
function findingsOf(verdict: RunReport["verdict"]): NonNullable<SoakResult["findings"]> {
  const out: NonNullable<SoakResult["findings"]> = {};
  for (const [kind, list] of Object.entries(verdict.findings)) {
    if (list.length === 0) continue;
    const count = (verdict as unknown as Record<string, unknown>)[kind];
    out[kind] = { count: typeof count === "number" ? count : list.length, first: list.slice(0, 3).map((f) => `${f.orderNumber ?? f.requestId ?? f.source ?? ""}: ${f.reason}`) };
  }
  if (!verdict.drained) out.drain = { count: 1, first: ["the system did not drain"] };
  return out;
}

/** `soak[processes] 10 min at 100/s: harness 120 -> 125 MiB (+4%, 1 KiB per 1,000 orders), ...` */
export function soakLine(r: SoakResult): string {
  const slopes = soakSlopes(r.samples, r.window.fromSeconds);
  const parts = Object.entries(r.growth).map(([k, g]) => `${k} ${g.fromMiB} -> ${g.toMiB} MiB (${g.percent >= 0 ? "+" : ""}${g.percent}%, ${g.kibPer1000Orders ?? "-"} KiB/1,000 orders; fitted ${slopes[k] ?? "-"})`);
  return `soak[${r.mode}] ${r.minutes} min at ${r.rate}/s, from ${r.window.fromSeconds} s to ${r.window.toSeconds} s (${r.window.orders.toLocaleString("en-US")} orders): ${parts.join(", ")}; verdict ${r.verdictValid ? "valid" : `INVALID: ${JSON.stringify(r.findings)}`}`;
}
