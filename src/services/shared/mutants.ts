import type { ServiceName } from "./contracts.js";

/**
 * TEST-ONLY. Deliberate bugs for `pizzeria selftest`, which proves that the checker catches each
 * one: with `PIZZERIA_MUTANT=<name>` set, the service named below misbehaves in the one small way
 * described, and the run's verdict must name the finding given. NEVER set PIZZERIA_MUTANT in
 * production: it corrupts orders, charges, read models and notifications on purpose.
 *
 * The code is compiled in but inert: unless the variable holds one of these names, every service
 * behaves exactly as without it. Each service reads it once, when it starts (`activeMutant()`), in
 * one place, and hands what it needs to the part that misbehaves; an in-process run can so switch a
 * mutant on for one run only, and child processes inherit it from the harness's environment.
 */

/** The environment variable that switches a mutant on. */
export const MUTANT_ENV = "PIZZERIA_MUTANT";

/** A finding of the report's verdict (`report.verdict.<name>` counts it). */
export type MutantFinding =
  | "lost"
  | "duplicated"
  | "invalid"
  | "unexpected"
  | "rejectedNot4xx"
  | "deadLettered"
  | "readModelsWrong"
  | "printedMissing"
  | "printedDuplicated"
  | "chargedTwice"
  | "checkoutsUnmatched"
  | "payloadsWrong"
  | "cookedElsewhere"
  | "refundsWrong"
  | "reportsWrong"
  | "journeysTrackedWrong";

export interface MutantSpec {
  /** The service that reads the variable and misbehaves. */
  service: ServiceName;
  /** The bug, in a line. */
  does: string;
  /** Every one of these must be in the verdict (and the verdict invalid) for the mutant to count as caught. */
  findings: readonly MutantFinding[];
  /** What the short scenario needs for the bug to show (merged into the self-test's scenario). */
  needs: MutantScenarioNeeds;
}

export interface MutantScenarioNeeds {
  /** Share of deliberately invalid requests (the validator's bug needs some). */
  invalid?: number;
  /** Share of declined payments. */
  failureRate?: number;
  /** Order-service instances (a shared counter's bug needs two). */
  orderInstances?: number;
  /**
   * Drain timeout (ms). A bug that leaves an order short of its end makes the drain wait all of it;
   * past 5 s the system is quiet at the end of it, so a missing event reads as lost, not unfinished.
   */
  drainTimeoutMs?: number;
  /** Share of orders sent through carts (a checkout's bug needs some). */
  viaCart?: number;
  /** Two restaurants (main, rejecting a share of its orders, and napoli), each with its kitchen. */
  restaurants?: boolean;
  /** Customers' journeys instead of requests (`journeys:`), each tracking its order by subscription. */
  journeys?: boolean;
}

/** The mutants, in the order the self-test runs them. */
export const MUTANTS = {
  "kitchen-republish": {
    service: "kitchen",
    does: "re-publishes OrderReady of every fifth order under a new event id (payload id and msgID changed)",
    findings: ["deadLettered"],
    needs: {},
  },
  "tracking-regress": {
    service: "tracking",
    does: "moves every fourth completed order back to cooking in its read model",
    findings: ["readModelsWrong"],
    needs: {},
  },
  "notification-silent": {
    service: "notification",
    does: "records every fifth status change but never prints it",
    findings: ["printedMissing"],
    needs: {},
  },
  "payment-double-charge": {
    service: "payment",
    does: "charges every fifth approved order twice (two payment ids, one OrderPaid)",
    findings: ["chargedTwice"],
    needs: { failureRate: 0.2 },
  },
  "validator-quantity-11": {
    service: "order",
    does: "accepts an item quantity of 11 (the rule is 1-10)",
    findings: ["rejectedNot4xx", "unexpected"],
    needs: { invalid: 0.3 },
  },
  "outbox-drop": {
    service: "payment",
    does: "records every fifth payment decision but never writes its outbox row (the event is never published)",
    findings: ["lost"],
    needs: { drainTimeoutMs: 6_500 },
  },
  "skip-state": {
    service: "kitchen",
    does: "publishes OrderReady of every fifth order without its OrderCooking",
    findings: ["invalid"],
    needs: { drainTimeoutMs: 1_500 },
  },
  "notification-double": {
    service: "notification",
    does: "prints every fifth status change twice",
    findings: ["printedDuplicated"],
    needs: {},
  },
  "order-number-reuse": {
    service: "order",
    does: "starts its blocks of order numbers from its own database, ignoring the shared counter (two instances hand out the same numbers)",
    findings: ["duplicated"],
    needs: { orderInstances: 2, drainTimeoutMs: 1_500 },
  },
  "payment-double-paid": {
    service: "payment",
    does: "charges every fifth approved order twice and publishes a second OrderPaid under a new msgID",
    findings: ["chargedTwice", "duplicated"],
    needs: { failureRate: 0.2 },
  },
  "checkout-double-order": {
    service: "order",
    does: "makes a second order (under a request id of its own) for every fifth cart checkout",
    findings: ["checkoutsUnmatched", "unexpected"],
    needs: { viaCart: 0.5 },
  },
  "refund-twice": {
    service: "payment",
    does: "refunds every other rejected order twice (a second ledger refund, a second OrderRefunded under a new msgID)",
    findings: ["refundsWrong", "duplicated"],
    needs: { restaurants: true },
  },
  "restaurant-misroute": {
    service: "restaurant",
    does: "sends every third order it accepts to another restaurant's kitchen (OrderAccepted in that restaurant's name)",
    findings: ["cookedElsewhere", "payloadsWrong"],
    needs: { restaurants: true },
  },
  "reporting-drop-ready": {
    service: "reporting",
    does: "never applies OrderReady of every fifth order to its reports (its preparation time and its cook's count are missing)",
    findings: ["reportsWrong"],
    needs: {},
  },
  "tracking-feed-skip": {
    service: "tracking",
    does: "its orderStatus subscription never pushes the ready change of every fifth order (its read model and REST answers stay right)",
    findings: ["journeysTrackedWrong"],
    needs: { journeys: true },
  },
} as const satisfies Record<string, MutantSpec>;

export type MutantName = keyof typeof MUTANTS;

export const MUTANT_NAMES = Object.keys(MUTANTS) as MutantName[];

export function isMutantName(name: unknown): name is MutantName {
  return typeof name === "string" && Object.hasOwn(MUTANTS, name);
}

/**
 * The mutant switched on in this process's environment, or null (unset, or not a mutant's name:
 * then nothing changes). A service calls it once, when it starts.
 */
export function activeMutant(env: NodeJS.ProcessEnv = process.env): MutantName | null {
  const value = env[MUTANT_ENV];
  return isMutantName(value) ? value : null;
}

/** The mutant's share of orders: those whose number (`ORD_YYYYMMDD_NNN`) is a multiple of `every`. */
export function mutantPicks(orderNumber: string, every = 5): boolean {
  const n = Number(/_(\d+)$/.exec(orderNumber)?.[1]);
  return Number.isInteger(n) && n % every === 0;
}
