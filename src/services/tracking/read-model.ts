import { canTransition, type AnyOrderEvent, type OrderStatus, type WorkerRecord } from "../shared/contracts.js";
import { afterCommit, immediate, type Db } from "../shared/db.js";
import { DEFAULT_RESTAURANT_ID } from "../shared/menus.js";

export const TRACKING_SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  number        TEXT PRIMARY KEY,
  order_type    TEXT NOT NULL,
  customer_name TEXT NOT NULL,
  total_amount  REAL NOT NULL,
  priority      INTEGER NOT NULL,
  origin        TEXT NOT NULL,
  status        TEXT NOT NULL,
  processed_by  TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  restaurant    TEXT, -- last four: what ALTER TABLE adds to an older file (NULL there: the default restaurant)
  customer_id   TEXT,
  items         TEXT, -- JSON: the placed event's lines (NULL in a file written before tracking kept them)
  cook_ms       INTEGER -- the cooking worker's own cooking time (OrderCooking's cook_ms), for the estimate
) WITHOUT ROWID; -- one b-tree (the key) instead of a rowid table and an index on it
CREATE TABLE IF NOT EXISTS history (
  id           INTEGER PRIMARY KEY,
  order_number TEXT NOT NULL,
  event_id     TEXT NOT NULL UNIQUE,
  from_status  TEXT,
  status       TEXT NOT NULL,
  changed_by   TEXT NOT NULL,
  changed_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_order ON history (order_number, id);
CREATE TABLE IF NOT EXISTS workers (
  name   TEXT PRIMARY KEY,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
  id           INTEGER PRIMARY KEY,
  event_id     TEXT NOT NULL,
  order_number TEXT NOT NULL,
  reason       TEXT NOT NULL,
  at           TEXT NOT NULL
);
`;

export interface TrackedOrder {
  number: string;
  restaurant: string | null;
  customer_id: string | null;
  order_type: string;
  customer_name: string;
  total_amount: number;
  priority: number;
  origin: string;
  status: OrderStatus;
  processed_by: string | null;
  /** The cooking worker's cooking time (ms), when its OrderCooking said. */
  cook_ms: number | null;
  created_at: string;
  updated_at: string;
  /** The placed event's lines as JSON (its priced lines when a checkout made it); null when not kept. */
  items: string | null;
}

/** One status change the read model applied, told to its listeners once its transaction committed. */
export interface AppliedChange {
  order_number: string;
  restaurant: string;
  from_status: OrderStatus | null;
  status: OrderStatus;
  changed_by: string;
  changed_at: string;
}

export interface HistoryRow {
  status: OrderStatus;
  from_status: OrderStatus | null;
  changed_by: string;
  changed_at: string;
}

export type TrackResult = "applied" | "duplicate" | "ignored" | "refused";

/**
 * The tracking service's own picture of every order, built only from events. Each event is applied
 * once (its id is remembered) and only when the state machine allows it; what is refused is kept
 * with the reason, so it can be looked at instead of silently lost.
 */
export class ReadModel {
  private readonly q;
  /** Completed orders applied (counted only for the TEST-ONLY mutant below). */
  private completedApplied = 0;
  /** Who hears each applied change after its commit (the GraphQL subscriptions). */
  private readonly listeners = new Set<(change: AppliedChange) => void>();

  /**
   * `regressEveryFourth`: TEST-ONLY (PIZZERIA_MUTANT=tracking-regress, see shared/mutants.ts): move every
   * fourth completed order back to cooking, a bug the self-test's checker must catch. Never in production.
   */
  constructor(
    private readonly db: Db,
    private readonly options: { regressEveryFourth?: boolean } = {},
  ) {
    addRestaurantColumns(db);
    this.q = {
      order: db.prepare("SELECT * FROM orders WHERE number = ?"),
      insertOrder: db.prepare(
        `INSERT INTO orders (number, order_type, customer_name, total_amount, priority, origin, status, created_at, updated_at, restaurant, customer_id, items)
         VALUES (?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?)`,
      ),
      setStatus: db.prepare("UPDATE orders SET status = ?, updated_at = ?, processed_by = COALESCE(?, processed_by) WHERE number = ?"),
      setCookMs: db.prepare("UPDATE orders SET cook_ms = ? WHERE number = ?"),
      seen: db.prepare("SELECT 1 FROM history WHERE event_id = ?"),
      insertHistory: db.prepare("INSERT INTO history (order_number, event_id, from_status, status, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)"),
      history: db.prepare("SELECT status, from_status, changed_by, changed_at FROM history WHERE order_number = ? ORDER BY id"),
      refuse: db.prepare("INSERT INTO refused (event_id, order_number, reason, at) VALUES (?, ?, ?, ?)"),
      refusedCount: db.prepare("SELECT COUNT(*) AS n FROM refused"),
      upsertWorker: db.prepare("INSERT INTO workers (name, record) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record"),
      workers: db.prepare("SELECT record FROM workers ORDER BY name"),
      counts: db.prepare("SELECT status, COUNT(*) AS n FROM orders GROUP BY status"),
      page: db.prepare("SELECT number, status FROM orders WHERE number > ? ORDER BY number LIMIT ?"),
      // NULL: an order written before restaurants, the default restaurant's.
      board: db.prepare(
        `SELECT * FROM orders WHERE (restaurant = @restaurant OR (@restaurant = '${DEFAULT_RESTAURANT_ID}' AND restaurant IS NULL))
         AND (@status IS NULL OR status = @status) ORDER BY number LIMIT @limit`,
      ),
      // Keyset pagination by number, over every restaurant or one (NULL: the default restaurant's), of any status or one.
      list: db.prepare(
        `SELECT * FROM orders WHERE number > @after
         AND (@restaurant IS NULL OR restaurant = @restaurant OR (@restaurant = '${DEFAULT_RESTAURANT_ID}' AND restaurant IS NULL))
         AND (@status IS NULL OR status = @status) ORDER BY number LIMIT @limit`,
      ),
      restaurants: db.prepare(`SELECT DISTINCT COALESCE(restaurant, '${DEFAULT_RESTAURANT_ID}') AS id FROM orders ORDER BY id`),
      pageHistory: db.prepare(
        "SELECT order_number, from_status, status, changed_by FROM history WHERE order_number > ? AND order_number <= ? ORDER BY order_number, id",
      ),
    };
  }

  apply(event: AnyOrderEvent): { result: TrackResult; reason?: string } {
    if (event.to === null) return { result: "ignored" }; // payment_failed, refunded: the cancellation that follows is the status change
    return immediate(this.db, () => {
      if (this.q.seen.get(event.id)) return { result: "duplicate" as const };
      const order = this.q.order.get(event.order_number) as TrackedOrder | undefined;
      const to = event.to!;
      const from = order ? order.status : null;
      if (!canTransition(from, to)) {
        const reason = order ? `${from} -> ${to} is not allowed` : `${to} for an order never placed`;
        this.q.refuse.run(event.id, event.order_number, reason, new Date().toISOString());
        return { result: "refused" as const, reason };
      }
      if (event.kind === "placed") {
        const d = event.data;
        // customer_id comes with a checkout's order (the customer service's); read defensively, it is optional.
        const given = (d as unknown as { customer_id?: unknown }).customer_id;
        const customer = typeof given === "string" ? given : null;
        this.q.insertOrder.run(event.order_number, event.order_type, d.customer_name, d.total_amount, event.priority, event.origin, event.at, event.at, event.restaurant ?? null, customer, placedLines(d));
      } else {
        const worker = event.kind === "cooking" || event.kind === "ready" ? event.data.worker : null;
        this.q.setStatus.run(to, event.at, worker, event.order_number);
        const cookMs = event.kind === "cooking" ? event.data.cook_ms : undefined;
        if (typeof cookMs === "number" && Number.isFinite(cookMs) && cookMs >= 0) this.q.setCookMs.run(Math.round(cookMs), event.order_number);
        if (to === "completed" && this.options.regressEveryFourth && ++this.completedApplied % 4 === 0) {
          this.q.setStatus.run("cooking", event.at, null, event.order_number);
        }
      }
      this.q.insertHistory.run(event.order_number, event.id, from, to, event.by, event.at);
      if (this.listeners.size > 0) {
        const change: AppliedChange = { order_number: event.order_number, restaurant: event.restaurant ?? order?.restaurant ?? DEFAULT_RESTAURANT_ID, from_status: from, status: to, changed_by: event.by, changed_at: event.at };
        // Told once stored: a batch that rolls back tells nothing (its events come back and are told then).
        afterCommit(this.db, () => this.tell(change));
      }
      return { result: "applied" as const };
    });
  }

  order(number: string): TrackedOrder | undefined {
    return this.q.order.get(number) as TrackedOrder | undefined;
  }

  /** A restaurant's orders (the staff's board), optionally of one status, by number. */
  board(restaurant: string, status: OrderStatus | null, limit: number): TrackedOrder[] {
    return this.q.board.all({ restaurant, status, limit }) as TrackedOrder[];
  }

  /** Orders after `after` by number, optionally of one restaurant and one status: a page of `orders` in GraphQL. */
  list(filter: { restaurant: string | null; status: OrderStatus | null; after: string | null; limit: number }): TrackedOrder[] {
    return this.q.list.all({ ...filter, after: filter.after ?? "" }) as TrackedOrder[];
  }

  /** The restaurants the read model has orders of. */
  restaurantIds(): string[] {
    return (this.q.restaurants.all() as Array<{ id: string }>).map((r) => r.id);
  }

  /** Hear every applied change after its commit; the returned function stops hearing. */
  onChange(listener: (change: AppliedChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** How many listeners hear changes now (a subscription that ended must leave none behind). */
  listenerCount(): number {
    return this.listeners.size;
  }

  private tell(change: AppliedChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // a listener's failure is its own: the change is stored and the others still hear it
      }
    }
  }

  history(number: string): HistoryRow[] {
    return this.q.history.all(number) as HistoryRow[];
  }

  refusedCount(): number {
    return (this.q.refusedCount.get() as { n: number }).n;
  }

  countsByStatus(): Record<string, number> {
    return Object.fromEntries((this.q.counts.all() as Array<{ status: string; n: number }>).map((r) => [r.status, r.n]));
  }

  /**
   * A page of orders after `after` (by number), each with its status and history: what the
   * checker compares with the stream. Two range queries per page, not one per order.
   */
  page(after: string | null, limit: number): Array<{ number: string; status: OrderStatus; history: Array<[OrderStatus | null, OrderStatus, string]> }> {
    const orders = this.q.page.all(after ?? "", limit) as Array<{ number: string; status: OrderStatus }>;
    if (orders.length === 0) return [];
    const byNumber = new Map(orders.map((o) => [o.number, { ...o, history: [] as Array<[OrderStatus | null, OrderStatus, string]> }]));
    const rows = this.q.pageHistory.all(after ?? "", orders[orders.length - 1].number) as Array<{ order_number: string; from_status: OrderStatus | null; status: OrderStatus; changed_by: string }>;
    for (const r of rows) byNumber.get(r.order_number)?.history.push([r.from_status, r.status, r.changed_by]);
    return [...byNumber.values()];
  }

  saveWorker(record: WorkerRecord): void {
    this.q.upsertWorker.run(record.name, JSON.stringify(record));
  }

  workers(): WorkerRecord[] {
    return (this.q.workers.all() as Array<{ record: string }>).map((r) => JSON.parse(r.record) as WorkerRecord);
  }
}

/** A read model written before restaurants: its orders get the two columns (NULL: the default restaurant, no customer). */
function addRestaurantColumns(db: Db): void {
  const columns = new Set((db.prepare("SELECT name FROM pragma_table_info('orders')").all() as Array<{ name: string }>).map((c) => c.name));
  for (const c of ["restaurant", "customer_id", "items"]) if (!columns.has(c)) db.exec(`ALTER TABLE orders ADD COLUMN ${c} TEXT`);
  if (!columns.has("cook_ms")) db.exec("ALTER TABLE orders ADD COLUMN cook_ms INTEGER");
  db.exec("CREATE INDEX IF NOT EXISTS orders_board ON orders (restaurant, status)");
}

/**
 * The lines of a placed event, kept as JSON: a checkout's priced lines (`lines`, with size, crust
 * and toppings) when the event carries them, else its items. Read defensively: both are optional
 * shapes from other services; anything that is not an array is not kept.
 */
function placedLines(data: unknown): string | null {
  const d = data as { lines?: unknown; items?: unknown };
  const lines = Array.isArray(d.lines) ? d.lines : Array.isArray(d.items) ? d.items : null;
  return lines ? JSON.stringify(lines) : null;
}
