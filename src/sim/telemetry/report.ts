import type { Verdict } from "../check/checker.js";
import type { LatencySummary, RunReport, ThresholdLimits, ThresholdResult } from "./run-events.js";

export interface ThresholdInputs {
  verdict: Verdict;
  accept: LatencySummary;
  endToEnd: LatencySummary;
  /** Requests that did not get the answer they should have (valid -> 201, invalid -> 4xx), over requests sent. */
  errorRate: number;
  /** Completed orders per second of load. */
  throughput: number;
}

/** Each threshold the scenario set, with the figure it was compared to. */
export function evaluateThresholds(limits: ThresholdLimits, x: ThresholdInputs): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const atMost = (name: string, limit: number | undefined, actual: number | null) => {
    if (limit !== undefined) results.push({ name, limit, actual, passed: actual !== null && actual <= limit });
  };
  const latency = (s: LatencySummary, p: "p50" | "p95" | "p99") => (s.count > 0 ? s[p] : null);
  atMost("lost", limits.lost, x.verdict.lost.length);
  atMost("duplicated", limits.duplicated, x.verdict.duplicated.length);
  atMost("invalid", limits.invalid, x.verdict.invalid.length);
  atMost("acceptP50", limits.acceptP50Ms, latency(x.accept, "p50"));
  atMost("acceptP95", limits.acceptP95Ms, latency(x.accept, "p95"));
  atMost("acceptP99", limits.acceptP99Ms, latency(x.accept, "p99"));
  atMost("endToEndP50", limits.endToEndP50Ms, latency(x.endToEnd, "p50"));
  atMost("endToEndP95", limits.endToEndP95Ms, latency(x.endToEnd, "p95"));
  atMost("endToEndP99", limits.endToEndP99Ms, latency(x.endToEnd, "p99"));
  atMost("errorRate", limits.errorRate, round(x.errorRate, 4));
  if (limits.minThroughput !== undefined) {
    results.push({ name: "minThroughput", limit: limits.minThroughput, actual: round(x.throughput, 2), passed: x.throughput >= limits.minThroughput });
  }
  return results;
}

const FINDINGS_KEPT = 50;

/** The verdict as the report carries it: counts, and the first findings of each kind. */
export function verdictSection(v: Verdict, drained: boolean): RunReport["verdict"] {
  const keep = <T>(list: T[]) => list.slice(0, FINDINGS_KEPT);
  return {
    valid: v.valid,
    lost: v.lost.length,
    duplicated: v.duplicated.length,
    invalid: v.invalid.length,
    unexpected: v.unexpected.length,
    notificationsMissing: v.notifications.missing.length,
    notificationsDuplicated: v.notifications.duplicated.length,
    rejectedNot4xx: v.rejections.not4xx.length,
    drained,
    findings: {
      lost: keep(v.lost),
      duplicated: keep(v.duplicated),
      invalid: keep(v.invalid),
      unexpected: keep(v.unexpected),
      notificationsMissing: keep(v.notifications.missing),
      notificationsDuplicated: keep(v.notifications.duplicated),
      rejectedNot4xx: keep(v.rejections.not4xx),
    },
  };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
