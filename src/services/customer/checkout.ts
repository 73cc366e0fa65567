import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../shared/contracts.js";
import { type CheckoutCommand, type CheckoutReply } from "../shared/customer-contracts.js";
import { errorField, errorMessage } from "../shared/errors.js";
import type { Fulfilment } from "../shared/fulfilment.js";
import { HttpError } from "../shared/http.js";
import { compareFingerprint } from "../shared/idempotency.js";
import type { KV } from "../shared/kv.js";
import type { Logger } from "../shared/logger.js";
import { isPricingError, linesTotal, priceLine, type PricedLine } from "../shared/menus.js";
import { readRestaurant } from "../shared/restaurants.js";
import { CartConflict, type CheckoutRow, type CustomerRow, type CustomerStore } from "./store.js";

export interface CheckoutAnswer {
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
}

/**
 * A cart becomes exactly one order. The checkout row (pending, with the command as it will be
 * sent) and the cart's `checking_out` are committed before the command goes out, only while the
 * cart is open: one checkout per cart, whichever request gets there first. The command's key is
 * `<customer id>:<client key>` (the order's request_id), so the order service makes one order for
 * it however often it is sent: again by a retry with the client's key, again by this service at
 * its next start when it crashed before the answer (`resumePending`). Only the answer completes
 * the checkout (done, cart checked out, CartCheckedOut in the outbox, one transaction).
 */
export class CartCheckout {
  constructor(
    private readonly deps: { store: CustomerStore; restaurants: KV; nc: NatsConnection; log: Logger; timeoutMs: number },
  ) {}

  /** Check out the customer's cart under the client's key (fingerprint of the request already taken). */
  async checkout(customer: CustomerRow, key: string, fingerprint: string, fulfilment: () => Fulfilment): Promise<CheckoutAnswer> {
    const { store } = this.deps;
    const existing = store.checkout(customer.id, key);
    if (existing) {
      compareFingerprint(key, existing.fingerprint, fingerprint, `the checkout of cart ${existing.cart_id}`);
      if (existing.state === "done") return { status: 201, body: existing.answer!, replayed: true };
      return this.send(existing);
    }
    const order = fulfilment();
    const cart = store.activeCart(customer.id);
    const lines = cart ? store.lines(cart.id) : [];
    if (!cart || lines.length === 0) throw new HttpError(409, "cart_empty", "The cart is empty: add items before checking out", [{ field: "cart", reason: "is empty" }]);
    if (cart.state !== "open") {
      // Begun under another key and not answered yet (the order service was away): sent again now,
      // so a client that lost its key does not leave the cart frozen until the next start.
      const pending = store.checkoutOfCart(cart.id);
      if (pending?.state === "pending") void this.send(pending).catch(() => undefined);
      throw new HttpError(409, "checkout_in_progress", "The cart is being checked out under another Idempotency-Key; retry with that key, or wait for its answer", [{ field: "cart", reason: "is being checked out" }], { "retry-after": "1" });
    }
    const restaurant = await readRestaurant(this.deps.restaurants, cart.restaurant_id!);
    if (!restaurant) throw new HttpError(409, "restaurant_unknown", `Restaurant ${cart.restaurant_id} is not known any more`, [{ field: "restaurant_id", reason: `${cart.restaurant_id} is not a restaurant` }]);
    if (!restaurant.open) throw new HttpError(409, "restaurant_closed", `${restaurant.name} is closed`, [{ field: "restaurant_id", reason: `${restaurant.id} is closed` }]);
    // Priced from the menu as it is now, not as it was when the lines were added.
    const priced: PricedLine[] = [];
    for (const l of lines) {
      const p = priceLine(restaurant.menu, l.request);
      if (isPricingError(p)) throw new HttpError(409, "menu_changed", `Line ${l.line} can no longer be ordered: ${p.field} ${p.reason}`, [{ field: `lines[${l.line}].${p.field}`, reason: p.reason }]);
      priced.push(p);
    }
    const command: CheckoutCommand = {
      idempotency_key: `${customer.id}:${key}`,
      customer_id: customer.id,
      customer_name: customer.name,
      restaurant_id: restaurant.id,
      ...order,
      lines: priced,
      total_amount: linesTotal(priced),
    };
    let row: CheckoutRow;
    try {
      row = store.beginCheckout(cart, key, fingerprint, command, lines.map((l) => l.line));
    } catch (err) {
      if (err instanceof CartConflict) throw new HttpError(409, err.code, err.message, [{ field: "cart", reason: err.message }]);
      throw err;
    }
    return this.send(row);
  }

  /** Send the checkout's command and settle the checkout by the answer; 503 (still pending) when the order service does not answer. */
  async send(row: CheckoutRow): Promise<CheckoutAnswer> {
    const { store, nc, log } = this.deps;
    let reply: CheckoutReply;
    try {
      const msg = await nc.request(subjects.checkoutCommand, JSON.stringify(row.command), { timeout: this.deps.timeoutMs });
      reply = JSON.parse(msg.string()) as CheckoutReply;
    } catch (err) {
      log.warn({ action: "checkout_unanswered", cart_id: row.cart_id, error: errorField(err) }, `No answer from the order service for cart ${row.cart_id}: ${errorMessage(err)}`);
      throw new HttpError(503, "order_service_unavailable", "The order service did not answer; retry with the same Idempotency-Key", [], { "retry-after": "1" });
    }
    if (!reply.ok) {
      if (reply.status >= 500) throw new HttpError(503, "order_service_unavailable", reply.reason, [], { "retry-after": "1" });
      store.abandonCheckout(row);
      log.warn({ action: "checkout_refused", cart_id: row.cart_id, status: reply.status, reason: reply.reason }, `The order service refused cart ${row.cart_id}: ${reply.reason}`);
      throw new HttpError(reply.status, "checkout_refused", reply.reason, reply.field ? [{ field: reply.field, reason: reply.reason }] : []);
    }
    const body = {
      order_number: reply.order_number,
      status: reply.status,
      total_amount: reply.total_amount,
      cart_id: row.cart_id,
      restaurant_id: row.command.restaurant_id,
      lines: row.command.lines,
    };
    store.finishCheckout(row, reply.order_number, body);
    log.info({ action: "cart_checked_out", customer_id: row.customer_id, cart_id: row.cart_id, order_number: reply.order_number, total_amount: reply.total_amount }, `Cart ${row.cart_id} became order ${reply.order_number}`);
    return { status: 201, body, replayed: false };
  }

  /** At start: the checkouts a crash left pending are sent again (the order service answers with the order it made, or makes it). */
  async resumePending(): Promise<void> {
    let pending: CheckoutRow[];
    try {
      pending = this.deps.store.pendingCheckouts();
    } catch {
      return; // aborted as it started: the next start resumes them
    }
    for (const row of pending) {
      try {
        await this.send(row);
      } catch (err) {
        this.deps.log.info({ action: "checkout_resume_deferred", cart_id: row.cart_id, error: errorField(err) }, `Checkout of cart ${row.cart_id} stays pending: ${errorMessage(err)}`);
      }
    }
  }
}
