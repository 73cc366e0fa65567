import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import hdr from "hdr-histogram-js";
import { arrivalsFor } from "../load/arrivals.js";
import { describeCauses, emptyCauseCounts, ERROR_CAUSES } from "../load/error-causes.js";
import type { Scenario } from "../scenario/scenario.js";
import { summarise } from "../telemetry/metrics.js";
import type { LatencySummary, RunReport, SecondSample } from "../telemetry/run-events.js";
import { cpuPerOrder, type CpuShares, type CpuTimeline } from "./cpu.js";
import { loadAverage } from "./machine.js";

// A pipeline bench run judged step by step: which orders each step scheduled, when the timeline
// says each finished, and what the system cost meanwhile.

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
  /**
   * CPU per order (system + harness) over that of the raw JetStream topology paced at the same
   * rate in the same run (`baselines.jetstreamPaced`); absent when no paced baseline ran for the rate.
   */
  cpuRatioToRawJetStream?: number;
  loadAverage: [number, number, number];
}

export interface RunOutcome {
  report: RunReport;
  scenario: Scenario;
  runDir: string;
  cpu: CpuTimeline;
  loads: Map<number, [number, number, number]>;
  /** Redeliveries (summed over the durables) as last seen in each phase. */
  redelivered: Map<number, number>;
  /** The durables' deliveries, summed, at the last tick seen (the drain's included). */
  delivered: number;
  stoppedInPhase: number | null;
  priorityRaised: boolean;
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
    if (errors > 0) {
      const causes = emptyCauseCounts();
      for (const sec of seconds) for (const c of ERROR_CAUSES) causes[c.key] += sec.errorCauses?.[c.key] ?? 0;
      reasons.push(`${errors} requests failed (${describeCauses(causes)})`);
    }
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
      // The CPU of the seconds sampled when fewer than the step's (a stopped step: its load and drain), not of its nominal length.
      cpuMicrosPerOrder: cpuPerOrder(cpu, Math.min(phase.durationMs / 1000, out.cpu.sampledSeconds(from, to) ?? Infinity), finishedInWindow),
      loadAverage: out.loads.get(index) ?? loadAverage(),
    });
  }
  return steps;
}
