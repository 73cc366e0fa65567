import { canTransition, EVENT_STATUS, type AnyOrderEvent, type OrderStatus, type OrderType } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";
import { ConfigError, errorMessage } from "../shared/errors.js";
import type { GroupCommit } from "../shared/group-commit.js";
import { orderEvent, type EventHeader } from "../shared/events.js";
import { OUTBOX_SCHEMA, type Outbox } from "../shared/outbox.js";
import { DEFAULT_RESTAURANT_ID } from "../shared/menus.js";
import { dayKey, ORDER_KEYS_PER_DAY, orderKey, orderKeyOf, parseOrderNumber } from "./order-numbers.js";
import type { ValidOrder } from "./validation.js";

/**
 * Every order write touches as few b-trees as it can: a commit writes each page it changed to the
 * WAL, and with orders arriving a few at a time the pages per commit were most of the cost. The
 * orders table is keyed by the order number as an integer (orderKey: no index on the text number),
 * its items are a JSON column (read whole, never queried), and the status log is keyed by its event
 * id (`<order_number>.<kind>`, what a redelivered event is recognised by) without a rowid: a
 * range of that key is an order's history.
 */
const ORDERS_TABLE = `
CREATE TABLE IF NOT EXISTS orders (
  id               INTEGER PRIMARY KEY, -- orderKey(number)
  number           TEXT NOT NULL,
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
  completed_at     TEXT,
  items            TEXT NOT NULL, -- JSON: [{name, quantity, price}]
  restaurant_id    TEXT NOT NULL DEFAULT '${DEFAULT_RESTAURANT_ID}', -- these last four: what ALTER TABLE adds to an older file
  fingerprint      TEXT, -- of the request that made it (idempotency.ts): the same key with another body is refused
  customer_id      TEXT, -- set when the order comes from a cart checkout
  lines            TEXT  -- JSON: the checkout's priced lines (menus.ts PricedLine[])
);`;

/** Columns added after the current layout was first written: added in place to a file that lacks them. */
const ADDED_COLUMNS = [`restaurant_id TEXT NOT NULL DEFAULT '${DEFAULT_RESTAURANT_ID}'`, "fingerprint TEXT", "customer_id TEXT", "lines TEXT"];

const STATUS_LOG_TABLE = `
CREATE TABLE IF NOT EXISTS order_status_log (
  event_id     TEXT PRIMARY KEY, -- the event that caused the change
  order_number TEXT NOT NULL,
  from_status  TEXT,
  status       TEXT NOT NULL,
  changed_by   TEXT NOT NULL,
  changed_at   TEXT NOT NULL
) WITHOUT ROWID;`;

export const ORDER_SCHEMA = `${ORDERS_TABLE}${STATUS_LOG_TABLE}${OUTBOX_SCHEMA}`;

/** Statuses in the order the state machine reaches them: each at most once per order, so it orders a history. */
const STATUS_RANK = `CASE status WHEN 'received' THEN 0 WHEN 'paid' THEN 1 WHEN 'accepted' THEN 2 WHEN 'rejected' THEN 2 WHEN 'cooking' THEN 3 WHEN 'ready' THEN 4 ELSE 5 END`;

export interface OrderRow {
  number: string;
  customer_id: string | null;
  request_id: string;
  customer_name: string;
  order_type: OrderType;
  restaurant_id: string;
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
    migrate(db);
    const columns = "number, request_id, customer_name, order_type, restaurant_id, customer_id, total_amount, priority, status, created_at, updated_at, completed_at";
    this.q = {
      byRequest: db.prepare(`SELECT ${columns}, fingerprint FROM orders WHERE request_id = ?`),
      byKey: db.prepare(`SELECT ${columns} FROM orders WHERE id = ?`),
      maxKey: db.prepare("SELECT MAX(id) AS k FROM orders WHERE id >= ? AND id < ?"),
      insertOrder: db.prepare(
        `INSERT INTO orders (id, number, day, seq, request_id, customer_name, order_type, table_number, delivery_address, total_amount, priority, status, created_at, updated_at, items, restaurant_id, fingerprint, customer_id, lines)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertLog: db.prepare("INSERT INTO order_status_log (order_number, event_id, from_status, status, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)"),
      hasEvent: db.prepare("SELECT 1 FROM order_status_log WHERE event_id = ?"),
      setStatus: db.prepare("UPDATE orders SET status = ?, updated_at = ?, completed_at = CASE WHEN ? IN ('completed','cancelled') THEN ? ELSE completed_at END WHERE id = ?"),
      withItems: db.prepare(`SELECT ${columns}, items, lines FROM orders WHERE id = ?`),
      // The event ids "<number>." up to "<number>/" ("/" follows "." in ASCII): a range of the key.
      history: db.prepare(`SELECT from_status, status, changed_by, changed_at FROM order_status_log WHERE event_id > ? AND event_id < ? ORDER BY ${STATUS_RANK}`),
      all: db.prepare(`SELECT ${columns} FROM orders WHERE id > ? ORDER BY id LIMIT ?`),
      counts: db.prepare("SELECT status, COUNT(*) AS n FROM orders GROUP BY status"),
    };
  }

  /** The order a request id (Idempotency-Key, checkout key) made, with the fingerprint of that request. */
  findByRequest(requestId: string): (OrderRow & { fingerprint: string | null }) | undefined {
    return this.q.byRequest.get(requestId) as (OrderRow & { fingerprint: string | null }) | undefined;
  }

  get(number: string): (OrderRow & { items: unknown[]; lines?: unknown[]; history: unknown[] }) | undefined {
    const key = orderKey(number);
    const row = key === null ? undefined : (this.q.withItems.get(key) as (OrderRow & { items: string; lines: string | null }) | undefined);
    if (!row) return undefined;
    const { lines, ...rest } = row;
    return { ...rest, items: JSON.parse(row.items) as unknown[], ...(lines ? { lines: JSON.parse(lines) as unknown[] } : {}), history: this.q.history.all(`${number}.`, `${number}/`) };
  }

  /** Highest sequence number this database holds for a day (0 when none). */
  localMax(day: string): number {
    const first = dayKey(day);
    const { k } = this.q.maxKey.get(first, first + ORDER_KEYS_PER_DAY) as { k: number | null };
    return k === null ? 0 : k - first;
  }

  /** Orders after a cursor (the last number seen), in the order they were numbered, for checkers and paging. */
  list(after: string | null, limit: number): OrderRow[] {
    return this.q.all.all(after ? (orderKey(after) ?? 0) : 0, limit) as OrderRow[];
  }

  countsByStatus(): Record<string, number> {
    return Object.fromEntries((this.q.counts.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
  }

  /**
   * Store a validated order as `received` with its items, first status-log row and OrderPlaced
   * outbox row, all in one transaction. `takeNumber` runs inside it.
   */
  place(order: ValidOrder, requestId: string, takeNumber: () => string, at = new Date(), fingerprint: string | null = null): OrderRow {
    const row = immediate(this.db, () => this.insertPlaced(order, requestId, takeNumber, at, fingerprint));
    this.outbox.wake();
    return row;
  }

  /**
   * The same as `place`, in the next group commit: the orders that arrive together share one
   * transaction (each in its own savepoint). Resolves once the order and its outbox row are committed.
   */
  placeInGroup(group: GroupCommit, order: ValidOrder, requestId: string, takeNumber: () => string, at = new Date(), fingerprint: string | null = null): Promise<OrderRow> {
    return group.run(() => this.insertPlaced(order, requestId, takeNumber, at, fingerprint));
  }

  private insertPlaced(order: ValidOrder, requestId: string, takeNumber: () => string, at: Date, fingerprint: string | null): OrderRow {
    const number = takeNumber();
    const restaurant = order.restaurant_id ?? DEFAULT_RESTAURANT_ID;
    const parsed = parseOrderNumber(number)!;
    const iso = at.toISOString();
    this.q.insertOrder.run(
      orderKeyOf(parsed),
      number,
      parsed.day,
      parsed.n,
      requestId,
      order.customer_name,
      order.order_type,
      order.table_number ?? null,
      order.delivery_address ?? null,
      order.total_amount,
      order.priority,
      iso,
      iso,
      JSON.stringify(order.items),
      restaurant,
      fingerprint,
      order.customer_id ?? null,
      order.lines ? JSON.stringify(order.lines) : null,
    );
    const event = orderEvent(
      "placed",
      this.header(number, order.order_type, order.priority, restaurant, requestId),
      null,
      this.origin,
      {
        customer_name: order.customer_name,
        items: order.items,
        total_amount: order.total_amount,
        ...(order.table_number !== undefined ? { table_number: order.table_number } : {}),
        ...(order.delivery_address !== undefined ? { delivery_address: order.delivery_address } : {}),
        request_id: requestId,
        ...(order.customer_id !== undefined ? { customer_id: order.customer_id } : {}),
        ...(order.lines !== undefined ? { lines: order.lines } : {}),
      },
      at,
    );
    this.q.insertLog.run(number, event.id, null, "received", this.origin, iso);
    this.outbox.add(event);
    // What the client is told: the row as stored (status received, no completion yet).
    return {
      number,
      customer_id: order.customer_id ?? null,
      request_id: requestId,
      customer_name: order.customer_name,
      order_type: order.order_type,
      restaurant_id: restaurant,
      total_amount: order.total_amount,
      priority: order.priority,
      status: "received",
      created_at: iso,
      updated_at: iso,
      completed_at: null,
    };
  }

  /**
   * Apply an event about one of our orders. paid, accepted, rejected and cooking move the status;
   * ready moves it to ready and on to completed (the order is handed over) with an OrderCompleted;
   * payment_failed cancels it with an OrderCancelled, and so does refunded (a rejected order whose
   * payment was given back): the saga's compensations. Duplicates change nothing; transitions the
   * state machine does not allow are refused.
   */
  apply(event: AnyOrderEvent): ApplyOutcome {
    if (event.kind === "placed" || event.kind === "completed" || event.kind === "cancelled") return { result: "ignored" };
    const key = orderKey(event.order_number);
    if (key === null) return { result: "unknown_order" };
    const outcome = immediate(this.db, (): ApplyOutcome => {
      const order = this.q.byKey.get(key) as OrderRow | undefined;
      if (!order) return { result: "unknown_order" };
      if (this.q.hasEvent.get(event.id)) return { result: "duplicate" };
      const now = new Date().toISOString();
      const target: OrderStatus = event.kind === "payment_failed" || event.kind === "refunded" ? "cancelled" : EVENT_STATUS[event.kind]!;
      if (!canTransition(order.status, target)) return { result: "invalid_transition", from: order.status, to: target };
      this.move(key, order, target, event.id, event.by, event.at, now);
      const header = this.header(order.number, order.order_type, order.priority, order.restaurant_id, order.request_id);
      if (event.kind === "ready") {
        const completed = orderEvent("completed", header, "ready", this.origin, {});
        this.move(key, { ...order, status: "ready" }, "completed", completed.id, this.origin, completed.payload.at, now);
        this.outbox.add(completed);
        return { result: "applied", status: "completed" };
      }
      if (event.kind === "payment_failed") {
        this.outbox.add(orderEvent("cancelled", header, "received", this.origin, { reason: `payment failed: ${event.data.reason}` }));
      }
      if (event.kind === "refunded") {
        this.outbox.add(orderEvent("cancelled", header, "rejected", this.origin, { reason: `rejected by restaurant: ${event.data.reason}` }));
      }
      return { result: "applied", status: target };
    });
    if (outcome.result === "applied") this.outbox.wake();
    return outcome;
  }

  private move(key: number, order: OrderRow, to: OrderStatus, eventId: string, by: string, at: string, now: string): void {
    this.q.setStatus.run(to, now, to, now, key);
    // event_id is the event that caused the change: a redelivered copy of it finds this row.
    this.q.insertLog.run(order.number, eventId, order.status, to, by, at);
  }

  private header(number: string, type: OrderType, priority: number, restaurant: string, requestId?: string): EventHeader {
    return { order_number: number, order_type: type, priority, restaurant, origin: this.origin, ...(requestId ? { request_id: requestId } : {}) };
  }
}

/**
 * A database written by an earlier version (orders keyed by the text number, items and history
 * in rowid tables of their own, with foreign keys) is rebuilt in the current layout, in one
 * transaction, before anything reads it.
 */
function migrate(db: Db): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('orders')").all() as Array<{ name: string }>;
  // A file from before restaurants (its orders were all the default restaurant's), fingerprints or checkouts.
  if (columns.some((c) => c.name === "id")) return addColumns(db, new Set(columns.map((c) => c.name)));
  db.function("pizzeria_order_key", { deterministic: true }, (number) => orderKey(String(number)));
  // The old tables refer to each other by foreign keys; they are dropped together.
  db.pragma("foreign_keys = OFF");
  try {
    // All or nothing: a file that cannot be moved is left exactly as it was.
    db.transaction(() => {
      db.exec("ALTER TABLE orders RENAME TO orders_v1; ALTER TABLE order_status_log RENAME TO order_status_log_v1;");
      db.exec(ORDERS_TABLE + STATUS_LOG_TABLE);
      db.exec(`INSERT INTO orders (id, number, day, seq, request_id, customer_name, order_type, table_number, delivery_address, total_amount, priority, status, created_at, updated_at, completed_at, items)
        SELECT pizzeria_order_key(o.number), o.number, o.day, o.seq, o.request_id, o.customer_name, o.order_type, o.table_number, o.delivery_address, o.total_amount, o.priority, o.status, o.created_at, o.updated_at, o.completed_at,
          (SELECT json_group_array(json_object('name', i.name, 'quantity', i.quantity, 'price', i.price) ORDER BY i.id) FROM order_items i WHERE i.order_number = o.number)
        FROM orders_v1 o`);
      db.exec(`INSERT INTO order_status_log (event_id, order_number, from_status, status, changed_by, changed_at)
        SELECT event_id, order_number, from_status, status, changed_by, changed_at FROM order_status_log_v1`);
      db.exec("DROP TABLE order_status_log_v1; DROP TABLE order_items; DROP TABLE orders_v1;");
    }).immediate();
  } catch (err) {
    throw new ConfigError(`${db.name}: cannot move its orders to the current layout (${errorMessage(err)}); it is left as it was: use another --db, or move this file away`, { cause: err });
  } finally {
    db.pragma("foreign_keys = ON");
  }
}

/** A file of the current layout from before a column was added gets it (NULL in its rows). */
function addColumns(db: Db, have: Set<string>): void {
  for (const column of ADDED_COLUMNS) {
    if (!have.has(column.split(" ")[0])) db.exec(`ALTER TABLE orders ADD COLUMN ${column}`);
  }
}
