import { describe, expect, it } from "vitest";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import { Metrics } from "../../src/sim/telemetry/metrics.js";
import { RunRecorder, recordFromTimeline } from "../../src/sim/telemetry/run-record.js";
import type { RunTick } from "../../src/sim/telemetry/run-events.js";
import { pageOf } from "../../src/sim/outputs/page-data.js";

const withinHdr = (ms: number) => expect.closeTo(ms, 0);

describe("Metrics for the pictures", () => {
  it("gives each second's p50 and p95 beside its p99, and the run's histograms with every latency in its bucket", () => {
    const m = new Metrics();
    const latencies = [1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
    for (const ms of latencies) {
      m.sent(100, false);
      m.outcome(100, { status: 201, cause: null, latencyMs: ms });
    }
    const s = m.sample(0);
    expect(s.acceptP50).toBeGreaterThanOrEqual(8);
    expect(s.acceptP50).toBeLessThanOrEqual(13.1);
    expect(s.acceptP95).toBeGreaterThanOrEqual(89);
    expect(s.acceptP99).toEqual(withinHdr(144));
    expect(m.sample(5)).toMatchObject({ acceptP50: null, acceptP95: null, endToEndP50: null, endToEndP95: null });

    const h = m.distribution("accept");
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(latencies.length);
    expect(h.upToMs).toEqual([...h.upToMs].sort((a, b) => a - b));
    // Every latency lies in a bucket that holds it: at most its upper bound, above the one before.
    for (const ms of latencies) {
      const i = h.upToMs.findIndex((up) => ms <= up + 0.001);
      expect(i, `${ms} ms`).toBeGreaterThanOrEqual(0);
      expect(h.counts[i]).toBeGreaterThan(0);
    }
    expect(m.distribution("endToEnd")).toEqual({ upToMs: [], counts: [] });
  });
});

function tick(elapsedMs: number, sent: number, t: number): RunTick {
  const stages = { placed: sent, paid: 0, cooking: 0, ready: 0, completed: 0, cancelled: 0 };
  return {
    elapsedMs,
    state: "running",
    phaseIndex: 0,
    targetRate: 5,
    totals: { sent, accepted: sent, rejected: 0, errors: 0, late: 0, errorCauses: emptyCauseCounts(), inFlight: 2, stages },
    lastSecond: { t, ...stages, sent: 5, accepted: 5, rejected: 0, errors: 0, late: 0, errorCauses: emptyCauseCounts(), acceptP99: 3, accept201P99: 3, failedMax: null, endToEndP99: null },
    latency: { accept: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 }, accept201: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 }, failed: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 }, endToEnd: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 } },
    queues: [{ consumer: "kitchen_takeout", pending: 1, ackPending: 2, redelivered: 0 }],
    workers: [{ name: "chef_anna", restaurant: "main", orderTypes: ["takeout"], state: t === 1 ? "killed" : "idle", online: true, currentOrder: null, currentForMs: null, ordersCooked: 0, busyMs: 0, heartbeatAgeMs: 0 }],
    services: [],
    deadLetters: 0,
  };
}

describe("RunRecorder", () => {
  it("keeps the kitchen's bars from cooking to ready, and counts every event kind per second, new kinds too", () => {
    const r = new RunRecorder();
    r.handlers.order({ atMs: 100, orderNumber: "A", kind: "placed", by: "order-1" });
    r.handlers.order({ atMs: 200, orderNumber: "A", kind: "cooking", by: "chef_anna" });
    r.handlers.order({ atMs: 1_300, orderNumber: "A", kind: "ready", by: "chef_anna" });
    r.handlers.order({ atMs: 1_400, orderNumber: "B", kind: "cooking", by: "chef_mario" });
    // A kind a later contract may add (a restaurant accepting an order): it gets its own series.
    r.handlers.order({ atMs: 2_500, orderNumber: "B", kind: "restaurant_accepted", by: "r1" });
    expect(r.record.cooks).toEqual([
      { worker: "chef_anna", orderNumber: "A", fromMs: 200, toMs: 1_300 },
      { worker: "chef_mario", orderNumber: "B", fromMs: 1_400, toMs: null },
    ]);
    expect(r.record.eventsPerSecond).toEqual({ placed: [1], cooking: [1, 1], ready: [0, 1], restaurant_accepted: [0, 0, 1] });
  });

  it("draws a run killed before its report from its ticks: per-second figures, thresholds not judged, UNFINISHED", () => {
    const start = { scenario: { name: "k", seed: 1, durationMs: 10_000, phases: [{ startMs: 0, durationMs: 10_000, rate: 5, rampTo: 5, arrival: "constant" as const }], thresholds: { lost: 0, acceptP99Ms: 250 } }, mode: "inprocess" as const, broker: { kind: "local" as const, urls: ["nats://x"] }, runDir: "/tmp/k", plannedOrders: 50, startedAt: 0 };
    const lines = [
      { type: "start", data: start },
      { type: "tick", data: tick(1_000, 5, 0) },
      { type: "tick", data: tick(2_000, 10, 1) },
      { type: "tick", data: tick(3_000, 15, 2) },
    ].map((l) => JSON.stringify({ t: 0, ...l }));
    // The last line was cut short by the kill.
    const record = recordFromTimeline(`${lines.join("\n")}\n{"t":0,"type":"tick","da`);
    expect(record.ticks).toHaveLength(3);
    const page = pageOf(record);
    expect(page.verdict).toBe("UNFINISHED");
    expect(page.seconds).toEqual([0, 1, 2]);
    expect(page.sent).toEqual([5, 5, 5]);
    expect(page.offered).toEqual([5, 5, 5]);
    expect(page.thresholds).toEqual([
      { name: "lost", limit: 0, actual: null, passed: false },
      { name: "acceptP99", limit: 250, actual: null, passed: false },
    ]);
    expect(page.queues).toEqual([{ consumer: "kitchen_takeout", pending: [1, 1, 1], ackPending: [2, 2, 2] }]);
    expect(page.kitchen.states.map((s) => s.state)).toEqual(["idle", "killed", "idle"]);
    expect(page.totals).toContainEqual(["sent", 15]);
    expect(pageOf(record, undefined, true).verdict).toBe("RUNNING");
  });
});
