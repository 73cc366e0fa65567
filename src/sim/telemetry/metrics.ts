import hdr from "hdr-histogram-js";
import { emptyCauseCounts, UNANSWERED_CAUSES, type ErrorCause } from "../load/error-causes.js";
import { RECENT_KINDS, RecentLatencies, type BucketLayout } from "./recent-latencies.js";
import { STAGES, type LatencyHistogram, type LatencySummary, type RequestCounts, type RollingLatency, type SecondSample, type Stage, type StageCounts } from "./run-events.js";

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

/** The recorded values and their counts (the whole-run histograms are plain JS ones: they have the iterator). */
function recordedValues(h: Histogram): Array<{ us: number; count: number }> {
  const it = (h as unknown as { recordedValuesIterator?: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } } }).recordedValuesIterator;
  if (!it) return [];
  const out: Array<{ us: number; count: number }> = [];
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    out.push({ us: v.valueIteratedTo, count: v.countAtValueIteratedTo });
  }
  return out;
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

/** A plain (array-backed) histogram with the per-second packed ones' precision: the same percentiles, cheaper to read. */
function plainLike(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 2, bitBucketSize: 32, useWebAssembly: false });
}

const secondOf = (offsetMs: number) => Math.max(0, Math.floor(offsetMs / 1000));

const emptyStages = (): StageCounts => ({ placed: 0, paid: 0, cooking: 0, ready: 0, completed: 0, cancelled: 0 });

/** A second's latency figures, as `sample()` reports them. */
type SecondLatencies = Pick<SecondSample, "acceptP99" | "accept201P99" | "failedMax" | "endToEndP99" | "acceptP50" | "acceptP95" | "endToEndP50" | "endToEndP95">;

/** One second's counts and histograms; `null` histograms once the second is frozen into `frozen`. */
interface Second extends StageCounts, RequestCounts {
  accept: Histogram | null;
  accept201: Histogram | null;
  failed: Histogram | null;
  endToEnd: Histogram | null;
  frozen?: SecondLatencies;
}

/**
 * A second this far behind the newest one keeps its latency figures and drops its histograms (a
 * packed histogram per kind per second was ~10 KiB a second of memory: 860 MiB over a day of
 * `up`). Late enough that an answer still due to it (the request timeout, 30 s by default) has come.
 */
const FREEZE_AFTER_SECONDS = 120;

const at = (h: Histogram | null, p: number) => (h && h.totalCount > 0 ? Math.round(h.getValueAtPercentile(p)) / 1000 : null);

function latenciesOf(s: Second): SecondLatencies {
  return (
    s.frozen ?? {
      acceptP99: at(s.accept, 99),
      accept201P99: at(s.accept201, 99),
      failedMax: s.failed && s.failed.totalCount > 0 ? Math.round(s.failed.maxValue) / 1000 : null,
      endToEndP99: at(s.endToEnd, 99),
      acceptP50: at(s.accept, 50),
      acceptP95: at(s.accept, 95),
      endToEndP50: at(s.endToEnd, 50),
      endToEndP95: at(s.endToEnd, 95),
    }
  );
}

/**
 * accept: scheduled time to any answer (any status: the headline, what thresholds judge);
 * accept201: to a 201 only; failed: to the failure of a request that got no answer (refused,
 * reset, timed out); endToEnd and ready: to the order's completion and to its `ready`.
 */
export type LatencyKind = "accept" | "accept201" | "failed" | "endToEnd" | "ready";

/** What the metrics take from one request's outcome. */
export interface OutcomeFigures {
  status: number;
  cause: ErrorCause | null;
  /** From its scheduled time to its answer or failure. */
  latencyMs: number;
  retryAfter?: string;
}

const toMicros = (ms: number) => Math.max(1, Math.round(ms * 1000));

/**
 * Every figure of a run: HDR histograms over the whole run, per-second buckets (counts per stage,
 * requests, and per-second histograms), and a rolling window merged from the last seconds.
 * Time is the offset from load start, in ms; seconds are `floor(offset / 1000)`.
 */
export class Metrics {
  readonly total: Record<LatencyKind, Histogram> = { accept: newHistogram(), accept201: newHistogram(), failed: newHistogram(), endToEnd: newHistogram(), ready: newHistogram() };
  readonly stages: StageCounts = emptyStages();
  /** Requests sent, answered 201, rejected as meant (4xx to an invalid one), failed (by cause), sent late. */
  readonly requests = { sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, errorCauses: emptyCauseCounts() };
  /** The Retry-After values the 503s carried, by value ("none" when absent). */
  readonly retryAfter: Record<string, number> = {};
  private readonly seconds: Second[] = [];
  private frozenUpTo = 0;
  /** The newest seconds' values, which the tick's rolling window and last second are read from (see RecentLatencies). */
  private readonly recent: RecentLatencies;
  /** Never recorded into: the bucket layout of the packed per-second histograms, which sample() of a kept second reads its figures through. */
  private readonly bucketsOfASecond = plainLike() as unknown as BucketLayout;

  constructor(private readonly windowSeconds = 10) {
    this.recent = new RecentLatencies(windowSeconds + 2);
  }

  private second(offsetMs: number): Second {
    const t = secondOf(offsetMs);
    while (this.seconds.length <= t) {
      this.recent.begin(this.seconds.length);
      this.seconds.push({
        ...emptyStages(),
        sent: 0,
        accepted: 0,
        rejected: 0,
        errors: 0,
        late: 0,
        errorCauses: emptyCauseCounts(),
        accept: newHistogram(true),
        accept201: newHistogram(true),
        failed: newHistogram(true),
        endToEnd: newHistogram(true),
      });
    }
    for (; this.frozenUpTo < t - FREEZE_AFTER_SECONDS; this.frozenUpTo++) {
      const old = this.seconds[this.frozenUpTo];
      old.frozen = latenciesOf(old);
      old.accept = old.accept201 = old.failed = old.endToEnd = null;
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

  /**
   * One request's outcome, whatever it was: its latency from the scheduled time goes into the
   * all-answers histogram when it got any answer (and the 201 one for a 201), or into the
   * time-to-failure one when it got none; a failure is counted by its cause.
   */
  outcome(offsetMs: number, o: OutcomeFigures): void {
    const s = this.second(offsetMs);
    const us = toMicros(o.latencyMs);
    const answered = o.cause === null || !UNANSWERED_CAUSES.has(o.cause);
    const t = secondOf(offsetMs);
    if (answered) {
      this.total.accept.recordValue(us);
      s.accept?.recordValue(us);
      this.recent.record(t, "accept", us);
    } else {
      this.total.failed.recordValue(us);
      s.failed?.recordValue(us);
      this.recent.record(t, "failed", us);
    }
    if (o.cause !== null) {
      s.errors++;
      s.errorCauses[o.cause]++;
      this.requests.errors++;
      this.requests.errorCauses[o.cause]++;
      if (o.cause === "status503") {
        const value = o.retryAfter ?? "none";
        this.retryAfter[value] = (this.retryAfter[value] ?? 0) + 1;
      }
    } else if (o.status === 201) {
      s.accepted++;
      this.requests.accepted++;
      this.total.accept201.recordValue(us);
      s.accept201?.recordValue(us);
      this.recent.record(t, "accept201", us);
    } else {
      s.rejected++;
      this.requests.rejected++;
    }
  }

  stage(offsetMs: number, stage: Stage): void {
    this.second(offsetMs)[stage]++;
    this.stages[stage]++;
  }

  /** End-to-end: scheduled time to ready (kitchen done) or to completed (the order's whole life). */
  latency(offsetMs: number, kind: "ready" | "endToEnd", latencyMs: number): void {
    const us = toMicros(latencyMs);
    this.total[kind].recordValue(us);
    if (kind === "endToEnd") {
      this.second(offsetMs).endToEnd?.recordValue(us);
      this.recent.record(secondOf(offsetMs), "endToEnd", us);
    }
  }

  /** The rolling window ending before second `t` (exclusive of the second still filling). */
  rolling(nowMs: number): RollingLatency {
    const end = Math.floor(nowMs / 1000);
    const from = Math.max(0, end - this.windowSeconds);
    const to = Math.min(end, this.seconds.length - 1);
    if (this.recent.hasAll(from, to)) {
      const r = this.recent;
      return { accept: r.summary(from, to, "accept"), accept201: r.summary(from, to, "accept201"), failed: r.summary(from, to, "failed"), endToEnd: r.summary(from, to, "endToEnd") };
    }
    // Some second of the window let its values go (see RecentLatencies): merge the packed histograms.
    const merged = { accept: newHistogram(), accept201: newHistogram(), failed: newHistogram(), endToEnd: newHistogram() };
    for (let t = from; t <= to; t++) {
      for (const k of RECENT_KINDS) {
        const h = this.seconds[t][k];
        if (h && h.totalCount > 0) merged[k].add(h);
      }
    }
    return { accept: summarise(merged.accept), accept201: summarise(merged.accept201), failed: summarise(merged.failed), endToEnd: summarise(merged.endToEnd) };
  }

  sample(t: number): SecondSample {
    const s = this.seconds[t];
    if (!s) return { t, ...emptyStages(), sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, errorCauses: emptyCauseCounts(), acceptP99: null, accept201P99: null, failedMax: null, endToEndP99: null, acceptP50: null, acceptP95: null, endToEndP50: null, endToEndP95: null };
    const stages = Object.fromEntries(STAGES.map((k) => [k, s[k]])) as StageCounts;
    return {
      t,
      ...stages,
      sent: s.sent,
      accepted: s.accepted,
      rejected: s.rejected,
      errors: s.errors,
      late: s.late,
      errorCauses: { ...s.errorCauses },
      ...(s.frozen || !this.recent.has(t) ? latenciesOf(s) : this.keptLatencies(t)),
    };
  }

  /** latenciesOf(second t) from its kept values: the same figures its packed histograms give, without walking them. */
  private keptLatencies(t: number): SecondLatencies {
    const like = this.bucketsOfASecond;
    const r = this.recent;
    const ms = (us: number) => Math.round(us) / 1000;
    const accept = r.percentiles(t, "accept", [99, 50, 95], like);
    const endToEnd = r.percentiles(t, "endToEnd", [99, 50, 95], like);
    const accept201 = r.percentiles(t, "accept201", [99], like);
    const failed = r.percentiles(t, "failed", [], like);
    return {
      acceptP99: accept ? ms(accept.at[0]) : null,
      accept201P99: accept201 ? ms(accept201.at[0]) : null,
      failedMax: failed ? ms(failed.max) : null,
      endToEndP99: endToEnd ? ms(endToEnd.at[0]) : null,
      acceptP50: accept ? ms(accept.at[1]) : null,
      acceptP95: accept ? ms(accept.at[2]) : null,
      endToEndP50: endToEnd ? ms(endToEnd.at[1]) : null,
      endToEndP95: endToEnd ? ms(endToEnd.at[2]) : null,
    };
  }


  /**
   * The run's latencies of one kind as a histogram with buckets growing by a quarter (about ten per
   * decade: fine enough to see two humps, few enough to read); empty buckets are left out.
   */
  distribution(kind: LatencyKind): LatencyHistogram {
    const out: LatencyHistogram = { upToMs: [], counts: [] };
    let upUs = 0;
    for (const { us, count } of recordedValues(this.total[kind])) {
      if (out.counts.length === 0 || us > upUs) {
        upUs = Math.max(1, out.counts.length === 0 ? us : upUs);
        while (upUs < us) upUs = Math.ceil(upUs * 1.25);
        out.upToMs.push(upUs / 1000);
        out.counts.push(0);
      }
      out.counts[out.counts.length - 1] += count;
    }
    return out;
  }

  /** Every second from load start to the last one with data. */
  series(): SecondSample[] {
    return this.seconds.map((_, t) => this.sample(t));
  }

  summary(kind: LatencyKind): LatencySummary {
    return summarise(this.total[kind]);
  }
}
