import { randomBytes } from "node:crypto";
import { subjects, type CustomerEventKind } from "../shared/contracts.js";
import { customerEventId, type CheckoutCommand, type CustomerEvent, type CustomerEventData } from "../shared/customer-contracts.js";
import { immediate, type Db } from "../shared/db.js";
import { linesTotal, type CartLineRequest, type PricedLine } from "../shared/menus.js";
import type { Outbox, OutboxMessage } from "../shared/outbox.js";

/**
 * The customer service's records: customers, their carts and lines, the checkouts (one per
 * cart, keyed by the client's Idempotency-Key) and, in orders-view.ts, the read model of their
 * orders. A cart is `open` (lines may change), `checking_out` (its CheckoutCommand is out: no
 * change until the order service answered) or `checked_out` (it became an order).
 */
export const CUSTOMER_TABLES = `
CREATE TABLE IF NOT EXISTS customers (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  email       TEXT NOT NULL,
  email_key   TEXT NOT NULL UNIQUE, -- lower-cased: one account per address
  phone       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  request_key TEXT UNIQUE,          -- the Idempotency-Key it was registered with, if any
  fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS carts (
  id            TEXT PRIMARY KEY,
  customer_id   TEXT NOT NULL,
  restaurant_id TEXT,               -- set by the first line, cleared when the last goes
  state         TEXT NOT NULL,      -- open | checking_out | checked_out
  next_line     INTEGER NOT NULL DEFAULT 1,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS carts_one_open ON carts (customer_id) WHERE state <> 'checked_out';
CREATE TABLE IF NOT EXISTS cart_lines (
  cart_id TEXT NOT NULL,
  line    INTEGER NOT NULL,
  request TEXT NOT NULL,            -- JSON CartLineRequest: re-priced from the menu at checkout
  priced  TEXT NOT NULL,            -- JSON PricedLine as priced when added
  PRIMARY KEY (cart_id, line)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkouts (
  customer_id  TEXT NOT NULL,
  key          TEXT NOT NULL,       -- the client's Idempotency-Key
  cart_id      TEXT NOT NULL UNIQUE,
  fingerprint  TEXT NOT NULL,
  state        TEXT NOT NULL,       -- pending (command out, no answer yet) | done
  command      TEXT NOT NULL,       -- JSON CheckoutCommand, resent as it is
  answer       TEXT,                -- JSON body of the 201, replayed for the same key
  created_at   TEXT NOT NULL,
  PRIMARY KEY (customer_id, key)
) WITHOUT ROWID;
`;

export interface CustomerRow {
  id: string;
  name: string;
  email: string;
  phone: string;
  created_at: string;
}

export interface CartRow {
  id: string;
  customer_id: string;
  restaurant_id: string | null;
  state: "open" | "checking_out" | "checked_out";
  next_line: number;
}

export interface CartLine {
  line: number;
  request: CartLineRequest;
  priced: PricedLine;
}

export interface CheckoutRow {
  customer_id: string;
  key: string;
  cart_id: string;
  fingerprint: string;
  state: "pending" | "done";
  command: CheckoutCommand;
  answer: Record<string, unknown> | null;
}

/** An order holds 1-20 items (the seed's rule), so a cart holds at most 20 lines. */
export const MAX_CART_LINES = 20;

/** Why a write was refused: a 409 the handler turns into an answer. */
export class CartConflict extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class CustomerStore {
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly instance: string,
  ) {
    this.q = {
      customer: db.prepare("SELECT id, name, email, phone, created_at FROM customers WHERE id = ?"),
      byEmail: db.prepare("SELECT id FROM customers WHERE email_key = ?"),
      byRequestKey: db.prepare("SELECT id, name, email, phone, created_at, fingerprint FROM customers WHERE request_key = ?"),
      insertCustomer: db.prepare("INSERT INTO customers (id, name, email, email_key, phone, created_at, request_key, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      activeCart: db.prepare("SELECT id, customer_id, restaurant_id, state, next_line FROM carts WHERE customer_id = ? AND state <> 'checked_out'"),
      insertCart: db.prepare("INSERT INTO carts (id, customer_id, restaurant_id, state, next_line, created_at, updated_at) VALUES (?, ?, NULL, 'open', 1, ?, ?)"),
      lines: db.prepare("SELECT line, request, priced FROM cart_lines WHERE cart_id = ? ORDER BY line"),
      insertLine: db.prepare("INSERT INTO cart_lines (cart_id, line, request, priced) VALUES (?, ?, ?, ?)"),
      deleteLine: db.prepare("DELETE FROM cart_lines WHERE cart_id = ? AND line = ?"),
      countLines: db.prepare("SELECT COUNT(*) AS n FROM cart_lines WHERE cart_id = ?"),
      setCart: db.prepare("UPDATE carts SET restaurant_id = ?, next_line = ?, updated_at = ? WHERE id = ?"),
      setCartState: db.prepare("UPDATE carts SET state = ?, updated_at = ? WHERE id = ? AND state = ?"),
      checkout: db.prepare("SELECT customer_id, key, cart_id, fingerprint, state, command, answer FROM checkouts WHERE customer_id = ? AND key = ?"),
      ofCart: db.prepare("SELECT customer_id, key, cart_id, fingerprint, state, command, answer FROM checkouts WHERE cart_id = ?"),
      pending: db.prepare("SELECT customer_id, key, cart_id, fingerprint, state, command, answer FROM checkouts WHERE state = 'pending'"),
      insertCheckout: db.prepare("INSERT INTO checkouts (customer_id, key, cart_id, fingerprint, state, command, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)"),
      finishCheckout: db.prepare("UPDATE checkouts SET state = 'done', answer = ? WHERE customer_id = ? AND key = ? AND state = 'pending'"),
      dropCheckout: db.prepare("DELETE FROM checkouts WHERE customer_id = ? AND key = ? AND state = 'pending'"),
    };
  }

  customer(id: string): CustomerRow | undefined {
    return this.q.customer.get(id) as CustomerRow | undefined;
  }

  customerByRequestKey(key: string): (CustomerRow & { fingerprint: string | null }) | undefined {
    return this.q.byRequestKey.get(key) as (CustomerRow & { fingerprint: string | null }) | undefined;
  }

  /** A new account and its CustomerRegistered, in one transaction; a CartConflict when the email has one. */
  register(input: { name: string; email: string; phone: string }, requestKey: string | null, fingerprint: string | null): CustomerRow {
    const row = immediate(this.db, () => {
      if (this.q.byEmail.get(input.email.toLowerCase())) throw new CartConflict("email_taken", `An account with email ${input.email} exists already`);
      const row: CustomerRow = { id: `cus_${randomBytes(8).toString("hex")}`, ...input, created_at: new Date().toISOString() };
      this.q.insertCustomer.run(row.id, row.name, row.email, row.email.toLowerCase(), row.phone, row.created_at, requestKey, fingerprint);
      this.outbox.add(this.event("registered", row.id, { name: row.name, email: row.email, phone: row.phone }));
      return row;
    });
    this.outbox.wake();
    return row;
  }

  /** The customer's cart that is not checked out yet, if any. */
  activeCart(customerId: string): CartRow | undefined {
    return this.q.activeCart.get(customerId) as CartRow | undefined;
  }

  lines(cartId: string): CartLine[] {
    return (this.q.lines.all(cartId) as Array<{ line: number; request: string; priced: string }>).map((r) => ({
      line: r.line,
      request: JSON.parse(r.request) as CartLineRequest,
      priced: JSON.parse(r.priced) as PricedLine,
    }));
  }

  /** Add a priced line to the customer's open cart (made on the first line); the cart's restaurant is the first line's. */
  addLine(customerId: string, restaurantId: string, request: CartLineRequest, priced: PricedLine): { cart: CartRow; line: number } {
    return immediate(this.db, () => {
      const now = new Date().toISOString();
      let cart = this.activeCart(customerId);
      if (!cart) {
        const id = `cart_${randomBytes(8).toString("hex")}`;
        this.q.insertCart.run(id, customerId, now, now);
        cart = { id, customer_id: customerId, restaurant_id: null, state: "open", next_line: 1 };
      }
      if (cart.state !== "open") throw new CartConflict("checkout_in_progress", "The cart is being checked out; it cannot change until that is answered");
      if (cart.restaurant_id !== null && cart.restaurant_id !== restaurantId) {
        throw new CartConflict("other_restaurant", `The cart holds items of restaurant ${cart.restaurant_id}; a cart holds one restaurant's items (remove them or check out first)`);
      }
      const { n } = this.q.countLines.get(cart.id) as { n: number };
      if (n >= MAX_CART_LINES) throw new CartConflict("cart_full", `The cart holds ${MAX_CART_LINES} lines, as many as an order may; check out or remove one first`);
      const line = cart.next_line;
      this.q.insertLine.run(cart.id, line, JSON.stringify(request), JSON.stringify(priced));
      this.q.setCart.run(restaurantId, line + 1, now, cart.id);
      return { cart: { ...cart, restaurant_id: restaurantId, next_line: line + 1 }, line };
    });
  }

  /** Remove a line; false when the open cart has no such line. The last line gone, the cart belongs to no restaurant. */
  removeLine(customerId: string, line: number): boolean {
    return immediate(this.db, () => {
      const cart = this.activeCart(customerId);
      if (!cart) return false;
      if (cart.state !== "open") throw new CartConflict("checkout_in_progress", "The cart is being checked out; it cannot change until that is answered");
      if (this.q.deleteLine.run(cart.id, line).changes === 0) return false;
      const { n } = this.q.countLines.get(cart.id) as { n: number };
      this.q.setCart.run(n === 0 ? null : cart.restaurant_id, cart.next_line, new Date().toISOString(), cart.id);
      return true;
    });
  }

  checkout(customerId: string, key: string): CheckoutRow | undefined {
    const row = this.q.checkout.get(customerId, key) as (Omit<CheckoutRow, "command" | "answer"> & { command: string; answer: string | null }) | undefined;
    return row ? parseCheckout(row) : undefined;
  }

  /** The checkout of a cart, whichever key began it. */
  checkoutOfCart(cartId: string): CheckoutRow | undefined {
    const row = this.q.ofCart.get(cartId) as (Omit<CheckoutRow, "command" | "answer"> & { command: string; answer: string | null }) | undefined;
    return row ? parseCheckout(row) : undefined;
  }

  pendingCheckouts(): CheckoutRow[] {
    return (this.q.pending.all() as Array<Omit<CheckoutRow, "command" | "answer"> & { command: string; answer: string | null }>).map(parseCheckout);
  }

  /**
   * The cart's checkout begins: its row (pending, with the command as it will be sent) and the
   * cart `checking_out`, in one transaction, only while the cart is still open with exactly the
   * lines the command was priced from (else a CartConflict: another request got there first, or a
   * line came or went meanwhile).
   */
  beginCheckout(cart: CartRow, key: string, fingerprint: string, command: CheckoutCommand, lineNumbers: number[]): CheckoutRow {
    return immediate(this.db, () => {
      const now = new Date().toISOString();
      const current = this.lines(cart.id).map((l) => l.line);
      if (current.join(",") !== lineNumbers.join(",")) throw new CartConflict("cart_changed", "The cart changed while it was being checked out; check out again");
      if (this.q.setCartState.run("checking_out", now, cart.id, "open").changes === 0) {
        throw new CartConflict("checkout_in_progress", "The cart is being checked out by another request");
      }
      this.q.insertCheckout.run(cart.customer_id, key, cart.id, fingerprint, JSON.stringify(command), now);
      return { customer_id: cart.customer_id, key, cart_id: cart.id, fingerprint, state: "pending", command, answer: null };
    });
  }

  /** The order service made the order: the checkout is done with its answer, the cart checked out, CartCheckedOut in the outbox. */
  finishCheckout(checkout: CheckoutRow, orderNumber: string, answer: Record<string, unknown>): void {
    immediate(this.db, () => {
      if (this.q.finishCheckout.run(JSON.stringify(answer), checkout.customer_id, checkout.key).changes === 0) return;
      this.q.setCartState.run("checked_out", new Date().toISOString(), checkout.cart_id, "checking_out");
      const c = checkout.command;
      this.outbox.add(
        this.event("cart_checked_out", checkout.customer_id, {
          cart_id: checkout.cart_id,
          order_number: orderNumber,
          restaurant_id: c.restaurant_id,
          checkout_key: c.idempotency_key,
          order_type: c.order_type,
          lines: c.lines,
          total_amount: linesTotal(c.lines),
        }),
      );
    });
    this.outbox.wake();
  }

  /** The order service refused the checkout: it leaves no trace, the cart is open again. */
  abandonCheckout(checkout: CheckoutRow): void {
    immediate(this.db, () => {
      if (this.q.dropCheckout.run(checkout.customer_id, checkout.key).changes === 0) return;
      this.q.setCartState.run("open", new Date().toISOString(), checkout.cart_id, "checking_out");
    });
  }

  private event<K extends CustomerEventKind>(kind: K, customerId: string, data: CustomerEventData[K]): OutboxMessage {
    const cartId = kind === "cart_checked_out" ? (data as CustomerEventData["cart_checked_out"]).cart_id : undefined;
    const payload: CustomerEvent<K> = { id: customerEventId(kind, customerId, cartId), kind, customer_id: customerId, by: this.instance, at: new Date().toISOString(), data };
    return { id: payload.id, subject: subjects.customerEvent(kind, customerId), payload };
  }
}

function parseCheckout(row: Omit<CheckoutRow, "command" | "answer"> & { command: string; answer: string | null }): CheckoutRow {
  return { ...row, command: JSON.parse(row.command) as CheckoutCommand, answer: row.answer ? (JSON.parse(row.answer) as Record<string, unknown>) : null };
}
