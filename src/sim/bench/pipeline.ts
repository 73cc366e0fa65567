import { getPriority, setPriority } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, errorMessage, PizzeriaError } from "../../services/shared/errors.js";
import type { RunReport, RunTick } from "../telemetry/run-events.js";
import { ScenarioRun } from "../run.js";
import { parseScenario, type Scenario } from "../scenario/scenario.js";
import type { BenchMode } from "./accept.js";
import { fmt } from "./accept.js";
import { withCpuProfile } from "./cpu-profile.js";
import { CpuTimeline, cpuSummary } from "./cpu.js";
import { loadAverage } from "./machine.js";
import { judgePhases, type PipelineStep, type RunOutcome } from "./pipeline-steps.js";

export type { PipelineStep } from "./pipeline-steps.js";
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
  /**
   * Deliveries the broker made to the system's durables (redeliveries included: their consumer
   * sequences, as last seen) per order accepted, over the whole run with its drain: what filtering
   * on the broker saves. Absent in results from before it was kept.
   */
  deliveriesPerOrder?: number | null;
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

/** A mode this machine cannot run (processes without a built CLI): the bench skips it with the reason. */
class ModeUnavailable extends PizzeriaError {}

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
  let delivered = 0;
  let phaseStart: { index: number; sent: number; late: number } | null = null;
  let stoppedInPhase: number | null = null;
  const limitS = o.p99LimitMs / 1000;
  run.on("start", () => cpu.sample(0));
  run.on("tick", (t: RunTick) => {
    // Through the drain, and its end (the "checking" tick): a step the load ended in has a sample after it.
    if (t.state === "running" || t.state === "draining" || t.state === "checking") cpu.sample(t.elapsedMs);
    delivered = Math.max(delivered, t.queues.reduce((n, q) => n + (q.delivered ?? 0), 0));
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
    return { report, scenario, runDir, cpu, loads, redelivered, delivered, stoppedInPhase, priorityRaised: restorePriority !== null };
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
    deliveriesPerOrder: out.delivered > 0 && r.orders.accepted > 0 ? Math.round((out.delivered / r.orders.accepted) * 100) / 100 : null,
  };
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
    o.progress.step(`${tag} staircase verdict ${out.report.verdict.valid ? "valid" : "INVALID"} (lost ${out.report.verdict.lost}, duplicated ${out.report.verdict.duplicated}, invalid ${out.report.verdict.invalid}), ${fmt(out.report.orders.accepted)} orders, drained in ${out.report.drain.ms} ms; ${result.staircase.deliveriesPerOrder ?? "-"} deliveries per order (the durables' consumer sequences)`);
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
