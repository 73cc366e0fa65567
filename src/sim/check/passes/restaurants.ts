/**
 * The restaurants pass: a kitchen worker cooks only its own restaurant's orders, and an order its
 * restaurant rejected is refunded exactly once (one OrderRefunded on the stream, one refund in the
 * provider's ledger when it was collected) and never cooked. What the stream replay already
 * checks (the transitions, an event twice) it leaves to the replay.
 */
import { DEFAULT_RESTAURANT_ID } from "../../../services/shared/menus.js";
import type { Finding, LedgerEntry } from "../checker-types.js";
import { historyOf, type ReplayedOrders } from "./order-state.js";

export interface RestaurantsInput {
  replayed: ReplayedOrders;
  roster?: ReadonlyArray<{ name: string; restaurant?: string }>;
  /** The payment ledgers (none: not collected, nothing said about them). */
  ledger?: readonly LedgerEntry[];
  drained: boolean;
}

export interface RestaurantsPass {
  /** Orders cooked by a worker of another restaurant's kitchen. */
  cookedElsewhere: Finding[];
  /** Rejected orders not refunded exactly once, or cooked; refunds of orders never rejected. */
  refundsWrong: Finding[];
}

export function checkRestaurants(x: RestaurantsInput): RestaurantsPass {
  const kitchenOf = new Map((x.roster ?? []).map((w) => [w.name, w.restaurant ?? DEFAULT_RESTAURANT_ID]));
  const ledgerRefunds = new Map<string, number>();
  for (const e of x.ledger ?? []) if (e.kind === "refund") ledgerRefunds.set(e.orderNumber, (ledgerRefunds.get(e.orderNumber) ?? 0) + 1);
  const cookedElsewhere: Finding[] = [];
  const refundsWrong: Finding[] = [];

  for (const st of x.replayed.values()) {
    const placed = st.events.find((e) => e.kind === "placed");
    const restaurant = placed?.restaurant;
    let refunds = 0;
    let rejected = false;
    const cooked: string[] = [];
    for (const e of st.events) {
      if (e.kind === "rejected") rejected = true;
      else if (e.kind === "refunded") refunds++;
      else if (e.kind === "cooking" || e.kind === "ready") {
        const worker = (e.data as { worker?: unknown }).worker;
        cooked.push(e.kind);
        const at = typeof worker === "string" ? kitchenOf.get(worker) : undefined;
        if (restaurant !== undefined && at !== undefined && at !== restaurant) {
          cookedElsewhere.push({ orderNumber: st.number, reason: `${e.kind === "cooking" ? "OrderCooking" : "OrderReady"} by ${String(worker)} of ${at}'s kitchen for an order of ${restaurant}`, history: historyOf(st) });
        }
      }
    }
    const problems: string[] = [];
    if (rejected) {
      if (refunds > 1) problems.push(`refunded ${refunds} times on the stream`);
      else if (refunds === 0 && x.drained) problems.push("rejected by its restaurant but never refunded");
      if (cooked.length > 0) problems.push(`cooked (${[...new Set(cooked)].join(", ")}) although its restaurant rejected it`);
    } else if (refunds > 0) {
      problems.push("refunded although its restaurant never rejected it");
    }
    const booked = ledgerRefunds.get(st.number) ?? 0;
    if (x.ledger && refunds > 0 && booked !== 1) problems.push(`the provider's ledger has ${booked} refunds of it`);
    if (problems.length > 0) refundsWrong.push({ orderNumber: st.number, reason: problems.join("; "), history: historyOf(st) });
  }
  for (const [number, n] of ledgerRefunds) {
    const st = x.replayed.get(number);
    if (!st || !st.events.some((e) => e.kind === "refunded")) refundsWrong.push({ orderNumber: number, source: "payment", reason: `the provider refunded it ${n} time(s) with no OrderRefunded on the stream` });
  }
  return { cookedElsewhere, refundsWrong };
}
