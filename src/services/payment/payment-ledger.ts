import type { Db } from "../shared/db.js";

export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger (
  seq          INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
  payment_id   TEXT NOT NULL,
  order_number TEXT NOT NULL,
  amount       REAL NOT NULL,
  at           TEXT NOT NULL,
  UNIQUE (kind, payment_id)
);
`;

export interface LedgerRow {
  seq: number;
  kind: "charge" | "refund";
  payment_id: string;
  order_number: string;
  amount: number;
  at: string;
}

/**
 * The mock provider's own books: every charge and refund it made, in the payment service's
 * SQLite. A real processor keeps such a ledger on its side; ours lets a checker count what was
 * charged instead of trusting OrderPaid. Idempotent by payment id: the provider answers a repeated
 * key with the same payment id, so a redelivered OrderPlaced (or a retry after a crash between the
 * charge and the decision's commit) adds no second charge.
 */
export class PaymentLedger {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insert: db.prepare("INSERT OR IGNORE INTO ledger (kind, payment_id, order_number, amount, at) VALUES (?, ?, ?, ?, ?)"),
      page: db.prepare("SELECT seq, kind, payment_id, order_number, amount, at FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?"),
    };
  }

  /** Record a charge; false when this payment id was charged before. */
  charge(paymentId: string, orderNumber: string, amount: number, at = new Date()): boolean {
    return this.q.insert.run("charge", paymentId, orderNumber, amount, at.toISOString()).changes === 1;
  }

  /** Record a refund of a payment; false when it was refunded before. */
  refund(paymentId: string, orderNumber: string, amount: number, at = new Date()): boolean {
    return this.q.insert.run("refund", paymentId, orderNumber, amount, at.toISOString()).changes === 1;
  }

  page(after: number, limit: number): LedgerRow[] {
    return this.q.page.all(after, limit) as LedgerRow[];
  }
}
