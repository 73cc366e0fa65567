import { createReadStream, existsSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";
import hdr from "hdr-histogram-js";
import { ConfigError, errorMessage } from "../../services/shared/errors.js";
import { arrivalsFor } from "../load/arrivals.js";
import { summarise } from "../telemetry/metrics.js";
import type { LatencySummary, RunReport, RunTick, SecondSample } from "../telemetry/run-events.js";
import { ScenarioRun } from "../run.js";
import { parseScenario, type Scenario } from "../scenario/scenario.js";
import type { BenchMode } from "./accept.js";
import { fmt } from "./accept.js";
import { withCpuProfile } from "./cpu-profile.js";
import { childProcesses, cpuPerOrder, cpuSummary, processCpuSeconds, type CpuShares } from "./cpu.js";
import { loadAverage } from "./machine.js";
import { distFile } from "./processes.js";
import { bar, type Progress } from "./progress.js";

export interface PipelineOptions {
  mode: BenchMode;
  /** Offered rates to step through, ascending; stepping stops at the first one not held. */
  rates: number[];
  stepSeconds: number;
  /** Load before the first step (ramping up to it), so the system is warm when measuring starts. */
  warmupSeconds: number;
  /** End-to-end p99 (scheduled time to OrderCompleted) above this: not held. */
  p99LimitMs: number;
  seed: number;
  workDir: string;
  logLevel: string;
  drainTimeoutSeconds: number;
  /** Services' settings for throughput (recorded with the result). */
  roster: BenchRoster;
  /** Profile the staircase (inprocess: this process; processes: every service, via NODE_OPTIONS). */
  profileDir?: string;
  progress: Progress;
}

export interface BenchRoster {
  orderMaxConcurrent: number;
  paymentConcurrency: number;
  paymentLatencyMs: number;
  paymentFailureRate: number;
  kitchenPrefetch: number;
}

export const BENCH_ROSTER: BenchRoster = { orderMaxConcurrent: 10_000, paymentConcurrency: 256, paymentLatencyMs: 20, paymentFailureRate: 0.05, kitchenPrefetch: 64 };

/** One step of the staircase (or the half-rate run): the orders scheduled in its window. */
export interface PipelineStep {
  rate: number;
  seconds: number;
  held: boolean;
  /** Why the step was not held (empty when held). */
  reasons: string[];
  sent: number;
  accepted: number;
  errors: number;
  /** Requests the load generator sent more than 25 ms after their time. */
  late: number;
  /** Orders of the window completed or cancelled (at any time, drain included). */
  finished: number;
  /** Orders finished per second within the window. */
  finishedPerSecond: number;
  /** Orders scheduled up to the end of the window and not finished by then (Little's law: about rate x latency while keeping up). */
  backlogAtEnd: number;
  /** Scheduled send time to OrderCompleted stored in the stream, for the window's completed orders. */
  endToEnd: LatencySummary;
  /** The worst per-second p99 of the order API's answers in the window. */
  acceptP99WorstSecondMs: number | null;
  /** Messages redelivered by the broker so far (all durable consumers, cumulative at the end of the step): a system falling behind its ack_wait. */
  redelivered: number | null;
  /** CPU time over wall time during the window: `self` is this process (the harness: load generator, stream tap; in inprocess mode the services too), then the broker and each service process. */
  cpu: CpuShares;
  /**
   * CPU microseconds per order finished in the window: `system` is the broker and every service
   * process summed, `harness` this process (processes mode; in inprocess mode the services are in
   * `harness` and `system` is the broker alone). What an order costs, whatever else the shared
   * machine was doing: the figure to compare across runs. Absent in results from before it was kept.
   */
  cpuMicrosPerOrder?: { system: number | null; harness: number | null };
  loadAverage: [number, number, number];
}

/** What the whole run (a staircase, or the half-rate run) ended with. */
export interface PipelineRunSummary {
  /** The checker's verdict over every order of the run. */
  verdictValid: boolean;
  lost: number;
  duplicated: number;
  invalid: number;
  drained: boolean;
  drainMs: number;
  orders: RunReport["orders"];
  deadLetters: number;
  /** Stopped early at the first step not held. */
  stoppedEarly: boolean;
}

export interface PipelineResult {
  mode: BenchMode;
  /** Set when this mode could not run (e.g. processes mode not available). */
  skipped?: string;
  settings: {
    stepSeconds: number;
    warmupSeconds: number;
    p99LimitMs: number;
    cookTimeMs: 0;
    roster: BenchRoster;
    logLevel: string;
    seed: number;
    /** Processes mode: whether the harness ran at a higher priority (nice -5) than the services. */
    harnessPriorityRaised: boolean;
  };
  staircase: (PipelineRunSummary & { steps: PipelineStep[] }) | null;
  /** The highest offered rate held, with the run's verdict valid. */
  maxHeldRate: number | null;
  /** A separate run at half of maxHeldRate (after its own warm-up): the latencies to quote. */
  atHalf: (PipelineRunSummary & { step: PipelineStep }) | null;
  /** The step at 1,000 orders/s, if one ran (the brief's latency target). */
  at1000: PipelineStep | null;
}

interface LoadPhase {
  durationSeconds: number;
  rate: number;
  rampTo?: number;
}

/** The scenario of a bench run: the default roster tuned for throughput, cooking time 0, the given phases. */
export function benchScenario(name: string, phases: LoadPhase[], o: Pick<PipelineOptions, "seed" | "roster" | "drainTimeoutSeconds">): Scenario {
  const r = o.roster;
  const load = phases.map((p) => `  - { duration: ${p.durationSeconds}s, rate: ${p.rate}${p.rampTo !== undefined ? `, rampTo: ${p.rampTo}` : ""} }`).join("\n");
  const yaml = `
name: ${name}
seed: ${o.seed}
cookTime: 0
heartbeatInterval: 1s
load:
${load}
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
  items: { min: 1, max: 4 }
  invalid: 0
services:
  order: { instances: 1, maxConcurrent: ${r.orderMaxConcurrent} }
  payment: { instances: 1, concurrency: ${r.paymentConcurrency}, latency: ${r.paymentLatencyMs}ms, failureRate: ${r.paymentFailureRate} }
  kitchen:
    - { name: chef_mario, types: [dine_in, takeout, delivery], prefetch: ${r.kitchenPrefetch} }
    - { name: chef_anna, types: [dine_in], prefetch: ${r.kitchenPrefetch} }
    - { name: chef_luigi, types: [takeout, delivery], prefetch: ${r.kitchenPrefetch} }
  tracking: { instances: 1 }
  notification: { instances: 2 }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: ${o.drainTimeoutSeconds}s
`;
  return parseScenario(yaml, `bench:${name}`);
}

/** When each order of a run was finished, from the run's timeline (every event the harness saw, with its load-clock time). */
interface OrderTimes {
  /** By request sequence number (1-based, the generator's `req-<seed>-<n>`). */
  finishedAt: Map<number, { atMs: number; completed: boolean }>;
}

async function readOrderTimes(timeline: string, seed: number): Promise<OrderTimes> {
  const seqOf = new Map<string, number>();
  const finishedAt = new Map<number, { atMs: number; completed: boolean }>();
  const prefix = `req-${seed}-`;
  const lines = createInterface({ input: createReadStream(timeline, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"type":"order_event"')) continue;
    let data: { atMs: number; event: { kind?: string; order_number?: string; data?: { request_id?: string } } | string };
    try {
      data = (JSON.parse(line) as { data: typeof data }).data;
    } catch {
      continue;
    }
    const e = data.event;
    if (typeof e !== "object" || !e.order_number) continue;
    if (e.kind === "placed") {
      const id = e.data?.request_id;
      if (id?.startsWith(prefix)) seqOf.set(e.order_number, Number(id.slice(prefix.length)));
    } else if (e.kind === "completed" || e.kind === "cancelled") {
      const seq = seqOf.get(e.order_number);
      if (seq !== undefined && !finishedAt.has(seq)) finishedAt.set(seq, { atMs: data.atMs, completed: e.kind === "completed" });
    }
  }
  return { finishedAt };
}

/** Cumulative CPU seconds of this process and its children, sampled on the load clock. */
class CpuTimeline {
  private readonly samples: Array<{ atMs: number; wall: number; cpu: Record<string, number | null> }> = [];
  private pids: Record<string, number> = {};

  sample(atMs: number): void {
    if (Object.keys(this.pids).length === 0) this.pids = childProcesses();
    const own = process.cpuUsage();
    const cpu: Record<string, number | null> = { self: (own.user + own.system) / 1e6 };
    for (const [name, pid] of Object.entries(this.pids)) cpu[name] = processCpuSeconds(pid);
    this.samples.push({ atMs, wall: performance.now() / 1000, cpu });
  }

  /** Shares over [fromMs, toMs) of the load clock, from the samples nearest inside the window. */
  shares(fromMs: number, toMs: number): CpuShares {
    const inside = this.samples.filter((s) => s.atMs >= fromMs - 500 && s.atMs <= toMs + 500);
    if (inside.length < 2) return {};
    const a = inside[0];
    const b = inside[inside.length - 1];
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
}

class ModeUnavailable extends Error {}

interface RunOutcome {
  report: RunReport;
  scenario: Scenario;
  runDir: string;
  cpu: CpuTimeline;
  loads: Map<number, [number, number, number]>;
  /** Redeliveries (summed over the durables) as last seen in each phase. */
  redelivered: Map<number, number>;
  stoppedInPhase: number | null;
  priorityRaised: boolean;
}

/**
 * One ScenarioRun with live watching: when a measured phase clearly falls behind (a backlog far
 * past what its rate and the latency limit allow, or the load generator itself sending late), the
 * load is stopped there and the run drains and checks as usual.
 */
async function runWatched(o: PipelineOptions, scenario: Scenario, label: string, firstMeasured: number): Promise<RunOutcome> {
  const runDir = join(o.workDir, `pipeline-${o.mode}-${label}`);
  const run = new ScenarioRun({ scenario, mode: o.mode, runDir, logLevel: o.logLevel });
  const tag = `pipeline[${o.mode}]`;
  const cpu = new CpuTimeline();
  const loads = new Map<number, [number, number, number]>();
  const redelivered = new Map<number, number>();
  let phaseStart: { index: number; sent: number; late: number } | null = null;
  let stoppedInPhase: number | null = null;
  const limitS = o.p99LimitMs / 1000;
  run.on("start", () => cpu.sample(0));
  run.on("tick", (t: RunTick) => {
    if (t.state === "running" || t.state === "draining") cpu.sample(t.elapsedMs);
    if (t.state !== "running" || t.phaseIndex < 0) return;
    redelivered.set(t.phaseIndex, t.queues.reduce((n, q) => n + q.redelivered, 0));
    const phase = scenario.load[t.phaseIndex];
    if (!phaseStart || phaseStart.index !== t.phaseIndex) {
      phaseStart = { index: t.phaseIndex, sent: t.totals.sent, late: t.totals.late };
      loads.set(t.phaseIndex, loadAverage());
    }
    const inPhase = t.elapsedMs - phase.startMs;
    o.progress.status(`${tag} ${label} ${fmt(phase.rampTo)}/s ${bar(inPhase / phase.durationMs)} sent ${fmt(t.totals.sent)} in flight ${fmt(t.totals.inFlight)} e2e p99 ${t.latency.endToEnd.count ? `${t.latency.endToEnd.p99} ms` : "-"}`);
    if (t.phaseIndex < firstMeasured || inPhase < 3_000 || stoppedInPhase !== null) return;
    const sent = t.totals.sent - phaseStart.sent;
    const late = t.totals.late - phaseStart.late;
    // Far past the final judgement's bounds: no point offering more.
    if (t.totals.inFlight > 2 * (phase.rampTo * limitS + 50) || late > 0.1 * Math.max(1, sent)) {
      stoppedInPhase = t.phaseIndex;
      o.progress.step(`${tag} ${fmt(phase.rampTo)}/s: falling behind (${fmt(t.totals.inFlight)} in flight, ${fmt(late)} of ${fmt(sent)} sent late); stopping the load and draining`);
      run.finish();
    }
  });
  const restoreEnv = process.env.NODE_OPTIONS;
  let restorePriority: (() => void) | null = null;
  // After the services are up (children inherit the niceness they are started with).
  if (o.mode === "processes") run.on("start", () => (restorePriority = raisePriority()));
  try {
    if (o.profileDir && o.mode === "processes") {
      // Each service process profiles itself and writes its profile when it exits (--cpu-prof is not allowed in NODE_OPTIONS).
      process.env.NODE_OPTIONS = `${restoreEnv ?? ""} --import=${pathToFileURL(distFile("sim/bench/cpu-prof-preload.js")).href}`.trim();
      process.env.BENCH_CPU_PROF_DIR = join(o.profileDir, `pipeline-processes-${label}`);
    }
    const report = await withCpuProfile(o.profileDir && o.mode === "inprocess" ? o.profileDir : undefined, `pipeline-inprocess-${label}`, () => run.run());
    return { report, scenario, runDir, cpu, loads, redelivered, stoppedInPhase, priorityRaised: restorePriority !== null };
  } catch (err) {
    if (err instanceof ConfigError && /not available|processes/i.test(errorMessage(err))) throw new ModeUnavailable(errorMessage(err));
    throw err;
  } finally {
    if (restoreEnv === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = restoreEnv;
    delete process.env.BENCH_CPU_PROF_DIR;
    (restorePriority as (() => void) | null)?.();
    o.progress.done();
  }
}

function summary(out: RunOutcome): PipelineRunSummary {
  const r = out.report;
  return {
    verdictValid: r.verdict.valid,
    lost: r.verdict.lost,
    duplicated: r.verdict.duplicated,
    invalid: r.verdict.invalid,
    drained: r.drain.drained,
    drainMs: r.drain.ms,
    orders: r.orders,
    deadLetters: r.deadLetters,
    stoppedEarly: out.stoppedInPhase !== null,
  };
}

/** Judge phase `index` of a finished run from its timeline and per-second figures. */
export async function judgePhases(out: RunOutcome, indices: number[], p99LimitMs: number): Promise<PipelineStep[]> {
  const { report, scenario } = out;
  const timeline = join(out.runDir, "timeline.ndjson");
  const times = existsSync(timeline) ? await readOrderTimes(timeline, scenario.seed) : { finishedAt: new Map() };
  const offsets = [...arrivalsFor(scenario)];
  const perSecond = report.throughput.perSecond;
  const steps: PipelineStep[] = [];
  for (const index of indices) {
    const phase = scenario.load[index];
    const from = phase.startMs;
    const to = phase.startMs + phase.durationMs;
    const rate = phase.rampTo;
    const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
    let finished = 0;
    let finishedInWindow = 0;
    let backlog = 0;
    for (let i = 0; i < offsets.length; i++) {
      const at = offsets[i];
      const f = times.finishedAt.get(i + 1);
      if (at < to && (!f || f.atMs > to) && i < report.orders.sent) backlog++;
      if (at < from || at >= to) continue;
      if (!f) continue;
      finished++;
      if (f.atMs < to) finishedInWindow++;
      if (f.completed) hist.recordValue(Math.max(1, Math.round((f.atMs - at) * 1000)));
    }
    // Orders of earlier windows still open at `from` are not this window's backlog... but they are
    // the system's: keep them (a growing queue carries over).
    const seconds = perSecond.filter((s: SecondSample) => s.t * 1000 >= from && s.t * 1000 < to);
    const sum = (k: keyof SecondSample) => seconds.reduce((n, s) => n + ((s[k] as number | null) ?? 0), 0);
    const acceptP99s = seconds.map((s) => s.acceptP99).filter((x): x is number => x !== null);
    const e2e = summarise(hist);
    const cpu = out.cpu.shares(from, to);
    const sent = sum("sent");
    const late = sum("late");
    const errors = sum("errors");
    const reasons: string[] = [];
    if (!report.verdict.valid) reasons.push(`verdict invalid (lost ${report.verdict.lost}, duplicated ${report.verdict.duplicated}, invalid ${report.verdict.invalid})`);
    if (out.stoppedInPhase !== null && out.stoppedInPhase <= index) reasons.push("the load was stopped in this step: the system fell behind");
    if (errors > 0) reasons.push(`${errors} requests failed (5xx or no answer)`);
    // A late request's latency still counts from its scheduled time; many late ones mean the rate was not really offered.
    if (late > 0.05 * Math.max(1, sent)) reasons.push(`${late} of ${sent} requests sent late: the load generator could not keep the schedule`);
    if (e2e.count === 0) reasons.push("no order completed");
    else if (e2e.p99 > p99LimitMs) reasons.push(`end-to-end p99 ${e2e.p99} ms > ${p99LimitMs} ms`);
    if (backlog > rate * (p99LimitMs / 1000) + 10) reasons.push(`backlog of ${backlog} orders at the end of the step (growing)`);
    steps.push({
      rate,
      seconds: phase.durationMs / 1000,
      held: reasons.length === 0,
      reasons,
      sent,
      accepted: sum("accepted"),
      errors,
      late,
      finished,
      finishedPerSecond: Math.round(finishedInWindow / Math.max(0.001, phase.durationMs / 1000)),
      backlogAtEnd: backlog,
      endToEnd: e2e,
      acceptP99WorstSecondMs: acceptP99s.length ? Math.max(...acceptP99s) : null,
      redelivered: out.redelivered.get(index) ?? null,
      cpu,
      cpuMicrosPerOrder: cpuPerOrder(cpu, phase.durationMs / 1000, finishedInWindow),
      loadAverage: out.loads.get(index) ?? loadAverage(),
    });
  }
  return steps;
}

function stepLine(mode: BenchMode, s: PipelineStep, label = ""): string {
  const e = s.endToEnd;
  return `pipeline[${mode}] ${fmt(s.rate).padStart(6)}/s x ${s.seconds}s ${label}${s.held ? "held    " : "NOT held"}  finished ${fmt(s.finishedPerSecond)}/s  e2e p50 ${e.p50} ms p99 ${e.p99} ms  backlog ${fmt(s.backlogAtEnd)}  redelivered ${s.redelivered ?? "-"}  cpu ${cpuSummary(s.cpu)}${s.cpuMicrosPerOrder?.system ? ` = ${fmt(s.cpuMicrosPerOrder.system)} us per order (+ harness ${fmt(s.cpuMicrosPerOrder.harness ?? 0)})` : ""}  (load ${s.loadAverage.join(" ")})${s.held ? "" : `: ${s.reasons.join("; ")}`}`;
}

/**
 * The whole pipeline under a sustained open-model rate, cooking time 0. One run climbs a staircase
 * (a warm-up ramp, then each rate for `stepSeconds`), stopping at the first step the system clearly
 * cannot keep; each step is judged from the orders scheduled in it (end-to-end p99 within the
 * limit, no growing backlog, no errors, the load generator on time) and the run's checker verdict.
 * Then a separate run at half the highest rate held gives the latencies to quote.
 */
export async function benchPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const rates = [...new Set(o.rates)].sort((a, b) => a - b);
  const result: PipelineResult = {
    mode: o.mode,
    settings: { stepSeconds: o.stepSeconds, warmupSeconds: o.warmupSeconds, p99LimitMs: o.p99LimitMs, cookTimeMs: 0, roster: o.roster, logLevel: o.logLevel, seed: o.seed, harnessPriorityRaised: false },
    staircase: null,
    maxHeldRate: null,
    atHalf: null,
    at1000: null,
  };
  const tag = `pipeline[${o.mode}]`;
  try {
    const warm: LoadPhase[] = o.warmupSeconds > 0 ? [{ durationSeconds: o.warmupSeconds, rate: Math.max(1, Math.round(rates[0] / 10)), rampTo: rates[0] }] : [];
    const scenario = benchScenario("bench-pipeline-staircase", [...warm, ...rates.map((rate) => ({ durationSeconds: o.stepSeconds, rate }))], o);
    o.progress.step(`${tag} staircase ${rates.map(fmt).join(", ")} orders/s, ${o.stepSeconds} s each after a ${o.warmupSeconds} s warm-up`);
    const out = await runWatched(o, scenario, "staircase", warm.length);
    const ran = scenario.load.map((_, i) => i).filter((i) => i >= warm.length && (out.stoppedInPhase === null || i <= out.stoppedInPhase));
    const steps = await judgePhases(out, ran, o.p99LimitMs);
    result.settings.harnessPriorityRaised = out.priorityRaised;
    result.staircase = { ...summary(out), steps };
    for (const s of steps) o.progress.step(stepLine(o.mode, s));
    o.progress.step(`${tag} staircase verdict ${out.report.verdict.valid ? "valid" : "INVALID"} (lost ${out.report.verdict.lost}, duplicated ${out.report.verdict.duplicated}, invalid ${out.report.verdict.invalid}), ${fmt(out.report.orders.accepted)} orders, drained in ${out.report.drain.ms} ms`);
    // The highest rate of an unbroken run of held steps from the bottom.
    for (const s of steps) {
      if (!s.held) break;
      result.maxHeldRate = s.rate;
    }
    result.at1000 = steps.find((s) => s.rate === 1000) ?? null;

    if (result.maxHeldRate !== null) {
      const half = Math.max(1, Math.round(result.maxHeldRate / 2));
      const halfScenario = benchScenario(`bench-pipeline-half-${half}`, [...(o.warmupSeconds > 0 ? [{ durationSeconds: o.warmupSeconds, rate: Math.max(1, Math.round(half / 10)), rampTo: half }] : []), { durationSeconds: o.stepSeconds, rate: half }], o);
      const halfOut = await runWatched({ ...o, profileDir: undefined }, halfScenario, `half-${half}`, halfScenario.load.length - 1);
      const [step] = await judgePhases(halfOut, [halfScenario.load.length - 1], o.p99LimitMs);
      result.atHalf = { ...summary(halfOut), step };
      o.progress.step(stepLine(o.mode, step, "(half) "));
    }
  } catch (err) {
    if (!(err instanceof ModeUnavailable)) throw err;
    result.skipped = err.message;
    o.progress.step(`${tag} skipped: ${err.message}`);
  }
  return result;
}

/**
 * Processes mode: once the services are up, the harness (load generator, stream tap) runs at a
 * higher priority than they do, when the system allows it (root), as a load generator on its own
 * machine would: on two shared cores the eight service processes otherwise starve it and it sends
 * late. Returns how to undo it, or null when not permitted.
 */
function raisePriority(): (() => void) | null {
  try {
    const before = getPriority();
    setPriority(before - 5); // throws EACCES without the right
    return () => {
      try {
        setPriority(before);
      } catch {
        // keep it
      }
    };
  } catch {
    return null;
  }
}
