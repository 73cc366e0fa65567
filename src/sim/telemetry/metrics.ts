import hdr from "hdr-histogram-js";
import { STAGES, type LatencySummary, type SecondSample, type Stage, type StageCounts } from "./run-events.js";

type Histogram = ReturnType<typeof hdr.build>;

/**
 * Latencies are recorded in microseconds (sub-millisecond accepts are common) and reported in ms.
 * Per-second histograms are packed (sparse, small): a long run keeps one pair per second.
 */
function newHistogram(packed = false): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: packed ? 2 : 3,
    bitBucketSize: packed ? "packed" : 32,
    useWebAssembly: false,
  });
}

export function summarise(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

const emptyStages = (): StageCounts => ({ placed: 0, paid: 0, cooking: 0, ready: 0, completed: 0, cancelled: 0 });

interface Second extends StageCounts {
  sent: number;
  accepted: number;
  rejected: number;
  errors: number;
  late: number;
  accept: Histogram;
  endToEnd: Histogram;
}

export type LatencyKind = "accept" | "endToEnd" | "ready";

/**
 * Every figure of a run: HDR histograms over the whole run, per-second buckets (counts per stage,
 * requests, and per-second histograms), and a rolling window merged from the last seconds.
 * Time is the offset from load start, in ms; seconds are `floor(offset / 1000)`.
 */
export class Metrics {
  readonly total: Record<LatencyKind, Histogram> = { accept: newHistogram(), endToEnd: newHistogram(), ready: newHistogram() };
  readonly stages: StageCounts = emptyStages();
  readonly requests = { sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0 };
  private readonly seconds: Second[] = [];

  constructor(private readonly windowSeconds = 10) {}

  private second(offsetMs: number): Second {
    const t = Math.max(0, Math.floor(offsetMs / 1000));
    while (this.seconds.length <= t) {
      this.seconds.push({ ...emptyStages(), sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, accept: newHistogram(true), endToEnd: newHistogram(true) });
    }
    return this.seconds[t];
  }

  sent(offsetMs: number, late: boolean): void {
    const s = this.second(offsetMs);
    s.sent++;
    this.requests.sent++;
    if (late) {
      s.late++;
      this.requests.late++;
    }
  }

  /** An answer: 201 accepted (with its latency from the scheduled time), 4xx rejected, else an error. */
  answered(offsetMs: number, status: number, latencyMs: number): void {
    const s = this.second(offsetMs);
    if (status === 201) {
      s.accepted++;
      this.requests.accepted++;
      const us = Math.max(1, Math.round(latencyMs * 1000));
      this.total.accept.recordValue(us);
      s.accept.recordValue(us);
    } else if (status >= 400 && status < 500) {
      s.rejected++;
      this.requests.rejected++;
    } else {
      s.errors++;
      this.requests.errors++;
    }
  }

  stage(offsetMs: number, stage: Stage): void {
    this.second(offsetMs)[stage]++;
    this.stages[stage]++;
  }

  /** End-to-end: scheduled time to ready (kitchen done) or to completed (the order's whole life). */
  latency(offsetMs: number, kind: "ready" | "endToEnd", latencyMs: number): void {
    const us = Math.max(1, Math.round(latencyMs * 1000));
    this.total[kind].recordValue(us);
    if (kind === "endToEnd") this.second(offsetMs).endToEnd.recordValue(us);
  }

  /** The rolling window ending before second `t` (exclusive of the second still filling). */
  rolling(nowMs: number): { accept: LatencySummary; endToEnd: LatencySummary } {
    const end = Math.floor(nowMs / 1000);
    const accept = newHistogram();
    const endToEnd = newHistogram();
    for (let t = Math.max(0, end - this.windowSeconds); t <= end && t < this.seconds.length; t++) {
      accept.add(this.seconds[t].accept);
      endToEnd.add(this.seconds[t].endToEnd);
    }
    return { accept: summarise(accept), endToEnd: summarise(endToEnd) };
  }

  sample(t: number): SecondSample {
    const s = this.seconds[t];
    if (!s) return { t, ...emptyStages(), sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, acceptP99: null, endToEndP99: null };
    const p99 = (h: Histogram) => (h.totalCount > 0 ? Math.round(h.getValueAtPercentile(99)) / 1000 : null);
    const stages = Object.fromEntries(STAGES.map((k) => [k, s[k]])) as StageCounts;
    return { t, ...stages, sent: s.sent, accepted: s.accepted, rejected: s.rejected, errors: s.errors, late: s.late, acceptP99: p99(s.accept), endToEndP99: p99(s.endToEnd) };
  }

  /** Every second from load start to the last one with data. */
  series(): SecondSample[] {
    return this.seconds.map((_, t) => this.sample(t));
  }

  summary(kind: LatencyKind): LatencySummary {
    return summarise(this.total[kind]);
  }
}
