import type { WorkerRecord } from "../../services/shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../../services/shared/menus.js";
import type { Verdict } from "../check/checker.js";
import { limitOf, THRESHOLDS, type RunFigures, type ThresholdRow } from "../scenario/thresholds.js";
import type { Scenario } from "../scenario/scenario.js";
import type { Metrics } from "./metrics.js";
import type { OrderLedger } from "./order-ledger.js";
import { recoveryOf, type BacklogSample } from "./recovery.js";
import type { JourneyFigures } from "./journey-types.js";
import type {
  BrokerDescription,
  FaultRecord,
  LatencySummary,
  RestaurantFigures,
  RunMode,
  RunReport,
  ServiceView,
  ThresholdLimits,
  ThresholdResult,
  WorkerViewState,
} from "./run-events.js";

export interface ThresholdInputs {
  verdict: Verdict;
  accept: LatencySummary;
  endToEnd: LatencySummary;
  /** Requests that did not get the answer they should have (valid -> 201, invalid -> 4xx), over requests sent. */
  errorRate: number;
  /** Completed orders per second of load. */
  throughput: number;
}

/** Each threshold the scenario set, with the figure it was compared to, in the threshold table's order. */
export function evaluateThresholds(limits: ThresholdLimits, x: ThresholdInputs): ThresholdResult[] {
  const figures: RunFigures = { ...x, lost: x.verdict.lost.length, duplicated: x.verdict.duplicated.length, invalid: x.verdict.invalid.length };
  const results: ThresholdResult[] = [];
  for (const t of THRESHOLDS) {
    const limit = limitOf(limits, t);
    if (limit === undefined) continue;
    const figure = t.figure(figures);
    const actual = figure !== null && t.digits !== undefined ? round(figure, t.digits) : figure;
    // A ceiling is judged on the figure as reported; a floor on the exact figure, so that rounding
    // up never lifts a run over its minimum.
    const passed = t.bound === "at most" ? actual !== null && actual <= limit : figure !== null && figure >= limit;
    results.push({ name: t.name, limit, actual, passed });
  }
  return results;
}

const FINDINGS_KEPT = 50;

/** The verdict as the report carries it: counts, and the first findings of each kind. */
export function verdictSection(v: Verdict, drained: boolean): RunReport["verdict"] {
  const keep = <T>(list: T[]) => list.slice(0, FINDINGS_KEPT);
  return {
    valid: v.valid,
    lost: v.lost.length,
    duplicated: v.duplicated.length,
    invalid: v.invalid.length,
    unexpected: v.unexpected.length,
    notificationsMissing: v.notifications.missing.length,
    notificationsDuplicated: v.notifications.duplicated.length,
    rejectedNot4xx: v.rejections.not4xx.length,
    unfinished: v.unfinished.length,
    serverErrors: v.serverErrors.length,
    deadLettered: v.deadLettered.length,
    poisonUnhandled: v.poisonUnhandled.length,
    subscribersSilent: v.subscribersSilent.length,
    orderInstancesSilent: v.orderInstancesSilent.length,
    ...moreCounts(v),
    collected: v.collected,
    drained,
    findings: {
      lost: keep(v.lost),
      duplicated: keep(v.duplicated),
      invalid: keep(v.invalid),
      unexpected: keep(v.unexpected),
      notificationsMissing: keep(v.notifications.missing),
      notificationsDuplicated: keep(v.notifications.duplicated),
      rejectedNot4xx: keep(v.rejections.not4xx),
      unfinished: keep(v.unfinished),
      serverErrors: keep(v.serverErrors),
      deadLettered: keep(v.deadLettered),
      poisonUnhandled: keep(v.poisonUnhandled),
      subscribersSilent: keep(v.subscribersSilent),
      orderInstancesSilent: keep(v.orderInstancesSilent),
      ...Object.fromEntries(Object.entries(moreFindings(v)).map(([k, list]) => [k, keep(list)])),
    },
  };
}

/** The read-model, printed-line, ledger and payload findings under their report names. */
function moreFindings(v: Verdict) {
  return {
    readModelsStale: v.readModels.stale,
    readModelsWrong: v.readModels.wrong,
    printedMissing: v.printed.missing,
    printedDuplicated: v.printed.duplicated,
    printedWrong: v.printed.wrong,
    chargedTwice: v.payments.chargedTwice,
    chargedUnknown: v.payments.chargedUnknown,
    chargeWrong: v.payments.chargeWrong,
    refundUnmatched: v.payments.refundUnmatched,
    payloadsWrong: v.payloadsWrong,
    checkoutsUnmatched: v.checkouts.unmatched,
    checkoutsMispriced: v.checkouts.mispriced,
    customerViewsWrong: v.checkouts.viewsWrong,
    cookedElsewhere: v.restaurants.cookedElsewhere,
    refundsWrong: v.restaurants.refundsWrong,
    reportsWrong: v.reports.wrong,
    journeyOrdersWrong: v.journeys.ordersWrong,
    journeysTrackedWrong: v.journeys.trackedWrong,
  };
}

function moreCounts(v: Verdict): { [K in keyof ReturnType<typeof moreFindings>]: number } {
  const f = moreFindings(v);
  return Object.fromEntries(Object.entries(f).map(([k, list]) => [k, list.length])) as { [K in keyof typeof f]: number };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** What a run hands over to be reported: its figures, the checker's verdict and the system's state at the end. */
export interface ReportInputs {
  scenario: Pick<Scenario, "name" | "seed" | "file" | "durationMs" | "drainTimeoutMs" | "expect">;
  runDir: string;
  mode: RunMode;
  broker: BrokerDescription;
  /** Wall-clock time (epoch ms) of load offset 0. */
  startedAt: number;
  /** Load start to end of checking. */
  durationMs: number;
  /** The load clock when the load ended (pauses excluded). */
  loadClockMs: number;
  /** `up` (following orders, offering no load). */
  observe: boolean;
  plannedOrders: number;
  /** Every request the load sent: whether it was meant to be valid, and its HTTP status (0: no answer). */
  answers: ReadonlyArray<{ valid: boolean; status: number }>;
  verdict: Verdict;
  drain: { drained: boolean; ms: number };
  metrics: Pick<Metrics, "requests" | "retryAfter" | "summary" | "series" | "distribution">;
  ledger: Pick<OrderLedger, "adopted" | "aliveDuring">;
  /** Each kitchen worker's last record, with its state as the launcher corrects it. */
  workers: ReadonlyArray<{ record: WorkerRecord; state: WorkerViewState }>;
  services: ServiceView[];
  faults: readonly FaultRecord[];
  backlog: BacklogSample[];
  deadLetters: number;
  deadLetterSamples: NonNullable<RunReport["deadLetterSamples"]>;
  /** The TEST-ONLY deliberate bug switched on for this run (PIZZERIA_MUTANT), if any. */
  mutant?: string | null;
  /** Each restaurant's orders, from the stream. */
  restaurants?: RestaurantFigures[];
  /** The journeys' figures (runs with `journeys:`). */
  journeys?: JourneyFigures;
}

/** The run's report (report.json), from what the run measured and what the checker found. */
export function buildReport(x: ReportInputs): RunReport {
  const s = x.scenario;
  const { verdict, metrics } = x;
  const accept = metrics.summary("accept");
  const endToEnd = metrics.summary("endToEnd");
  const wrongAnswers = x.answers.filter((o) => (o.valid ? o.status !== 201 : !(o.status >= 400 && o.status < 500))).length;
  // `up` has no scripted duration: its rates are over the time it ran.
  const loadSeconds = Math.max(1, (x.observe ? x.loadClockMs : Math.min(x.loadClockMs, s.durationMs)) / 1000);
  const completed = verdict.counts.completed;
  const thresholds = evaluateThresholds(s.expect, {
    verdict,
    accept,
    endToEnd,
    errorRate: x.answers.length > 0 ? wrongAnswers / x.answers.length : 0,
    throughput: completed / loadSeconds,
  });
  const passed = verdict.valid && thresholds.every((t) => t.passed);
  return {
    scenario: s.name,
    ...(x.mutant ? { mutant: x.mutant } : {}),
    seed: s.seed,
    file: s.file,
    runDir: x.runDir,
    mode: x.mode,
    broker: x.broker,
    startedAt: new Date(x.startedAt).toISOString(),
    durationMs: x.durationMs,
    verdict: verdictSection(verdict, x.drain.drained),
    orders: {
      planned: x.plannedOrders,
      sent: metrics.requests.sent,
      accepted: metrics.requests.accepted,
      rejected: metrics.requests.rejected,
      errors: metrics.requests.errors,
      late: metrics.requests.late,
      placedElsewhere: x.ledger.adopted,
      indeterminate: verdict.indeterminate,
      completed,
      cancelled: verdict.counts.cancelled,
    },
    errors: { count: metrics.requests.errors, byCause: { ...metrics.requests.errorCauses }, retryAfter: { ...metrics.retryAfter } },
    latency: { accept, accept201: metrics.summary("accept201"), failed: metrics.summary("failed"), endToEnd, ready: metrics.summary("ready") },
    distribution: { accept: metrics.distribution("accept"), endToEnd: metrics.distribution("endToEnd") },
    throughput: { acceptedPerSecond: round(metrics.requests.accepted / loadSeconds, 2), completedPerSecond: round(completed / loadSeconds, 2), perSecond: metrics.series() },
    drain: { drained: x.drain.drained, ms: x.drain.ms, timeoutMs: s.drainTimeoutMs },
    ...(verdict.reports?.expected ? { reports: verdict.reports.expected } : {}),
    ...(x.journeys ? { journeys: x.journeys } : {}),
    ...(x.restaurants && x.restaurants.length > 0 ? { restaurants: x.restaurants.map(({ completedPerSecond: _last, ...f }) => ({ ...f, completedPerSecond: round(f.completed / loadSeconds, 2) })) } : {}),
    workers: x.workers.map(({ record: w, state }) => ({
      name: w.name,
      restaurant: w.restaurant ?? DEFAULT_RESTAURANT_ID,
      orderTypes: w.order_types,
      ordersCooked: w.orders_cooked,
      busyMs: w.busy_ms,
      utilisation: round(w.busy_ms / Math.max(1, x.durationMs), 3),
      state,
    })),
    services: x.services,
    faults: x.faults.map((f) => ({
      ...f,
      recovery: recoveryOf(f, { series: metrics.series(), backlog: x.backlog, touched: (a, b) => x.ledger.aliveDuring(a, b), findings: verdict }),
    })),
    deadLetters: x.deadLetters,
    deadLetterSamples: x.deadLetterSamples,
    thresholds,
    passed,
    exitCode: passed ? 0 : 1,
  };
}
