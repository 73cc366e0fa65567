/**
 * How a live figure compares with the scenario's limits: within (ok), within 80-100% of the
 * limit (warn), over (bad). Absent limit = not judged. Which rule applies to which limit is the
 * threshold table's `bound` (scenario/thresholds.ts).
 */
import { latencyThreshold, limitOf, type LatencyOf, type LatencyPercentile, type ThresholdBound, type ThresholdRow } from "../sim/scenario/thresholds.js";
import type { LatencySummary, ThresholdLimits } from "../sim/telemetry/run-events.js";

export type Level = "ok" | "warn" | "bad";

/** The warn band starts at this fraction of a limit. */
export const WARN_FRACTION = 0.8;

/** For "at most" limits (latency, error rate, lost...). */
export function levelAgainstMax(value: number | null | undefined, limit: number | undefined): Level | null {
  if (limit === undefined || value === null || value === undefined || !Number.isFinite(value)) return null;
  if (value > limit) return "bad";
  if (limit > 0 && value >= WARN_FRACTION * limit) return "warn";
  return "ok";
}

/** For "at least" limits (minThroughput): bad under the limit, warn within 100-125% of it. */
export function levelAgainstMin(value: number | null | undefined, limit: number | undefined): Level | null {
  if (limit === undefined || value === null || value === undefined || !Number.isFinite(value)) return null;
  if (value < limit) return "bad";
  if (value * WARN_FRACTION < limit) return "warn";
  return "ok";
}

/** The colour rule of each kind of limit. */
export const LEVEL_RULES: Record<ThresholdBound, (value: number | null | undefined, limit: number | undefined) => Level | null> = {
  "at most": levelAgainstMax,
  "at least": levelAgainstMin,
};

/** A live figure against the limit the scenario set for a row of the threshold table. */
export function thresholdLevel(row: ThresholdRow, value: number | null | undefined, thresholds: ThresholdLimits): Level | null {
  return LEVEL_RULES[row.bound](value, limitOf(thresholds, row));
}

export type Percentile = LatencyPercentile | "max";
export type LatencyKind = LatencyOf;

/** The limit that applies to one cell of the latency table (max has none). */
export function latencyLimit(thresholds: ThresholdLimits, kind: LatencyKind, percentile: Percentile): number | undefined {
  const row = percentile === "max" ? undefined : latencyThreshold(kind, percentile);
  return row ? limitOf(thresholds, row) : undefined;
}

export function latencyLevel(
  summary: LatencySummary,
  thresholds: ThresholdLimits,
  kind: LatencyKind,
  percentile: Percentile,
): Level | null {
  if (summary.count === 0) return null;
  return levelAgainstMax(summary[percentile], latencyLimit(thresholds, kind, percentile));
}
