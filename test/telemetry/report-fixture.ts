/** Hand-made inputs of a small finished run, for the report builder. */
import type { WorkerRecord } from "../../src/services/shared/contracts.js";
import type { Verdict } from "../../src/sim/check/checker-types.js";
import { errorCauseOf } from "../../src/sim/load/error-causes.js";
import { Metrics } from "../../src/sim/telemetry/metrics.js";
import { OrderLedger } from "../../src/sim/telemetry/order-ledger.js";
import type { ReportInputs } from "../../src/sim/telemetry/report.js";

export function verdictOf(lost: Verdict["lost"] = []): Verdict {
  return {
    valid: lost.length === 0,
    lost,
    duplicated: [],
    invalid: [],
    unexpected: [],
    notifications: { missing: [], duplicated: [] },
    rejections: { total: 1, not4xx: [] },
    indeterminate: 0,
    unfinished: [],
    serverErrors: [],
    deadLettered: [],
    poisonUnhandled: [],
    subscribersSilent: [],
    orderInstancesSilent: [],
    readModels: { stale: [], wrong: [] },
    printed: { missing: [], duplicated: [], wrong: [] },
    payments: { chargedTwice: [], chargedUnknown: [], chargeWrong: [], refundUnmatched: [] },
    payloadsWrong: [],
    checkouts: { unmatched: [], mispriced: [], viewsWrong: [] },
    restaurants: { cookedElsewhere: [], refundsWrong: [] },
    reports: { wrong: [], expected: null },
    journeys: { ordersWrong: [], trackedWrong: [] },
    collected: { readModelOrders: 0, printedLines: 0, ledgerEntries: 0, requestBodies: 0 },
    counts: { requested: 4, accepted: 3, rejected: 1, completed: 2, cancelled: 1, inFlight: 0, events: 12, poison: 0 },
  };
}

function worker(name: string, busyMs: number, cooked: number): WorkerRecord {
  return {
    name,
    order_types: ["takeout"],
    state: "idle",
    current_order: null,
    current_since: null,
    orders_cooked: cooked,
    busy_ms: busyMs,
    held: 0,
    prefetch: 1,
    heartbeat_interval_ms: 1000,
    last_seen: "2025-01-02T03:04:10.000Z",
    started_at: "2025-01-02T03:04:00.000Z",
    hostname: "h",
    pid: 1,
  };
}

/**
 * Three valid requests over 4 s of load (two answered 201 in the first second, one 503) and one
 * invalid one refused with 400; two orders completed, one fault from 1 s to 2 s.
 */
export function smallRun(overrides: Partial<ReportInputs> = {}): ReportInputs {
  const metrics = new Metrics();
  const ledger = new OrderLedger();
  const answers = [
    { requestId: "r1", valid: true, status: 201, orderNumber: "A", sentMs: 100, latencyMs: 20 },
    { requestId: "r2", valid: true, status: 201, orderNumber: "B", sentMs: 300, latencyMs: 40 },
    { requestId: "r3", valid: true, status: 503, sentMs: 1_500, latencyMs: 5 },
    { requestId: "bad", valid: false, status: 400, sentMs: 2_500, latencyMs: 3 },
  ];
  for (const a of answers) {
    ledger.planned(a.requestId, a.sentMs);
    metrics.sent(a.sentMs, false);
    metrics.outcome(a.sentMs, { status: a.status, cause: errorCauseOf(a.valid, a.status), latencyMs: a.latencyMs, ...(a.status === 503 ? { retryAfter: "1" } : {}) });
    if (a.orderNumber) ledger.accepted(a.orderNumber, a.requestId, a.sentMs);
  }
  metrics.stage(1_200, "completed");
  metrics.latency(1_200, "endToEnd", 1_100);
  metrics.stage(3_400, "completed");
  metrics.latency(3_400, "endToEnd", 3_100);
  return {
    scenario: { name: "small", seed: 7, file: "scenarios/small.yaml", durationMs: 4_000, drainTimeoutMs: 30_000, expect: { lost: 0, duplicated: 0, invalid: 0, errorRate: 0.5, minThroughput: 1 } },
    runDir: "runs/x-small",
    mode: "inprocess",
    broker: { kind: "local", urls: ["nats://127.0.0.1:4222"] },
    startedAt: Date.parse("2025-01-02T03:04:05.000Z"),
    durationMs: 8_000,
    loadClockMs: 4_200,
    observe: false,
    plannedOrders: 4,
    answers,
    verdict: verdictOf(),
    drain: { drained: true, ms: 900 },
    metrics,
    ledger,
    workers: [
      { record: worker("w1", 2_000, 2), state: "idle" },
      { record: worker("w2", 0, 0), state: "killed" },
    ],
    services: [{ id: "order/order-1", service: "order", instance: "order-1", state: "up", restarts: 0 }],
    faults: [{ id: "f1", kind: "kill", target: "kitchen/w2", source: "scenario", startedAtMs: 1_000, endedAtMs: 2_000, detail: "killed w2" }],
    backlog: [
      { atMs: 1_000, inFlight: 1 },
      { atMs: 2_000, inFlight: 1 },
      { atMs: 3_000, inFlight: 0 },
    ],
    deadLetters: 0,
    deadLetterSamples: [],
    ...overrides,
  };
}
