import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/sim/telemetry/metrics.js";

/** A run's worth of outcomes and end-to-end latencies over `seconds`, deterministic. */
function load(m: Metrics, fromSecond: number, seconds: number, perSecond: number): void {
  for (let s = fromSecond; s < fromSecond + seconds; s++) {
    for (let i = 0; i < perSecond; i++) {
      const at = s * 1_000 + (i * 1_000) / perSecond;
      m.sent(at, false);
      const failed = i % 25 === 0;
      m.outcome(at, failed ? { status: 0, cause: "timedOut", latencyMs: 1_000 + i } : { status: i % 10 === 0 ? 503 : 201, cause: i % 10 === 0 ? "status503" : null, latencyMs: 1 + ((i * 7919) % 400) / 3 });
      m.latency(at, "endToEnd", 20 + ((i * 104729) % 900));
    }
  }
}

/** Within hdr's precision (the packed per-second histograms keep 2 significant digits). */
const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(0.002, 0.01 * Math.max(a, b));

describe("Metrics: the tick's figures from the newest seconds' values", () => {
  it("the rolling window has the counts, the percentiles and the mean the merged histograms give", () => {
    const m = new Metrics(10);
    load(m, 0, 15, 40);
    const r = m.rolling(14_500); // seconds 4..14, all still kept
    const whole = new Metrics(10);
    load(whole, 4, 11, 40); // the same seconds' values, alone: the whole-run histograms are the window
    for (const kind of ["accept", "accept201", "failed", "endToEnd"] as const) {
      const expected = whole.summary(kind);
      expect(r[kind].count).toBe(expected.count);
      for (const p of ["p50", "p95", "p99", "max", "mean"] as const) expect(near(r[kind][p], expected[p]), `${kind} ${p}: ${r[kind][p]} vs ${expected[p]}`).toBe(true);
    }
  });

  it("a second's figures are the same while its values are kept and once they are let go", () => {
    const m = new Metrics(10);
    load(m, 0, 1, 60);
    load(m, 1, 1, 3_000); // a busy second too
    const kept = [m.sample(0), m.sample(1)];
    load(m, 2, 20, 5); // time moves on past what is kept: seconds 0 and 1 read their packed histograms
    expect([m.sample(0), m.sample(1)]).toEqual(kept);
    for (const k of kept) expect([k.acceptP99, k.accept201P99, k.failedMax, k.endToEndP50]).not.toContain(null);
  });

  it("a window reaching back to a second whose values were let go still counts everything in it", () => {
    const m = new Metrics(10);
    load(m, 0, 2, 30);
    m.sent(30_000, false); // second 30: seconds 0 and 1 are no longer kept
    const r = m.rolling(10_500); // the window 0..10: from the packed histograms
    expect(r.accept.count).toBe(2 * (30 - 2)); // every answered one (1 in 25 got no answer)
    expect(r.failed.count).toBe(2 * 2);
    expect(r.endToEnd.count).toBe(60);
  });
});
