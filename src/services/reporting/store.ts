import type { AnyOrderEvent } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";
import { applyEvent, buildReports, customerReport, dailyReports, restaurantReports, workerReports, type OrderFacts, type Reports } from "./figures.js";

export const REPORTING_SCHEMA = `
CREATE TABLE IF NOT EXISTS facts (
  number     TEXT PRIMARY KEY,
  restaurant TEXT NOT NULL,
  customer   TEXT,
  facts      TEXT NOT NULL -- OrderFacts as JSON
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facts_customer ON facts (customer);
CREATE TABLE IF NOT EXISTS applied (
  event_id TEXT PRIMARY KEY
) WITHOUT ROWID;
`;

/**
 * The reporting service's read model: what each order's events say (OrderFacts), one row per
 * order, and the id of every event applied, in one transaction per event (or per batch: the
 * consumer's), so a redelivered event, or one replayed after a restart, changes nothing.
 */
export class ReportStore {
  private readonly q;

  /** `dropReadyOf`: TEST-ONLY (PIZZERIA_MUTANT=reporting-drop-ready): OrderReady events of these orders are remembered but not applied. */
  constructor(
    private readonly db: Db,
    private readonly options: { dropReadyOf?: (orderNumber: string) => boolean } = {},
  ) {
    this.q = {
      seen: db.prepare("SELECT 1 FROM applied WHERE event_id = ?"),
      remember: db.prepare("INSERT INTO applied (event_id) VALUES (?)"),
      get: db.prepare("SELECT facts FROM facts WHERE number = ?"),
      put: db.prepare("INSERT INTO facts (number, restaurant, customer, facts) VALUES (?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET facts = excluded.facts"),
      all: db.prepare("SELECT facts FROM facts ORDER BY number"),
      ofCustomer: db.prepare("SELECT facts FROM facts WHERE customer = ? ORDER BY number"),
      ofRestaurant: db.prepare("SELECT facts FROM facts WHERE restaurant = ? ORDER BY number"),
      count: db.prepare("SELECT COUNT(*) AS n FROM facts"),
    };
  }

  /** Apply one event once: "applied", or "duplicate" for an id already applied. */
  apply(event: AnyOrderEvent): "applied" | "duplicate" {
    return immediate(this.db, () => {
      if (this.q.seen.get(event.id)) return "duplicate" as const;
      this.q.remember.run(event.id);
      if (event.kind === "ready" && this.options.dropReadyOf?.(event.order_number)) return "applied" as const;
      const row = this.q.get.get(event.order_number) as { facts: string } | undefined;
      const before = row ? (JSON.parse(row.facts) as OrderFacts) : undefined;
      const after = applyEvent(before, event);
      if (after) this.q.put.run(after.number, after.restaurant, after.customer_id, JSON.stringify(after));
      return "applied" as const;
    });
  }

  private rows(stmt: { all(...args: unknown[]): unknown[] }, ...args: unknown[]): OrderFacts[] {
    return (stmt.all(...args) as Array<{ facts: string }>).map((r) => JSON.parse(r.facts) as OrderFacts);
  }

  orders(): number {
    return (this.q.count.get() as { n: number }).n;
  }

  restaurants(restaurant?: string) {
    return restaurantReports(restaurant === undefined ? this.rows(this.q.all) : this.rows(this.q.ofRestaurant, restaurant));
  }

  customer(id: string) {
    return customerReport(id, this.rows(this.q.ofCustomer, id));
  }

  workers() {
    return workerReports(this.rows(this.q.all));
  }

  daily() {
    return dailyReports(this.rows(this.q.all));
  }

  /** Every report (what the checker compares with the stream). */
  all(): Reports {
    return buildReports(this.rows(this.q.all));
  }
}
