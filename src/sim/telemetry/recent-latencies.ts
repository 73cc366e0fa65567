import type { LatencySummary } from "./run-events.js";

/** The per-second latency kinds the rolling window and the tick's last second are made of. */
export type RecentKind = "accept" | "accept201" | "failed" | "endToEnd";
export const RECENT_KINDS: readonly RecentKind[] = ["accept", "accept201", "failed", "endToEnd"];

type Values = Record<RecentKind, number[]>;

/** What an hdr histogram knows of its buckets (JsHistogram has it; the package's type leaves it out). */
export interface BucketLayout {
  highestEquivalentValue(value: number): number;
}

/**
 * The latencies (in microseconds, as recorded) of the last seconds, kept as plain numbers beside
 * the per-second packed histograms. Why: every tick (each second) the run merged the window's
 * packed histograms into fresh ones and read the last second's percentiles from packed ones; both
 * walk every index of a packed (sparse) array whatever was recorded, and hdr's `mean` iterates the
 * whole histogram through an iterator allocating as it goes (16-20 ms a call): 30-75 ms of the harness's CPU
 * per tick on the reference VM at any rate (a few % of a core, most of the harness's cost per
 * order at 50-250 orders/s). The window's few thousand values are sorted instead (well under a
 * millisecond), the last second's percentiles read from a sort of its values the way
 * hdr would answer them. Only the newest seconds are kept (bounded memory):
 * a second whose values were let go, or that began before this kept values, reads its packed
 * histograms as before (`has` says which).
 */
/** The unit in the last place of `x` (as hdr-histogram-js computes it). */
function ulp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

export class RecentLatencies {
  /** True when seconds `from`..`to` all keep their values. */
  hasAll(from: number, to: number): boolean {
    for (let t = from; t <= to; t++) if (!this.seconds.has(t)) return false;
    return true;
  }

  private readonly seconds = new Map<number, Values>();
  private newest = -1;

  /** `keep`: how many seconds before the newest one keep their values. */
  constructor(private readonly keep: number) {}

  /** Second `t` exists from now on (it was created with empty histograms): it keeps its values. */
  begin(t: number): void {
    if (this.seconds.has(t) || t <= this.newest - this.keep) return;
    this.seconds.set(t, { accept: [], accept201: [], failed: [], endToEnd: [] });
    if (t > this.newest) {
      this.newest = t;
      for (const old of this.seconds.keys()) if (old < t - this.keep) this.seconds.delete(old);
    }
  }

  record(t: number, kind: RecentKind, us: number): void {
    this.seconds.get(t)?.[kind].push(us);
  }

  /** True when every value of second `t` is here. */
  has(t: number): boolean {
    return this.seconds.has(t);
  }

  /**
   * Second `t`'s `kind` at each percentile exactly as an hdr histogram shaped like `like` (the
   * packed per-second ones' precision) would answer getValueAtPercentile, and its max (hdr keeps
   * the raw max); null when the second keeps no values of that kind, undefined when it is not kept.
   * From one sort, ~10x cheaper here than recording the values into a histogram.
   */
  percentiles(t: number, kind: RecentKind, ps: readonly number[], like: BucketLayout): { at: number[]; max: number } | null | undefined {
    const s = this.seconds.get(t);
    if (!s) return undefined;
    const n = s[kind].length;
    if (n === 0) return null;
    const sorted = Float64Array.from(s[kind]).sort();
    const at = ps.map((p) => {
      // hdr's count at the percentile: rounded up, guarding against the last ulp of the product.
      const x = (Math.min(p, 100) / 100) * n;
      const count = Math.max(Math.ceil(x - ulp(x)), 1);
      return like.highestEquivalentValue(sorted[Math.min(n, count) - 1]);
    });
    return { at, max: sorted[n - 1] };
  }

  /**
   * The summary of every value of `kind` in seconds `from`..`to` (all kept: see `has`), exact
   * (nearest rank), from one sort: recording them into a histogram costs ~1 us a value here
   * (44 ms a tick at 1,000 orders/s), a sort of a few thousand numbers well under a millisecond.
   */
  summary(from: number, to: number, kind: RecentKind): LatencySummary {
    let n = 0;
    for (let t = from; t <= to; t++) n += this.seconds.get(t)?.[kind].length ?? 0;
    if (n === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
    const all = new Float64Array(n);
    let i = 0;
    let sum = 0;
    for (let t = from; t <= to; t++) {
      for (const us of this.seconds.get(t)?.[kind] ?? []) {
        all[i++] = us;
        sum += us;
      }
    }
    all.sort();
    const ms = (us: number) => Math.round(us) / 1000;
    const rank = (p: number) => all[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
    return { count: n, p50: ms(rank(50)), p95: ms(rank(95)), p99: ms(rank(99)), max: ms(all[n - 1]), mean: ms(sum / n) };
  }
}
