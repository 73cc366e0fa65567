/**
 * How a live figure compares with the scenario's limits: within (ok), within 80-100% of the
 * limit (warn), over (bad). Absent limit = not judged.
 */
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

export type Percentile = "p50" | "p95" | "p99" | "max";
export type LatencyKind = "accept" | "endToEnd";

/** The limit that applies to one cell of the latency table (max has none). */
export function latencyLimit(thresholds: ThresholdLimits, kind: LatencyKind, percentile: Percentile): number | undefined {
  if (percentile === "max") return undefined;
  const suffix = percentile === "p50" ? "P50Ms" : percentile === "p95" ? "P95Ms" : "P99Ms";
  const key = `${kind}${suffix}` as keyof ThresholdLimits;
  return thresholds[key];
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
