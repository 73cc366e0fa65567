/**
 * A recorded run for the view tests: plain objects shaped like src/sim/run-events.ts, as the
 * engine would emit them for a 20-second `kitchen-crash`-like scenario:
 *
 *  - chef_anna idle (1-4 s), cooking ORD_20261123_007 (5-8 s), idle again (9 s on);
 *  - at 10 s the scenario kills kitchen/chef_mario (fault + log line); his instance goes
 *    crashed (10-12 s) -> restarting (13 s) -> up (14 s on), the fault ends at 14 s;
 *  - accept p99 climbs over its 250 ms threshold at 11-13 s (a threshold log line at 11 s);
 *  - notifications every second; a dead letter at 16 s;
 *  - `done` with a report whose verdict is valid but which missed the accept p99 threshold.
 */
import { EventEmitter } from "node:events";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import type {
  FaultRecord,
  LatencySummary,
  LogEntry,
  NotificationSample,
  QueueView,
  RunControl,
  RunEventMap,
  RunReport,
  RunStart,
  RunTick,
  SecondSample,
  ServiceView,
  WorkerView,
} from "../../src/sim/telemetry/run-events.js";

export const ORDER = "ORD_20261123_007";

export const START: RunStart = {
  scenario: {
    name: "kitchen-crash",
    description: "Kill chef_mario mid-cook, restart him; nothing lost or cooked twice.",
    seed: 99,
    durationMs: 30_000,
    phases: [
      { startMs: 0, durationMs: 10_000, rate: 2, rampTo: 2, arrival: "constant" },
      { startMs: 10_000, durationMs: 15_000, rate: 4, rampTo: 6, arrival: "poisson" },
    ],
    thresholds: { lost: 0, duplicated: 0, invalid: 0, acceptP99Ms: 250, endToEndP95Ms: 3_000, errorRate: 0.01 },
  },
  mode: "inprocess",
  broker: { kind: "local", urls: ["nats://127.0.0.1:4222"] },
  runDir: "/tmp/pizzeria/runs/kitchen-crash-20261123T120000",
  plannedOrders: 110,
  startedAt: Date.UTC(2026, 10, 23, 12, 0, 0),
};

export function latency(p50: number, p95: number, p99: number, max: number, count = 20): LatencySummary {
  return { count, p50, p95, p99, max, mean: (p50 + p95) / 2 };
}

function second(t: number, rate: number): SecondSample {
  const completed = t < 3 ? 0 : Math.max(0, rate - (t >= 10 && t <= 12 ? 2 : 0));
  return {
    t,
    placed: rate,
    paid: rate,
    cooking: rate,
    ready: completed,
    completed,
    cancelled: t === 15 ? 1 : 0,
    sent: rate,
    accepted: rate,
    rejected: t === 7 ? 1 : 0,
    errors: 0,
    late: 0,
    errorCauses: emptyCauseCounts(),
    acceptP99: 12,
    accept201P99: 12,
    failedMax: null,
    endToEndP99: 1_400,
  };
}

function anna(t: number): WorkerView {
  const cooking = t >= 5 && t <= 8;
  return {
    name: "chef_anna",
    restaurant: "main",
    orderTypes: ["dine_in"],
    state: cooking ? "cooking" : "idle",
    online: true,
    currentOrder: cooking ? ORDER : null,
    currentForMs: cooking ? (t - 5) * 1000 + 400 : null,
    ordersCooked: t >= 9 ? 4 : 3,
    busyMs: 1_000 * Math.min(t, 8),
    heartbeatAgeMs: 300,
  };
}

function mario(t: number): WorkerView {
  const killed = t >= 10 && t <= 12;
  const restarting = t === 13;
  return {
    name: "chef_mario",
    restaurant: "main",
    orderTypes: ["dine_in", "takeout", "delivery"],
    state: killed ? "killed" : restarting ? "restarting" : t % 2 === 0 ? "cooking" : "idle",
    online: !killed && !restarting,
    currentOrder: !killed && !restarting && t % 2 === 0 ? `ORD_20261123_${String(20 + t).padStart(3, "0")}` : null,
    currentForMs: !killed && !restarting && t % 2 === 0 ? 250 : null,
    ordersCooked: 2 * t,
    busyMs: 600 * t,
    heartbeatAgeMs: killed ? (t - 9) * 1000 : 200,
  };
}

function luigi(t: number): WorkerView {
  return {
    name: "chef_luigi",
    restaurant: "main",
    orderTypes: ["takeout", "delivery"],
    state: "idle",
    online: true,
    currentOrder: null,
    currentForMs: null,
    ordersCooked: t,
    busyMs: 400 * t,
    heartbeatAgeMs: 500,
  };
}

function services(t: number): ServiceView[] {
  const marioState: ServiceView["state"] = t >= 10 && t <= 12 ? "crashed" : t === 13 ? "restarting" : "up";
  const svc = (service: ServiceView["service"], instance: string, state: ServiceView["state"] = "up", restarts = 0): ServiceView => ({
    id: `${service}/${instance}`,
    service,
    instance,
    state,
    restarts,
  });
  return [
    svc("order", "order-1"),
    svc("payment", "payment-1"),
    svc("kitchen", "chef_anna"),
    svc("kitchen", "chef_mario", marioState, t >= 14 ? 1 : 0),
    svc("kitchen", "chef_luigi"),
    svc("tracking", "tracking-1"),
    svc("notification", "notification-1"),
  ];
}

function queues(t: number): QueueView[] {
  const backlog = t >= 10 && t <= 13 ? (t - 9) * 3 : 0;
  return [
    { consumer: "payment", pending: 0, ackPending: 0, redelivered: 0 },
    { consumer: "kitchen_dine_in", pending: backlog, ackPending: t >= 5 && t <= 8 ? 1 : 0, redelivered: t >= 10 ? 2 : 0 },
    { consumer: "kitchen_takeout", pending: Math.floor(backlog / 2), ackPending: 0, redelivered: 0 },
    { consumer: "kitchen_delivery", pending: 0, ackPending: 0, redelivered: 0 },
    { consumer: "order_order-1", pending: 0, ackPending: 0, redelivered: 0 },
    { consumer: "tracking_tracking-1", pending: 1, ackPending: 0, redelivered: 0 },
    { consumer: "notification_notification-1", pending: 2, ackPending: 0, redelivered: 0 },
  ];
}

export function tick(t: number): RunTick {
  const rate = t <= 10 ? 2 : 4 + Math.round(((t - 10) / 15) * 2);
  const sent = t <= 10 ? 2 * t : 20 + (t - 10) * 5;
  const slow = t >= 11 && t <= 13;
  return {
    elapsedMs: t * 1000,
    state: "running",
    phaseIndex: t < 10 ? 0 : 1,
    targetRate: rate,
    totals: {
      sent,
      accepted: sent - 1,
      rejected: t >= 7 ? 1 : 0,
      errors: 0,
      late: 0,
      errorCauses: emptyCauseCounts(),
      inFlight: 3,
      stages: { placed: sent - 1, paid: sent - 1, cooking: sent - 2, ready: sent - 3, completed: sent - 4, cancelled: t >= 15 ? 1 : 0 },
    },
    lastSecond: second(t - 1, rate),
    latency: {
      accept: slow ? latency(40, 210, 320, 410) : latency(4, 9, 12, 30),
      accept201: slow ? latency(40, 210, 320, 410) : latency(4, 9, 12, 30),
      failed: latency(0, 0, 0, 0, 0),
      endToEnd: latency(1_100, 1_900, 2_300, 2_800),
    },
    queues: queues(t),
    workers: [anna(t), mario(t), luigi(t)],
    services: services(t),
    deadLetters: t >= 16 ? 1 : 0,
  };
}

export const KILL_FAULT: FaultRecord = {
  id: "fault-1",
  kind: "kill",
  target: "kitchen/chef_mario",
  source: "scenario",
  startedAtMs: 10_000,
  endedAtMs: null,
  detail: "SIGKILL, restart after 4s",
  inFlightAtStart: 3,
};

export const KILL_FAULT_ENDED: FaultRecord = { ...KILL_FAULT, endedAtMs: 14_000 };

export function log(atMs: number, level: LogEntry["level"], kind: LogEntry["kind"], message: string): LogEntry {
  return { atMs, level, kind, message };
}

export function notification(t: number): NotificationSample {
  return {
    atMs: t * 1000,
    line: `Notification for order ORD_20261123_${String(t).padStart(3, "0")}: Status changed from 'received' to 'cooking' by chef_anna.`,
  };
}

export const REPORT: RunReport = {
  scenario: "kitchen-crash",
  seed: 99,
  file: "scenarios/kitchen-crash.yaml",
  runDir: START.runDir,
  mode: "inprocess",
  broker: START.broker,
  startedAt: new Date(START.startedAt).toISOString(),
  durationMs: 24_600,
  verdict: {
    valid: true,
    lost: 0,
    duplicated: 0,
    invalid: 0,
    unexpected: 0,
    notificationsMissing: 0,
    notificationsDuplicated: 0,
    rejectedNot4xx: 0,
    unfinished: 0,
    serverErrors: 0,
    deadLettered: 0,
    poisonUnhandled: 0,
    subscribersSilent: 0,
    orderInstancesSilent: 0,
    readModelsStale: 0,
    readModelsWrong: 0,
    printedMissing: 0,
    printedDuplicated: 0,
    printedWrong: 0,
    chargedTwice: 0,
    chargedUnknown: 0,
    chargeWrong: 0,
    refundUnmatched: 0,
    payloadsWrong: 0,
    checkoutsUnmatched: 0,
    checkoutsMispriced: 0,
    customerViewsWrong: 0,
    reportsWrong: 0,
    cookedElsewhere: 0,
    refundsWrong: 0,
    journeyOrdersWrong: 0,
    journeysTrackedWrong: 0,
    collected: { readModelOrders: 69, printedLines: 544, ledgerEntries: 68, requestBodies: 69 },
    drained: true,
    findings: {},
  },
  orders: { planned: 110, sent: 70, accepted: 69, rejected: 1, errors: 0, late: 0, placedElsewhere: 0, indeterminate: 0, completed: 68, cancelled: 1 },
  errors: { count: 0, byCause: emptyCauseCounts(), retryAfter: {} },
  latency: { accept: latency(4, 30, 320, 410, 70), accept201: latency(4, 30, 320, 410, 69), failed: latency(0, 0, 0, 0, 0), endToEnd: latency(1_100, 1_900, 2_300, 2_800, 68), ready: latency(900, 1_700, 2_100, 2_600, 68) },
  throughput: { acceptedPerSecond: 3.45, completedPerSecond: 3.4, perSecond: [] },
  drain: { drained: true, ms: 1_800, timeoutMs: 40_000 },
  workers: [
    { name: "chef_anna", restaurant: "main", orderTypes: ["dine_in"], ordersCooked: 4, busyMs: 8_000, utilisation: 0.33, state: "idle" },
    { name: "chef_mario", restaurant: "main", orderTypes: ["dine_in", "takeout", "delivery"], ordersCooked: 40, busyMs: 12_000, utilisation: 0.49, state: "idle" },
    { name: "chef_luigi", restaurant: "main", orderTypes: ["takeout", "delivery"], ordersCooked: 20, busyMs: 8_000, utilisation: 0.33, state: "idle" },
  ],
  services: services(20),
  faults: [KILL_FAULT_ENDED],
  deadLetters: 1,
  thresholds: [
    { name: "lost", limit: 0, actual: 0, passed: true },
    { name: "duplicated", limit: 0, actual: 0, passed: true },
    { name: "invalid", limit: 0, actual: 0, passed: true },
    { name: "acceptP99Ms", limit: 250, actual: 320, passed: false },
    { name: "endToEndP95Ms", limit: 3_000, actual: 1_900, passed: true },
    { name: "errorRate", limit: 0.01, actual: 0, passed: true },
  ],
  passed: false,
  exitCode: 1,
};

export type RecordedEvent = { [K in keyof RunEventMap & string]: { event: K; args: RunEventMap[K] } }[
  "start" | "tick" | "fault" | "log" | "notification" | "done"
];

/** The whole run in emission order; `ticks[t]` is the index of the tick at t seconds. */
export function recordedRun(): { events: RecordedEvent[]; tickIndex: Map<number, number> } {
  const events: RecordedEvent[] = [{ event: "start", args: [START] }];
  const tickIndex = new Map<number, number>();
  for (let t = 1; t <= 20; t++) {
    if (t === 10) {
      events.push({ event: "fault", args: [KILL_FAULT] });
      events.push({ event: "log", args: [log(10_000, "warn", "fault", "killed kitchen/chef_mario (SIGKILL) holding 2 orders")] });
      events.push({ event: "log", args: [log(10_050, "error", "service", "kitchen/chef_mario crashed (signal SIGKILL)")] });
    }
    if (t === 11) events.push({ event: "log", args: [log(11_000, "warn", "threshold", "accept p99 320ms over its 250ms limit")] });
    if (t === 13) events.push({ event: "log", args: [log(13_000, "info", "service", "kitchen/chef_mario restarting")] });
    if (t === 14) {
      events.push({ event: "log", args: [log(14_000, "info", "service", "kitchen/chef_mario up again (restart 1)")] });
      events.push({ event: "fault", args: [KILL_FAULT_ENDED] });
      events.push({ event: "log", args: [log(14_100, "info", "threshold", "accept p99 back under its 250ms limit")] });
    }
    if (t === 16) events.push({ event: "log", args: [log(16_000, "error", "dead_letter", "kitchen_dine_in gave up on ORD_20261123_031 after 5 deliveries")] });
    events.push({ event: "notification", args: [notification(t)] });
    tickIndex.set(t, events.length);
    events.push({ event: "tick", args: [tick(t)] });
  }
  events.push({ event: "log", args: [log(20_500, "info", "run", "load finished; draining")] });
  events.push({ event: "done", args: [REPORT] });
  return { events, tickIndex };
}

export interface ControlCall {
  method: keyof RunControl;
  args: unknown[];
}

/** A run as the dashboard sees it: an EventEmitter<RunEventMap> plus a RunControl that records calls. */
export class FakeRun extends EventEmitter<RunEventMap> implements RunControl {
  readonly calls: ControlCall[] = [];
  /** How inject answers (default: a manual fault record). */
  injectImpl: (fault: { kind: string; target: string | null; forMs?: number }) => Promise<FaultRecord> = async (fault) => ({
    id: `manual-${this.calls.length}`,
    kind: fault.kind,
    target: fault.target,
    source: "manual",
    startedAtMs: 12_000,
    endedAtMs: null,
    detail: "injected from the dashboard",
  });

  pauseLoad(): void {
    this.calls.push({ method: "pauseLoad", args: [] });
  }
  resumeLoad(): void {
    this.calls.push({ method: "resumeLoad", args: [] });
  }
  inject(fault: { kind: string; target: string | null; forMs?: number }): Promise<FaultRecord> {
    this.calls.push({ method: "inject", args: [fault] });
    return this.injectImpl(fault);
  }
  finish(): void {
    this.calls.push({ method: "finish", args: [] });
  }

  /** Emit recorded events [from, to). */
  replay(events: readonly RecordedEvent[], from = 0, to = events.length): void {
    for (const e of events.slice(from, to)) (this.emit as (event: string, ...args: unknown[]) => boolean)(e.event, ...e.args);
  }
}
