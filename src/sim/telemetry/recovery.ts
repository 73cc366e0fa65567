import type { Finding } from "../check/checker.js";
import type { FaultRecord, RecoveryFigures, SecondSample } from "./run-events.js";

/**
 * One sample of the backlog at a load offset: orders in flight plus requests awaiting an answer
 * (a frozen order service holds its backlog in unanswered requests, not in accepted orders).
 */
export interface BacklogSample {
  atMs: number;
  inFlight: number;
}

export interface RecoveryInputs {
  series: SecondSample[];
  backlog: BacklogSample[];
  /** Order numbers with the load offsets they were created and finished at. */
  touched: (fromMs: number, toMs: number) => Set<string>;
  findings: { lost: Finding[]; duplicated: Finding[]; invalid: Finding[] };
}

const BASELINE_SECONDS = 5;
const WITHIN = 0.9;

/**
 * How the system came back from one fault, from the run's own figures: finished orders per
 * second against the 5 s before the fault, orders in flight against their level when it hit,
 * and the checker's findings among the orders it touched.
 */
export function recoveryOf(fault: FaultRecord, x: RecoveryInputs): RecoveryFigures {
  const startSecond = Math.floor(fault.startedAtMs / 1000);
  const endMs = fault.endedAtMs ?? fault.startedAtMs;
  const finished = (s: SecondSample | undefined) => (s ? s.completed + s.cancelled : 0);
  const before = x.series.slice(Math.max(0, startSecond - BASELINE_SECONDS), startSecond);
  const baseline = before.length > 0 ? before.reduce((sum, s) => sum + finished(s), 0) / before.length : 0;

  let throughputRecoveredAfterMs: number | null = null;
  if (baseline > 0) {
    // The first full second after the fault's window began in which the finished rate holds again.
    const firstAfter = Math.max(startSecond + 1, Math.floor(endMs / 1000));
    for (let t = firstAfter; t < x.series.length; t++) {
      if (finished(x.series[t]) >= WITHIN * baseline) {
        throughputRecoveredAfterMs = Math.max(0, (t + 1) * 1000 - fault.startedAtMs);
        break;
      }
    }
  }

  const atStart = fault.inFlightAtStart ?? 0;
  let peak = atStart;
  let backlogDrainedAfterMs: number | null = null;
  for (const b of x.backlog) {
    if (b.atMs < fault.startedAtMs) continue;
    peak = Math.max(peak, b.inFlight);
    // Drained: back to where it was (with one second's worth of slack for arrivals in transit).
    if (b.atMs >= endMs && b.inFlight <= atStart + Math.max(1, baseline)) {
      backlogDrainedAfterMs = b.atMs - fault.startedAtMs;
      break;
    }
  }

  const touched = x.touched(fault.startedAtMs, endMs);
  const among = (list: Finding[]) => list.filter((f) => f.orderNumber !== undefined && touched.has(f.orderNumber)).length;
  return {
    baselinePerSecond: Math.round(baseline * 100) / 100,
    throughputRecoveredAfterMs,
    backlogDrainedAfterMs,
    peakInFlight: peak,
    touchedOrders: touched.size,
    findings: { lost: among(x.findings.lost), duplicated: among(x.findings.duplicated), invalid: among(x.findings.invalid) },
  };
}
