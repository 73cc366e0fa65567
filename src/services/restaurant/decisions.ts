import type { OrderEvent, OrderStatus } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";
import { headerOf, orderEvent, type EventHeader } from "../shared/events.js";
import { OUTBOX_SCHEMA, type Outbox } from "../shared/outbox.js";

export const RESTAURANT_SCHEMA = `
CREATE TABLE IF NOT EXISTS paid_orders (
  order_number TEXT PRIMARY KEY,
  restaurant   TEXT NOT NULL,
  event        TEXT NOT NULL, -- the OrderPaid it came with (JSON): the header every answer repeats
  state        TEXT NOT NULL CHECK (state IN ('waiting', 'accepted', 'rejected')),
  reason       TEXT,
  decided_by   TEXT,
  received_at  TEXT NOT NULL,
  decided_at   TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS paid_orders_waiting ON paid_orders (restaurant, state);
${OUTBOX_SCHEMA}
`;

export type Decision = "accepted" | "rejected";

export interface PaidOrderRow {
  order_number: string;
  restaurant: string;
  state: "waiting" | Decision;
  reason: string | null;
  decided_by: string | null;
  received_at: string;
  decided_at: string | null;
}

export type DecideOutcome =
  | { result: "decided"; decision: Decision }
  | { result: "unknown_order" }
  /** Decided before (a redelivery, or staff answering twice): nothing changes. */
  | { result: "already"; state: Decision };

/**
 * The restaurant's books of paid orders: each is received once (its OrderPaid remembered), then
 * decided once, accepted or rejected, and the decision's event goes out through the outbox in the
 * same transaction. A redelivered OrderPaid or a second answer changes nothing.
 */
export class PaidOrders {
  private readonly q;

  /**
   * `misroute`: TEST-ONLY (PIZZERIA_MUTANT=restaurant-misroute, shared/mutants.ts): the header an
   * accepted order's event goes out under (another restaurant's, for some). Never in production.
   */
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly misroute?: (header: EventHeader) => EventHeader,
  ) {
    this.q = {
      insert: db.prepare("INSERT OR IGNORE INTO paid_orders (order_number, restaurant, event, state, received_at) VALUES (?, ?, ?, 'waiting', ?)"),
      get: db.prepare("SELECT order_number, restaurant, state, reason, decided_by, received_at, decided_at FROM paid_orders WHERE order_number = ?"),
      event: db.prepare("SELECT event, state FROM paid_orders WHERE order_number = ?"),
      decide: db.prepare("UPDATE paid_orders SET state = ?, reason = ?, decided_by = ?, decided_at = ? WHERE order_number = ? AND state = 'waiting'"),
      byState: db.prepare("SELECT order_number, restaurant, state, reason, decided_by, received_at, decided_at FROM paid_orders WHERE restaurant = ? AND state = ? ORDER BY received_at LIMIT ?"),
      counts: db.prepare("SELECT restaurant, state, COUNT(*) AS n FROM paid_orders GROUP BY restaurant, state"),
    };
  }

  /** Remember a paid order (once); false when it was received before. Inside the caller's transaction or alone. */
  receive(event: OrderEvent<"paid">, at = new Date()): boolean {
    return this.q.insert.run(event.order_number, event.restaurant, JSON.stringify(event), at.toISOString()).changes === 1;
  }

  get(number: string): PaidOrderRow | undefined {
    return this.q.get.get(number) as PaidOrderRow | undefined;
  }

  list(restaurant: string, state: PaidOrderRow["state"], limit = 500): PaidOrderRow[] {
    return this.q.byState.all(restaurant, state, limit) as PaidOrderRow[];
  }

  counts(): Array<{ restaurant: string; state: string; n: number }> {
    return this.q.counts.all() as Array<{ restaurant: string; state: string; n: number }>;
  }

  /**
   * Accept or reject a waiting order, with its OrderAccepted or OrderRejected in the outbox, in one
   * transaction. `by`: who decided (the service instance, or the staff).
   */
  decide(number: string, decision: Decision, by: string, reason: string | null, at = new Date()): DecideOutcome {
    const outcome = immediate(this.db, (): DecideOutcome => this.decideInside(number, decision, by, reason, at));
    if (outcome.result === "decided") this.outbox.wake();
    return outcome;
  }

  /** `decide`, inside the caller's transaction. */
  decideInside(number: string, decision: Decision, by: string, reason: string | null, at = new Date()): DecideOutcome {
    const row = this.q.event.get(number) as { event: string; state: PaidOrderRow["state"] } | undefined;
    if (!row) return { result: "unknown_order" };
    if (row.state !== "waiting") return { result: "already", state: row.state };
    const paid = JSON.parse(row.event) as OrderEvent<"paid">;
    this.q.decide.run(decision, reason, by, at.toISOString(), number);
    const from: OrderStatus = "paid";
    const header = headerOf(paid);
    this.outbox.add(
      decision === "accepted"
        ? orderEvent("accepted", this.misroute ? this.misroute(header) : header, from, by, {}, at)
        : orderEvent("rejected", header, from, by, { reason: reason ?? "rejected" }, at),
    );
    return { result: "decided", decision };
  }
}
