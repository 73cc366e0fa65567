import { limitOf, THRESHOLDS } from "../scenario/thresholds.js";
import { recoveryOf } from "../telemetry/recovery.js";
import type { RunRecord } from "../telemetry/run-record.js";
import type { BrokerDescription, FaultRecord, RecoveryFigures, RollingLatency, RunMode, RunReport, RunTick, SecondSample, ServiceView, WorkerView } from "../telemetry/run-events.js";
import { perSecondOf } from "./page-data.js";

/** Why an unfinished run has no verdict (in its report.json and in `pizzeria report`'s output). */
export const NOT_JUDGED_REASON =
  "the run ended without its report (crashed or killed): the checker's verdict needs the services' own accounts (read models, ledger, printed lines), which only a finished run collects; these figures are what the timeline's ticks saw";

/** A fault's recovery as the ticks tell it: the orders it touched and the checker's findings among them are unknown. */
export type UnfinishedRecovery = Omit<RecoveryFigures, "touchedOrders" | "findings"> & { touchedOrders: null; findings: null };

/**
 * report.json of a run that crashed or was killed (Gatling's `-ro`), rebuilt by `pizzeria report`
 * from its timeline: what the ticks counted, not judged. Not a RunReport: it has no verdict, no
 * whole-run latency summaries, no drain; `finished: false` tells it apart.
 */
export interface UnfinishedRunReport {
  finished: false;
  scenario: string;
  seed: number | null;
  runDir: string | null;
  mode: RunMode | null;
  broker: BrokerDescription | null;
  startedAt: string | null;
  /** Load start to the last tick the timeline holds. */
  lastTickAtMs: number;
  ticks: number;
  verdict: { valid: null; reason: string };
  passed: null;
  exitCode: null;
  /** The last tick's totals (requests since the start, orders by stage, orders in flight). */
  orders: { planned: number | null; sent: number; accepted: number; rejected: number; errors: number; late: number; completed: number; cancelled: number; inFlight: number };
  /** Rates over the load seconds up to the last tick; `perSecond`: each complete second as the ticks saw it (its latency percentiles included). */
  throughput: { acceptedPerSecond: number; completedPerSecond: number; perSecond: SecondSample[] };
  /** Over the last tick's rolling window (10 s): the whole run's percentiles need its histograms, which die with it. */
  lastWindowLatency: RollingLatency | null;
  workers: WorkerView[];
  services: ServiceView[];
  faults: Array<Omit<FaultRecord, "recovery"> & { recovery?: UnfinishedRecovery }>;
  deadLetters: number;
  /** The scenario's thresholds: not judged (no figure, no pass). */
  thresholds: Array<{ name: string; limit: number; actual: null; passed: null }>;
}

/** A report.json as `compare` reads it: a finished run's, or an unfinished one's. */
export type AnyRunReport = RunReport | UnfinishedRunReport;

export const isUnfinished = (r: AnyRunReport): r is UnfinishedRunReport => (r as { finished?: unknown }).finished === false;

/** The last whole tick line of a timeline (a line cut short by a kill is skipped). */
export function lastTickOf(timeline: string): RunTick | null {
  const lines = timeline.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].includes('"tick"')) continue;
    try {
      const parsed = JSON.parse(lines[i]) as { type?: string; data?: RunTick };
      if (parsed.type === "tick" && parsed.data) return parsed.data;
    } catch {
      // cut short
    }
  }
  return null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The unfinished run's report from its record and its last tick. */
export function unfinishedReport(record: RunRecord, last: RunTick | null): UnfinishedRunReport {
  const s = record.start;
  const series = perSecondOf(record);
  const t = last?.totals;
  const loadSeconds = Math.max(1, (last?.elapsedMs ?? 0) / 1000);
  const backlog = record.ticks.map((k) => ({ atMs: k.atMs, inFlight: k.inFlight }));
  const none = { lost: [], duplicated: [], invalid: [] };
  return {
    finished: false,
    scenario: s?.scenario.name ?? "run",
    seed: s?.scenario.seed ?? null,
    runDir: s?.runDir ?? null,
    mode: s?.mode ?? null,
    broker: s?.broker ?? null,
    startedAt: s ? new Date(s.startedAt).toISOString() : null,
    lastTickAtMs: last?.elapsedMs ?? 0,
    ticks: record.ticks.length,
    verdict: { valid: null, reason: NOT_JUDGED_REASON },
    passed: null,
    exitCode: null,
    orders: {
      planned: s?.plannedOrders ?? null,
      sent: t?.sent ?? 0,
      accepted: t?.accepted ?? 0,
      rejected: t?.rejected ?? 0,
      errors: t?.errors ?? 0,
      late: t?.late ?? 0,
      completed: t?.stages.completed ?? 0,
      cancelled: t?.stages.cancelled ?? 0,
      inFlight: t?.inFlight ?? 0,
    },
    throughput: { acceptedPerSecond: round2((t?.accepted ?? 0) / loadSeconds), completedPerSecond: round2((t?.stages.completed ?? 0) / loadSeconds), perSecond: series },
    lastWindowLatency: last?.latency ?? null,
    workers: last?.workers ?? [],
    services: last?.services ?? [],
    faults: record.faults.map(({ recovery: _none, ...f }) => {
      if (f.error) return f;
      const r = recoveryOf(f, { series, backlog, touched: () => new Set(), findings: none });
      return { ...f, recovery: { baselinePerSecond: r.baselinePerSecond, throughputRecoveredAfterMs: r.throughputRecoveredAfterMs, backlogDrainedAfterMs: r.backlogDrainedAfterMs, peakInFlight: r.peakInFlight, touchedOrders: null, findings: null } };
    }),
    deadLetters: last?.deadLetters ?? 0,
    thresholds: s ? THRESHOLDS.flatMap((th) => (limitOf(s.scenario.thresholds, th) === undefined ? [] : [{ name: th.name, limit: limitOf(s.scenario.thresholds, th)!, actual: null, passed: null }])) : [],
  };
}
