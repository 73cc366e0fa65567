/**
 * The typed events a run emits, autocannon-style: the engine emits `start`, `tick`, ..., `done`;
 * printers and the Ink dashboard only listen. Everything here is plain data (serialisable to the
 * run's ndjson timeline), so a recorded run can be replayed into a view.
 */
import type { OrderType, ServiceName, WorkerState } from "../../services/shared/contracts.js";
import type { ErrorCauseCounts } from "../load/error-causes.js";
import type { Phase, Thresholds } from "../scenario/scenario.js";
import type { RunMode } from "../scenario/run-mode.js";
import type { Finding } from "../check/checker-types.js";
import type { Reports } from "../../services/reporting/figures.js";
import type { JourneyFigures } from "./journey-types.js";

export type { RunMode } from "../scenario/run-mode.js";
export type RunState = "starting" | "running" | "paused" | "draining" | "checking" | "done";

/** `version`: the nats-server version the harness's connection was told (`2.15.1`); absent in older reports. */
export interface BrokerDescription { kind: "local" | "cluster" | "external"; urls: string[]; version?: string }

/** A load phase as the scenario gives it (offsets and durations in ms). */
export type PhaseView = Phase;

/** Scenario thresholds, normalised to milliseconds (absent = not checked). */
export type ThresholdLimits = Thresholds;

export interface RunStart {
  scenario: {
    name: string;
    description?: string;
    seed: number;
    /** Load plus idle tail, as the scenario says. */
    durationMs: number;
    phases: PhaseView[];
    thresholds: ThresholdLimits;
  };
  mode: RunMode;
  broker: BrokerDescription;
  runDir: string;
  plannedOrders: number;
  /** Wall-clock time (epoch ms) of load offset 0. */
  startedAt: number;
  /** Base URLs of the order and tracking APIs. */
  endpoints?: {
    order: string[];
    tracking: string[];
    restaurant?: string[];
    customer?: string[];
    reporting?: string[];
    /** Every instance's GET /metrics (Prometheus text), for a scrape config. */
    metrics?: Array<{ service: string; instance: string; url: string }>;
  };
  /** The git commit the harness was built from (short), when it runs from a git checkout. */
  commit?: string;
}

/** One order event of this run's orders as the harness saw it (the kitchen timeline's bars are made of these). */
export interface OrderEventSample {
  /** Load offset at which the stream stored it. */
  atMs: number;
  orderNumber: string;
  /** The contract's event kind (contracts.ts EVENT_KINDS). */
  kind: string;
  /** Who decided it: a kitchen worker's name for cooking and ready. */
  by: string;
}

export interface LatencySummary { count: number; p50: number; p95: number; p99: number; max: number; mean: number }

export const STAGES = ["placed", "paid", "cooking", "ready", "completed", "cancelled"] as const;
export type Stage = (typeof STAGES)[number];
export type StageCounts = Record<Stage, number>;

/**
 * Requests sent, answered 201, rejected as meant (4xx to an invalid request), failed (any other
 * answer, or none: `errorCauses` says which), sent late: in one second, or since the start.
 */
export interface RequestCounts {
  sent: number;
  accepted: number;
  rejected: number;
  errors: number;
  late: number;
  errorCauses: ErrorCauseCounts;
}

/** What happened in one second of the run (second `t` counts from load start). */
export interface SecondSample extends StageCounts, RequestCounts {
  t: number;
  /** Accept p99 over every answer (any status), and over 201s only (ms). */
  acceptP99: number | null;
  accept201P99: number | null;
  /** The longest time to failure of the requests that got no answer (ms). */
  failedMax: number | null;
  endToEndP99: number | null;
  /** Accept (any answer) and end-to-end p50 and p95 of the second, for the latency-over-time charts (absent in older reports). */
  acceptP50?: number | null;
  acceptP95?: number | null;
  endToEndP50?: number | null;
  endToEndP95?: number | null;
}

/** A latency distribution as counts in buckets: `counts[i]` latencies were at most `upToMs[i]` (and above the bucket before). */
export interface LatencyHistogram {
  upToMs: number[];
  counts: number[];
}

/**
 * Latency from the scheduled time: to any answer (the headline), to a 201 only, to the failure of
 * a request that got no answer, and end to end.
 */
export interface RollingLatency {
  accept: LatencySummary;
  accept201: LatencySummary;
  failed: LatencySummary;
  endToEnd: LatencySummary;
}

export interface QueueView {
  consumer: string;
  /** Messages not yet delivered to anyone. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
  redelivered: number;
  delivered?: number; // deliveries to it so far, redeliveries included (its consumer sequence); absent in older records
}

export type WorkerViewState = WorkerState | "killed" | "restarting" | "paused" | "unknown";

export interface WorkerView {
  name: string;
  /** The restaurant whose kitchen it cooks in. */
  restaurant: string;
  orderTypes: OrderType[];
  state: WorkerViewState;
  online: boolean;
  currentOrder: string | null;
  /** How long the current order has been cooking. */
  currentForMs: number | null;
  ordersCooked: number;
  busyMs: number;
  heartbeatAgeMs: number | null;
}

export type ServiceState = "starting" | "up" | "stopping" | "stopped" | "crashed" | "failed" | "paused" | "restarting";

export interface ServiceView {
  id: string;
  service: ServiceName;
  instance: string;
  state: ServiceState;
  restarts: number;
  url?: string;
  pid?: number;
}

export interface RunTick {
  /** Since load start. */
  elapsedMs: number;
  state: RunState;
  phaseIndex: number;
  targetRate: number;
  totals: RequestCounts & {
    /** Accepted (or created without an answer) and not yet completed or cancelled. */
    inFlight: number;
    stages: StageCounts;
  };
  /** The most recent complete second. */
  lastSecond: SecondSample;
  /** Over the rolling window (the last 10 s). */
  latency: RollingLatency;
  queues: QueueView[];
  workers: WorkerView[];
  services: ServiceView[];
  deadLetters: number;
  /** Each restaurant's figures so far (the restaurant service's answers, the orders it finished). */
  restaurants?: RestaurantFigures[];
  /** With `journeys:`: each journey kind's counts and step latencies so far. */
  journeys?: JourneyFigures;
}

/** One restaurant's orders as the stream has told them (its events counted as they come). */
export interface RestaurantFigures {
  id: string;
  placed: number;
  accepted: number;
  rejected: number;
  refunded: number;
  completed: number;
  cancelled: number;
  /** Orders completed in the last tick's second. */
  completedPerSecond: number;
}

export type FaultSource = "scenario" | "manual";

export interface FaultRecord {
  id: string;
  kind: string;
  target: string | null;
  source: FaultSource;
  /** Offsets from load start. */
  startedAtMs: number;
  endedAtMs: number | null;
  detail: string;
  /** Set when the fault could not be injected (and why). */
  error?: string;
  /** Orders accepted but not finished, plus requests awaiting an answer, when it hit. */
  inFlightAtStart?: number;
  /** How the system came back (filled in by the report). */
  recovery?: RecoveryFigures;
}

export interface RecoveryFigures {
  /** Finished orders per second over the 5 s before the fault. */
  baselinePerSecond: number;
  /** From the fault's start until finished orders per second are back within 10% of the baseline (null: never, or no baseline). */
  throughputRecoveredAfterMs: number | null;
  /** From the fault's start until the backlog (orders in flight and requests awaiting an answer) is back to what it was when it hit (null: never). */
  backlogDrainedAfterMs: number | null;
  /** Peak of the backlog (orders in flight and requests awaiting an answer) during and after the fault, until drained. */
  peakInFlight: number;
  /** Orders in flight when it hit or accepted while it lasted. */
  touchedOrders: number;
  /** What the checker found among those orders. */
  findings: { lost: number; duplicated: number; invalid: number };
}

export type LogKind = "run" | "phase" | "fault" | "service" | "threshold" | "dead_letter" | "restaurant";

export interface LogEntry {
  atMs: number;
  level: "info" | "warn" | "error";
  kind: LogKind;
  message: string;
}

export interface NotificationSample {
  atMs: number;
  line: string;
}

/** Commands a view (keys) or another terminal can give a running run. */
export interface RunControl {
  pauseLoad(): void;
  resumeLoad(): void;
  /** Inject a fault now; it is recorded like a scripted one, with source "manual". */
  inject(fault: { kind: string; target: string | null; forMs?: number }): Promise<FaultRecord>;
  /** Stop the load early, then drain, check and report as usual. */
  finish(): void;
}

export interface ThresholdResult {
  name: string;
  limit: number;
  actual: number | null;
  passed: boolean;
}

export interface WorkerSummary {
  name: string;
  restaurant: string;
  orderTypes: OrderType[];
  ordersCooked: number;
  busyMs: number;
  /** busyMs over the time the run lasted. */
  utilisation: number;
  state: WorkerViewState;
}

/** A finding as the report keeps it: the checker's own (its `source` included), not a copy of its fields. */
export type FindingSummary = Finding;

/** The machine-readable report (`--report file.json`), also what the summary shows. */
export interface RunReport {
  scenario: string;
  /** Set when the run had a TEST-ONLY deliberate bug switched on (PIZZERIA_MUTANT, `pizzeria selftest`): its name. */
  mutant?: string;
  /** Per restaurant (runs with restaurants): its orders placed, accepted, rejected, refunded, completed, cancelled, and completions per second of load. */
  restaurants?: RestaurantFigures[];
  /** The back office's reports (restaurants, workers, daily, customers) as the stream gives them; the checker found each reporting instance's equal (or said where not). Absent: no reporting service ran. */
  reports?: Reports;
  /** With `journeys:`: per journey kind started, completed, abandoned, failed, duration, checkout to completed, and per step latency and errors. */
  journeys?: JourneyFigures;
  seed: number;
  file?: string;
  runDir: string;
  mode: RunMode;
  broker: BrokerDescription;
  startedAt: string;
  /** Load start to end of checking. */
  durationMs: number;
  verdict: {
    valid: boolean;
    /** Counts of findings, then up to 50 of each. */
    lost: number;
    duplicated: number;
    invalid: number;
    unexpected: number;
    notificationsMissing: number;
    notificationsDuplicated: number;
    rejectedNot4xx: number;
    // Issue 13: what a run may not leave unexplained.
    /** Orders still on their way when the drain timed out (slow, not lost). */
    unfinished: number;
    /** Valid requests answered with a 5xx. */
    serverErrors: number;
    /** Dead letters the run did not cause. */
    deadLettered: number;
    /** Poison nobody injected, or injected poison not dead-lettered exactly once per consumer. */
    poisonUnhandled: number;
    /** Notification subscribers that did not say what they announced. */
    subscribersSilent: number;
    /** Order instances that did not say what they hold. */
    orderInstancesSilent: number;
    // What else the services said (read models, printed lines, the payment ledger, payloads).
    readModelsStale: number;
    readModelsWrong: number;
    printedMissing: number;
    printedDuplicated: number;
    printedWrong: number;
    chargedTwice: number;
    chargedUnknown: number;
    chargeWrong: number;
    refundUnmatched: number;
    payloadsWrong: number;
    /** Carts: checkouts without exactly one order, orders not priced by the menu, customer read models that disagree with the stream. */
    checkoutsUnmatched: number;
    checkoutsMispriced: number;
    customerViewsWrong: number;
    /** Orders cooked by another restaurant's kitchen. */
    cookedElsewhere: number;
    /** Rejected orders not refunded exactly once, or cooked anyway. */
    refundsWrong: number;
    /** Reporting figures that disagree with the stream. */
    reportsWrong: number;
    /** Journeys: orders not made exactly as the journeys checked out (an abandoned cart's); tracked orders not seen to finish, or seen out of the stream's order. */
    journeyOrdersWrong: number;
    journeysTrackedWrong: number;
    /** How much of each was collected: read-model orders, printed lines, ledger entries, request bodies. */
    collected: { readModelOrders: number; printedLines: number; ledgerEntries: number; requestBodies: number; checkouts?: number };
    drained: boolean;
    findings: Record<string, FindingSummary[]>;
  };
  orders: {
    planned: number;
    sent: number;
    accepted: number;
    rejected: number;
    errors: number;
    late: number;
    /** Orders someone else placed (with `up`: curl, a browser, a load tool) that the run saw and checked. */
    placedElsewhere: number;
    indeterminate: number;
    completed: number;
    cancelled: number;
  };
  /** Errors by cause; `byCause` sums to `orders.errors`. */
  errors: {
    count: number;
    byCause: ErrorCauseCounts;
    /** The Retry-After values the 503s carried, by value ("none": without one). */
    retryAfter: Record<string, number>;
  };
  /**
   * From each request's scheduled time (ms): `accept` to any answer, whatever its status (the
   * headline, judged by acceptP50/95/99); `accept201` to 201s only; `failed` to the failure of a
   * request that got no answer (refused, reset, timed out, no service up); then `ready` and
   * `endToEnd` (to `completed`).
   */
  latency: { accept: LatencySummary; accept201: LatencySummary; failed: LatencySummary; endToEnd: LatencySummary; ready: LatencySummary };
  /** The accept and end-to-end latencies of the whole run as histograms (for the HTML report; absent in older reports). */
  distribution?: { accept: LatencyHistogram; endToEnd: LatencyHistogram };
  throughput: { acceptedPerSecond: number; completedPerSecond: number; perSecond: SecondSample[] };
  drain: { drained: boolean; ms: number; timeoutMs: number };
  workers: WorkerSummary[];
  services: ServiceView[];
  faults: FaultRecord[];
  deadLetters: number;
  /** The first dead letters (up to 50): which consumer gave up on what, and why. `pizzeria dlq list` shows them all. */
  deadLetterSamples?: Array<{ consumer: string; subject: string; reason: string; at: string }>;
  thresholds: ThresholdResult[];
  passed: boolean;
  exitCode: 0 | 1;
}

/** The event map of a run (for `EventEmitter<RunEventMap>`). */
export interface RunEventMap {
  start: [RunStart];
  tick: [RunTick];
  fault: [FaultRecord];
  log: [LogEntry];
  notification: [NotificationSample];
  order: [OrderEventSample];
  done: [RunReport];
}
