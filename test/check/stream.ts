/** Hand-made ORDERS streams for the checker's passes, with the real event envelope. */
import { EVENT_STATUS, type AnyOrderEvent, type EventData, type EventKind, type OrderStatus } from "../../src/services/shared/contracts.js";
import { orderEvent } from "../../src/services/shared/events.js";
import type { StreamRecord } from "../../src/sim/check/checker-types.js";

export const AT = new Date("2025-01-02T03:04:05.000Z");

/** The `from` each event kind has when the services emit it. */
export const NATURAL_FROM: Record<EventKind, OrderStatus | null> = {
  placed: null,
  paid: "received",
  payment_failed: "received",
  accepted: "paid",
  rejected: "paid",
  refunded: "rejected",
  cooking: "accepted",
  ready: "cooking",
  completed: "ready",
  cancelled: "received",
};

export const COMPLETED_PATH: EventKind[] = ["placed", "paid", "accepted", "cooking", "ready", "completed"];
export const CANCELLED_PATH: EventKind[] = ["placed", "payment_failed", "cancelled"];
/** Paid, rejected by the restaurant, refunded, cancelled: the saga's second compensation. */
export const REJECTED_PATH: EventKind[] = ["placed", "paid", "rejected", "refunded", "cancelled"];

/** The payload each event kind carries in these hand-made runs. */
export function dataFor(kind: EventKind, requestId: string): EventData[EventKind] {
  switch (kind) {
    case "placed":
      return { customer_name: "Jane", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }], total_amount: 12.99, request_id: requestId };
    case "paid":
      return { amount: 12.99, payment_id: "pay_1" };
    case "payment_failed":
      return { amount: 12.99, reason: "card declined" };
    case "accepted":
      return {};
    case "rejected":
      return { reason: "out of dough" };
    case "refunded":
      return { amount: 12.99, refund_id: "ref_1", reason: "out of dough" };
    case "cooking":
      return { worker: "w1" };
    case "ready":
      return { worker: "w1", cook_ms: 10 };
    case "completed":
      return {};
    case "cancelled":
      return { reason: "payment failed: card declined" };
  }
}

/** One event of an order as the services would emit it (its `from` overridable, to break the history). */
export function eventOf(number: string, kind: EventKind, opts: { from?: OrderStatus | null; requestId?: string } = {}): AnyOrderEvent {
  const from = opts.from === undefined ? NATURAL_FROM[kind] : opts.from;
  const msg = orderEvent(kind, { order_number: number, order_type: "takeout", priority: 1, restaurant: "main", origin: "order-1" }, from, "test", dataFor(kind, opts.requestId ?? `req-${number}`), AT);
  return msg.payload as AnyOrderEvent;
}

/** A stream of these events (null: a poison message), numbered from seq 1. */
export function streamOf(events: Array<AnyOrderEvent | null>): StreamRecord[] {
  return events.map((event, i) => ({ seq: i + 1, event, subject: event ? `pizzeria.order.${event.kind}.main.takeout.order-1` : "pizzeria.order.placed.main.takeout.order-1" }));
}

/** The events of one order along a path of kinds. */
export function pathOf(number: string, path: EventKind[], requestId = `req-${number}`): AnyOrderEvent[] {
  // The first event's from is its natural one; each later one's is the status the path has reached
  // (so a cancellation after a refund is from rejected, after a failed payment from received).
  let status: OrderStatus | null = null;
  return path.map((kind, i) => {
    const from = i === 0 ? NATURAL_FROM[kind] : status;
    const event = eventOf(number, kind, { requestId, from });
    status = EVENT_STATUS[kind] ?? from;
    return event;
  });
}
