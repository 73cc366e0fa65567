import { describe, expect, it } from "vitest";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import { buildReport } from "../../src/sim/telemetry/report.js";
import { smallRun, verdictOf } from "./report-fixture.js";

describe("buildReport", () => {
  it("lays the report out in its fixed order of sections", () => {
    expect(Object.keys(buildReport(smallRun()))).toEqual([
      "scenario",
      "seed",
      "file",
      "runDir",
      "mode",
      "broker",
      "startedAt",
      "durationMs",
      "verdict",
      "orders",
      "errors",
      "latency",
      "throughput",
      "drain",
      "workers",
      "services",
      "faults",
      "deadLetters",
      "deadLetterSamples",
      "thresholds",
      "passed",
      "exitCode",
    ]);
  });

  it("counts the orders from the metrics, the ledger and the verdict", () => {
    const r = buildReport(smallRun());
    expect(r.startedAt).toBe("2025-01-02T03:04:05.000Z");
    expect(r.orders).toEqual({ planned: 4, sent: 4, accepted: 2, rejected: 1, errors: 1, late: 0, placedElsewhere: 0, indeterminate: 0, completed: 2, cancelled: 1 });
    // The 503 is an error by its cause, with the Retry-After it carried.
    expect(r.errors).toEqual({ count: 1, byCause: { ...emptyCauseCounts(), status503: 1 }, retryAfter: { "1": 1 } });
    // accept is every answer (the two 201s, the 503 and the 400); accept201 the 201s alone; nothing went unanswered.
    expect(r.latency.accept).toMatchObject({ count: 4, max: 40 });
    expect(r.latency.accept201).toMatchObject({ count: 2, max: 40 });
    expect(r.latency.failed).toMatchObject({ count: 0 });
    expect(r.latency.endToEnd).toMatchObject({ count: 2, max: 3100 });
    expect(r.drain).toEqual({ drained: true, ms: 900, timeoutMs: 30_000 });
    expect(r.verdict).toMatchObject({ valid: true, lost: 0, drained: true });
  });

  it("rates over the scenario's duration, or over the time `up` ran", () => {
    // 2 accepted and 2 completed; the load clock ran 4.2 s past a 4 s scenario.
    const scripted = buildReport(smallRun());
    expect(scripted.throughput).toMatchObject({ acceptedPerSecond: 0.5, completedPerSecond: 0.5 });
    expect(scripted.throughput.perSecond.map((s) => s.t)).toEqual([0, 1, 2, 3]);
    expect(buildReport(smallRun({ observe: true })).throughput).toMatchObject({ acceptedPerSecond: 0.48, completedPerSecond: 0.48 });
    // Never over less than a second.
    expect(buildReport(smallRun({ loadClockMs: 200 })).throughput).toMatchObject({ acceptedPerSecond: 2 });
  });

  it("gives each worker its utilisation over the run and the state it was given", () => {
    expect(buildReport(smallRun()).workers).toEqual([
      { name: "w1", restaurant: "main", orderTypes: ["takeout"], ordersCooked: 2, busyMs: 2000, utilisation: 0.25, state: "idle" },
      { name: "w2", restaurant: "main", orderTypes: ["takeout"], ordersCooked: 0, busyMs: 0, utilisation: 0, state: "killed" },
    ]);
  });

  it("adds how the system came back to each fault", () => {
    const [fault] = buildReport(smallRun()).faults;
    expect(fault).toMatchObject({ id: "f1", kind: "kill", startedAtMs: 1000, endedAtMs: 2000 });
    expect(fault.recovery).toEqual({
      baselinePerSecond: 0,
      throughputRecoveredAfterMs: null,
      backlogDrainedAfterMs: 1000,
      peakInFlight: 1,
      touchedOrders: 2,
      findings: { lost: 0, duplicated: 0, invalid: 0 },
    });
  });

  it("passes only when the verdict is valid and every threshold holds", () => {
    const r = buildReport(smallRun());
    // One wrong answer (the 503) in four; 0.5 completed orders a second against at least 1.
    expect(r.thresholds).toEqual([
      { name: "lost", limit: 0, actual: 0, passed: true },
      { name: "duplicated", limit: 0, actual: 0, passed: true },
      { name: "invalid", limit: 0, actual: 0, passed: true },
      { name: "errorRate", limit: 0.5, actual: 0.25, passed: true },
      { name: "minThroughput", limit: 1, actual: 0.5, passed: false },
    ]);
    expect([r.passed, r.exitCode]).toEqual([false, 1]);

    const lenient = { name: "small", seed: 7, file: "f", durationMs: 4_000, drainTimeoutMs: 30_000, expect: { lost: 0 } };
    const clean = buildReport(smallRun({ scenario: lenient }));
    expect([clean.passed, clean.exitCode]).toEqual([true, 0]);
    const lost = buildReport(smallRun({ scenario: lenient, verdict: verdictOf([{ orderNumber: "A", reason: "the stream leaves it at cooking" }]) }));
    expect([lost.passed, lost.exitCode, lost.verdict.lost]).toEqual([false, 1, 1]);
    expect(lost.thresholds).toEqual([{ name: "lost", limit: 0, actual: 1, passed: false }]);
  });

  it("takes no error rate from a run that sent nothing", () => {
    const r = buildReport(smallRun({ answers: [] }));
    expect(r.thresholds.find((t) => t.name === "errorRate")).toEqual({ name: "errorRate", limit: 0.5, actual: 0, passed: true });
  });

  it("counts each of issue 13's findings in the verdict and keeps their first findings", () => {
    const unfinished = Array.from({ length: 60 }, (_, i) => ({ orderNumber: `ORD_${i}`, reason: "the stream leaves it at paid (still on its way when the drain timed out)" }));
    const verdict = { ...verdictOf(), valid: false, unfinished, deadLettered: [{ orderNumber: "ORD_7", consumer: "order_order-1", streamSeq: 9, reason: "dead-lettered" }] };
    const v = buildReport(smallRun({ verdict })).verdict;
    expect(v).toMatchObject({ valid: false, unfinished: 60, serverErrors: 0, deadLettered: 1, poisonUnhandled: 0, subscribersSilent: 0, orderInstancesSilent: 0 });
    expect(v.findings["unfinished"]).toHaveLength(50);
    expect(v.findings["deadLettered"]).toEqual(verdict.deadLettered);
  });
});
