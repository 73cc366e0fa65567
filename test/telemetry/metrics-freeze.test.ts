import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/sim/telemetry/metrics.js";

describe("Metrics: old seconds keep their figures, not their histograms", () => {
  it("a second two minutes behind reports what it reported before, and the run's totals are whole", () => {
    const m = new Metrics();
    for (let i = 0; i < 50; i++) {
      m.sent(1_000 + i, false);
      m.outcome(1_000 + i, { status: 201, cause: null, latencyMs: 5 + i });
      m.latency(1_500, "endToEnd", 100 + i);
    }
    m.outcome(1_900, { status: 0, cause: "timedOut", latencyMs: 30_000 });
    const before = m.sample(1);
    expect(before.acceptP99).toBeGreaterThan(50);
    m.sent(200_000, false); // time moves on: second 1 is frozen
    expect(m.sample(1)).toEqual(before);
    // An answer that comes for a frozen second still counts (its latency is in the run's totals).
    m.outcome(1_950, { status: 201, cause: null, latencyMs: 1 });
    expect(m.sample(1).accepted).toBe(before.accepted + 1);
    expect(m.summary("accept").count).toBe(51);
    expect(m.summary("failed").count).toBe(1);
    expect(m.series()).toHaveLength(201);
    expect(m.rolling(200_500).accept.count).toBe(0);
  });
});
