import { canTransition, EVENT_STATUS, type AnyOrderEvent, type OrderStatus } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";

/**
 * The query side of `GET /customers/:id/orders`: the orders that carry a customer (checkouts),
 * built only from the ORDERS stream. Each event is applied once (its id is remembered, in the
 * transaction that applies it) and only as the state machine allows, so a redelivery, a replay
 * after a restart, or events out of order change nothing twice.
 */
export const ORDERS_VIEW_TABLES = `
CREATE TABLE IF NOT EXISTS customer_orders (
  order_number  TEXT PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  restaurant_id TEXT,
  order_type    TEXT NOT NULL,
  total_amount  REAL NOT NULL,
  status        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS customer_orders_by_customer ON customer_orders (customer_id, created_at);
CREATE TABLE IF NOT EXISTS customer_order_events (
  event_id TEXT PRIMARY KEY
) WITHOUT ROWID;
`;

export interface CustomerOrder {
  order_number: string;
  customer_id: string;
  restaurant_id: string | null;
  order_type: string;
  total_amount: number;
  status: OrderStatus;
  created_at: string;
  updated_at: string;
}

export type ViewResult = "applied" | "duplicate" | "ignored" | "refused";

export class CustomerOrdersView {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      seen: db.prepare("SELECT 1 FROM customer_order_events WHERE event_id = ?"),
      remember: db.prepare("INSERT INTO customer_order_events (event_id) VALUES (?)"),
      insert: db.prepare("INSERT OR IGNORE INTO customer_orders (order_number, customer_id, restaurant_id, order_type, total_amount, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'received', ?, ?)"),
      get: db.prepare("SELECT status FROM customer_orders WHERE order_number = ?"),
      setStatus: db.prepare("UPDATE customer_orders SET status = ?, updated_at = ? WHERE order_number = ?"),
      ofCustomer: db.prepare("SELECT order_number, customer_id, restaurant_id, order_type, total_amount, status, created_at, updated_at FROM customer_orders WHERE customer_id = ? ORDER BY created_at, order_number"),
      count: db.prepare("SELECT COUNT(*) AS n FROM customer_orders"),
      page: db.prepare("SELECT order_number, customer_id, status, total_amount FROM customer_orders WHERE order_number > ? ORDER BY order_number LIMIT ?"),
    };
  }

  /** Apply one event (inside the consumer's batch transaction, or its own). */
  apply(event: AnyOrderEvent): ViewResult {
    return immediate(this.db, (): ViewResult => {
      if (event.kind === "placed") {
        const customer = event.data.customer_id;
        if (typeof customer !== "string") return "ignored"; // an anonymous order: not a customer's
        const restaurant = event.restaurant;
        const changes = this.q.insert.run(event.order_number, customer, restaurant, event.order_type, event.data.total_amount, event.at, event.at).changes;
        return changes > 0 ? "applied" : "duplicate";
      }
      const row = this.q.get.get(event.order_number) as { status: OrderStatus } | undefined;
      if (!row) return "ignored";
      const to = EVENT_STATUS[event.kind];
      if (to === null) return "ignored";
      if (this.q.seen.get(event.id)) return "duplicate";
      if (!canTransition(row.status, to)) return "refused";
      this.q.remember.run(event.id);
      this.q.setStatus.run(to, event.at, event.order_number);
      return "applied";
    });
  }

  ofCustomer(customerId: string): CustomerOrder[] {
    return this.q.ofCustomer.all(customerId) as CustomerOrder[];
  }

  /** Orders after a number, by number (the checker pages through them). */
  page(after: string | null, limit: number): Array<Pick<CustomerOrder, "order_number" | "customer_id" | "status" | "total_amount">> {
    return this.q.page.all(after ?? "", limit) as Array<Pick<CustomerOrder, "order_number" | "customer_id" | "status" | "total_amount">>;
  }

  count(): number {
    return (this.q.count.get() as { n: number }).n;
  }
}
