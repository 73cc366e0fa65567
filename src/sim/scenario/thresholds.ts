/**
 * The threshold vocabulary: one row per limit a scenario may set under `expect:`, read by the
 * scenario parser (how it is written), the report (how it is judged from a finished run), the
 * live watch (which latencies it follows during the run), the dashboard (how a live figure is
 * coloured), `pizzeria check` and the summary (how it is said). Pure data in scenario/, which
 * every other room may import.
 */
import type { PathSeg, Reader } from "./reader.js";

/** What a limit counts, which says how it is written, parsed and printed. */
export type ThresholdUnit = "count" | "ms" | "ratio" | "orders/s";

/** The figure must stay at or under the limit, or reach it. */
export type ThresholdBound = "at most" | "at least";

export type LatencyOf = "accept" | "endToEnd";
export type LatencyPercentile = "p50" | "p95" | "p99";

/** A latency distribution as far as thresholds look at it. */
export interface LatencyFigures {
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

/** A finished run's figures that thresholds judge. */
export interface RunFigures {
  lost: number;
  duplicated: number;
  invalid: number;
  accept: LatencyFigures;
  endToEnd: LatencyFigures;
  /** Requests that did not get the answer they should have, over requests sent. */
  errorRate: number;
  /** Completed orders per second of load. */
  throughput: number;
}

export interface ThresholdRow {
  /** Its key under `expect:`, and its name in the report. */
  readonly name: string;
  /** Where a parsed scenario keeps the limit (latencies in ms: `acceptP99Ms`). */
  readonly limitKey: string;
  readonly unit: ThresholdUnit;
  /** Also the dashboard's colour rule: "at most" warns from 80% of the limit, "at least" under 125% of it. */
  readonly bound: ThresholdBound;
  /** The run's figure; null when there is none (no latency samples). */
  readonly figure: (f: RunFigures) => number | null;
  /** The report rounds the figure to this many decimals. */
  readonly digits?: number;
  /** A latency percentile: the dashboard colours that cell by it; with `watch`, the live watch says when it crosses. */
  readonly latency?: {
    readonly of: LatencyOf;
    readonly percentile: LatencyPercentile;
    /** The live watch's name for it, and its place among the watched (the tail first for accept). */
    readonly watch?: { readonly label: string; readonly rank: number };
  };
  /** What `pizzeria check` calls it, when not its name. */
  readonly checkLabel?: string;
}

/** How each unit is read from `expect:`. */
export const THRESHOLD_UNITS: Record<ThresholdUnit, { parse(r: Reader, value: unknown, path: readonly PathSeg[]): number }> = {
  count: { parse: (r, v, path) => r.integer(v, path, { min: 0 }) },
  ms: { parse: (r, v, path) => r.duration(v, path, { min: 0, above: true }) },
  ratio: { parse: (r, v, path) => r.number(v, path, { min: 0, max: 1 }) },
  "orders/s": { parse: (r, v, path) => r.number(v, path, { min: 0 }) },
};

const count = (name: "lost" | "duplicated" | "invalid") =>
  ({ name, limitKey: name, unit: "count", bound: "at most", figure: (f: RunFigures) => f[name] }) as const;

const latency = <N extends string>(name: N, of: LatencyOf, percentile: LatencyPercentile, watch?: { label: string; rank: number }) =>
  ({
    name,
    limitKey: `${name}Ms` as `${N}Ms`,
    unit: "ms",
    bound: "at most",
    figure: (f: RunFigures) => (f[of].count > 0 ? f[of][percentile] : null),
    latency: { of, percentile, ...(watch ? { watch } : {}) },
  }) as const;

const ROWS = [
  count("lost"),
  count("duplicated"),
  count("invalid"),
  latency("acceptP50", "accept", "p50"),
  latency("acceptP95", "accept", "p95", { label: "accept p95", rank: 2 }),
  latency("acceptP99", "accept", "p99", { label: "accept p99", rank: 1 }),
  latency("endToEndP50", "endToEnd", "p50"),
  latency("endToEndP95", "endToEnd", "p95", { label: "end-to-end p95", rank: 3 }),
  latency("endToEndP99", "endToEnd", "p99", { label: "end-to-end p99", rank: 4 }),
  { name: "errorRate", limitKey: "errorRate", unit: "ratio", bound: "at most", figure: (f: RunFigures) => f.errorRate, digits: 4 },
  { name: "minThroughput", limitKey: "minThroughput", unit: "orders/s", bound: "at least", figure: (f: RunFigures) => f.throughput, digits: 2, checkLabel: "throughput" },
] as const satisfies readonly ThresholdRow[];

/** One row per threshold, in the order they are read, judged and reported. */
export const THRESHOLDS: readonly ThresholdRow[] = ROWS;

export type ThresholdLimitKey = (typeof ROWS)[number]["limitKey"];

/** A scenario's limits, by limit key (absent = not checked). */
export type Thresholds = Partial<Record<ThresholdLimitKey, number>>;

/** The limit a scenario set for a row; undefined when it set none. */
export function limitOf(limits: Thresholds, row: ThresholdRow): number | undefined {
  return limits[row.limitKey as ThresholdLimitKey];
}

/** The row of a report's threshold name or a limit key; undefined for neither. */
export function thresholdRow(name: string): ThresholdRow | undefined {
  return THRESHOLDS.find((t) => t.name === name || t.limitKey === name);
}

/** The row that limits one latency percentile, if any. */
export function latencyThreshold(of: LatencyOf, percentile: LatencyPercentile): ThresholdRow | undefined {
  return THRESHOLDS.find((t) => t.latency?.of === of && t.latency.percentile === percentile);
}
