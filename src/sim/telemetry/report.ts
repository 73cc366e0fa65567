import type { Verdict } from "../check/checker.js";
import { limitOf, THRESHOLDS, type RunFigures, type ThresholdRow } from "../scenario/thresholds.js";
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

/** Each threshold the scenario set, with the figure it was compared to, in the threshold table's order. */
export function evaluateThresholds(limits: ThresholdLimits, x: ThresholdInputs): ThresholdResult[] {
  const figures: RunFigures = { ...x, lost: x.verdict.lost.length, duplicated: x.verdict.duplicated.length, invalid: x.verdict.invalid.length };
  const results: ThresholdResult[] = [];
  for (const t of THRESHOLDS) {
    const limit = limitOf(limits, t);
    if (limit === undefined) continue;
    const figure = t.figure(figures);
    const actual = figure !== null && t.digits !== undefined ? round(figure, t.digits) : figure;
    // A ceiling is judged on the figure as reported; a floor on the exact figure, so that rounding
    // up never lifts a run over its minimum.
    const passed = t.bound === "at most" ? actual !== null && actual <= limit : figure !== null && figure >= limit;
    results.push({ name: t.name, limit, actual, passed });
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
