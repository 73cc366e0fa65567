import { canTransition, EVENT_STATUS, type AnyOrderEvent, type OrderStatus, type OrderType } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";
import type { GroupCommit } from "../shared/group-commit.js";
import { orderEvent, type EventHeader } from "../shared/events.js";
import { OUTBOX_SCHEMA, type Outbox } from "../shared/outbox.js";
import { parseOrderNumber } from "./order-numbers.js";
import type { ValidOrder } from "./validation.js";

export const ORDER_SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  number           TEXT PRIMARY KEY,
  day              TEXT NOT NULL,
  seq              INTEGER NOT NULL,
  request_id       TEXT NOT NULL UNIQUE,
  customer_name    TEXT NOT NULL,
  order_type       TEXT NOT NULL,
  table_number     INTEGER,
  delivery_address TEXT,
  total_amount     REAL NOT NULL,
  priority         INTEGER NOT NULL,
  status           TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  completed_at     TEXT
);
CREATE INDEX IF NOT EXISTS orders_day_seq ON orders (day, seq);
CREATE TABLE IF NOT EXISTS order_items (
  id           INTEGER PRIMARY KEY,
  order_number TEXT NOT NULL REFERENCES orders(number),
  name         TEXT NOT NULL,
  quantity     INTEGER NOT NULL,
  price        REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS order_status_log (
  id           INTEGER PRIMARY KEY,
  order_number TEXT NOT NULL REFERENCES orders(number),
  event_id     TEXT NOT NULL UNIQUE,
  from_status  TEXT,
  status       TEXT NOT NULL,
  changed_by   TEXT NOT NULL,
  changed_at   TEXT NOT NULL
);
${OUTBOX_SCHEMA}
`;

export interface OrderRow {
  number: string;
  request_id: string;
  customer_name: string;
  order_type: OrderType;
  total_amount: number;
  priority: number;
  status: OrderStatus;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export type ApplyOutcome =
  | { result: "applied"; status: OrderStatus }
  | { result: "duplicate" | "ignored" }
  | { result: "unknown_order" }
  | { result: "invalid_transition"; from: OrderStatus; to: OrderStatus };

/**
 * The order service's records. Every change of an order is one immediate transaction that also
 * writes the status-log row and the outbox row announcing it.
 */
export class OrderStore {
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly origin: string,
  ) {
    this.q = {
      byRequest: db.prepare("SELECT number, request_id, customer_name, order_type, total_amount, priority, status, created_at, updated_at, completed_at FROM orders WHERE request_id = ?"),
      byNumber: db.prepare("SELECT number, request_id, customer_name, order_type, total_amount, priority, status, created_at, updated_at, completed_at FROM orders WHERE number = ?"),
      maxSeq: db.prepare("SELECT MAX(seq) AS n FROM orders WHERE day = ?"),
      insertOrder: db.prepare(
        `INSERT INTO orders (number, day, seq, request_id, customer_name, order_type, table_number, delivery_address, total_amount, priority, status, created_at, updated_at)
         VALUES (@number, @day, @seq, @request_id, @customer_name, @order_type, @table_number, @delivery_address, @total_amount, @priority, 'received', @at, @at)`,
      ),
      insertItem: db.prepare("INSERT INTO order_items (order_number, name, quantity, price) VALUES (?, ?, ?, ?)"),
      insertLog: db.prepare("INSERT INTO order_status_log (order_number, event_id, from_status, status, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)"),
      hasEvent: db.prepare("SELECT 1 FROM order_status_log WHERE event_id = ?"),
      setStatus: db.prepare("UPDATE orders SET status = ?, updated_at = ?, completed_at = CASE WHEN ? IN ('completed','cancelled') THEN ? ELSE completed_at END WHERE number = ?"),
      items: db.prepare("SELECT name, quantity, price FROM order_items WHERE order_number = ? ORDER BY id"),
      history: db.prepare("SELECT from_status, status, changed_by, changed_at FROM order_status_log WHERE order_number = ? ORDER BY id"),
      all: db.prepare("SELECT number, request_id, customer_name, order_type, total_amount, priority, status, created_at, updated_at, completed_at FROM orders WHERE rowid > ? ORDER BY rowid LIMIT ?"),
      rowid: db.prepare("SELECT rowid FROM orders WHERE number = ?"),
      counts: db.prepare("SELECT status, COUNT(*) AS n FROM orders GROUP BY status"),
    };
  }

  findByRequest(requestId: string): OrderRow | undefined {
    return this.q.byRequest.get(requestId) as OrderRow | undefined;
  }

  get(number: string): (OrderRow & { items: unknown[]; history: unknown[] }) | undefined {
    const row = this.q.byNumber.get(number) as OrderRow | undefined;
    if (!row) return undefined;
    return { ...row, items: this.q.items.all(number), history: this.q.history.all(number) };
  }

  /** Highest sequence number this database holds for a day (0 when none). */
  localMax(day: string): number {
    return ((this.q.maxSeq.get(day) as { n: number | null }).n ?? 0);
  }

  /** Orders after a cursor (the last number seen), for checkers and paging. */
  list(after: string | null, limit: number): OrderRow[] {
    const from = after ? ((this.q.rowid.get(after) as { rowid: number } | undefined)?.rowid ?? 0) : 0;
    return this.q.all.all(from, limit) as OrderRow[];
  }

  countsByStatus(): Record<string, number> {
    return Object.fromEntries((this.q.counts.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
  }

  /**
   * Store a validated order as `received` with its items, first status-log row and OrderPlaced
   * outbox row, all in one transaction. `takeNumber` runs inside it.
   */
  place(order: ValidOrder, requestId: string, takeNumber: () => string, at = new Date()): OrderRow {
    const row = immediate(this.db, () => this.insertPlaced(order, requestId, takeNumber, at));
    this.outbox.wake();
    return row;
  }

  /**
   * The same as `place`, in the next group commit: the orders that arrive together share one
   * transaction (each in its own savepoint). Resolves once the order and its outbox row are committed.
   */
  placeInGroup(group: GroupCommit, order: ValidOrder, requestId: string, takeNumber: () => string, at = new Date()): Promise<OrderRow> {
    return group.run(() => this.insertPlaced(order, requestId, takeNumber, at));
  }

  private insertPlaced(order: ValidOrder, requestId: string, takeNumber: () => string, at: Date): OrderRow {
    const number = takeNumber();
    const parsed = parseOrderNumber(number)!;
    const iso = at.toISOString();
    this.q.insertOrder.run({
      number,
      day: parsed.day,
      seq: parsed.n,
      request_id: requestId,
      customer_name: order.customer_name,
      order_type: order.order_type,
      table_number: order.table_number ?? null,
      delivery_address: order.delivery_address ?? null,
      total_amount: order.total_amount,
      priority: order.priority,
      at: iso,
    });
    for (const item of order.items) this.q.insertItem.run(number, item.name, item.quantity, item.price);
    const event = orderEvent(
      "placed",
      this.header(number, order.order_type, order.priority),
      null,
      this.origin,
      {
        customer_name: order.customer_name,
        items: order.items,
        total_amount: order.total_amount,
        ...(order.table_number !== undefined ? { table_number: order.table_number } : {}),
        ...(order.delivery_address !== undefined ? { delivery_address: order.delivery_address } : {}),
        request_id: requestId,
      },
      at,
    );
    this.q.insertLog.run(number, event.id, null, "received", this.origin, iso);
    this.outbox.add(event);
    // What the client is told: the row as stored (status received, no completion yet).
    return {
      number,
      request_id: requestId,
      customer_name: order.customer_name,
      order_type: order.order_type,
      total_amount: order.total_amount,
      priority: order.priority,
      status: "received",
      created_at: iso,
      updated_at: iso,
      completed_at: null,
    };
  }

  /**
   * Apply an event about one of our orders. paid and cooking move the status; ready moves it to
   * ready and on to completed (the order is handed over) with an OrderCompleted; payment_failed
   * cancels it with an OrderCancelled (the saga's compensation). Duplicates change nothing;
   * transitions the state machine does not allow are refused.
   */
  apply(event: AnyOrderEvent): ApplyOutcome {
    if (event.kind === "placed" || event.kind === "completed" || event.kind === "cancelled") return { result: "ignored" };
    const outcome = immediate(this.db, (): ApplyOutcome => {
      const order = this.q.byNumber.get(event.order_number) as OrderRow | undefined;
      if (!order) return { result: "unknown_order" };
      if (this.q.hasEvent.get(event.id)) return { result: "duplicate" };
      const now = new Date().toISOString();
      const target: OrderStatus = event.kind === "payment_failed" ? "cancelled" : EVENT_STATUS[event.kind]!;
      if (!canTransition(order.status, target)) return { result: "invalid_transition", from: order.status, to: target };
      this.move(order, target, event.id, event.by, event.at, now);
      const header = this.header(order.number, order.order_type, order.priority);
      if (event.kind === "ready") {
        const completed = orderEvent("completed", header, "ready", this.origin, {});
        this.move({ ...order, status: "ready" }, "completed", completed.id, this.origin, completed.payload.at, now);
        this.outbox.add(completed);
        return { result: "applied", status: "completed" };
      }
      if (event.kind === "payment_failed") {
        this.outbox.add(orderEvent("cancelled", header, "received", this.origin, { reason: `payment failed: ${event.data.reason}` }));
      }
      return { result: "applied", status: target };
    });
    if (outcome.result === "applied") this.outbox.wake();
    return outcome;
  }

  private move(order: OrderRow, to: OrderStatus, eventId: string, by: string, at: string, now: string): void {
    this.q.setStatus.run(to, now, to, now, order.number);
    // event_id is the event that caused the change: a redelivered copy of it finds this row.
    this.q.insertLog.run(order.number, eventId, order.status, to, by, at);
  }

  private header(number: string, type: OrderType, priority: number): EventHeader {
    return { order_number: number, order_type: type, priority, origin: this.origin };
  }
}
