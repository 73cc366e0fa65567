import type { IncomingMessage, ServerResponse } from "node:http";
import { CONSUMERS, subjects } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { decodeOrderEvent } from "../shared/events.js";
import { createJsonServer, decodePathSegment, HttpError, listen, readJsonBody, sendJson } from "../shared/http.js";
import { compareFingerprint, KeysInProgress, readIdempotencyKey, REPLAYED_HEADERS, requestFingerprint } from "../shared/idempotency.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { isPricingError, linesTotal, priceLine } from "../shared/menus.js";
import { ensureConsumer } from "../shared/nats.js";
import { definedOnly } from "../shared/objects.js";
import { Outbox, OUTBOX_SCHEMA } from "../shared/outbox.js";
import { openRestaurantsBucket, readRestaurant } from "../shared/restaurants.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { CartCheckout } from "./checkout.js";
import { CustomerOrdersView, ORDERS_VIEW_TABLES } from "./orders-view.js";
import { CartConflict, CUSTOMER_TABLES, CustomerStore, type CustomerRow } from "./store.js";
import { invalid, validateCartItem, validateCheckout, validateCustomer } from "./validation.js";

export interface CustomerServiceOptions extends CommonServiceOptions {
  /** Instance name. Default `customer-1`. */
  instance?: string;
  /** HTTP port; 0 picks a free one. Default 3005. */
  port?: number;
  host?: string;
  bodyLimitBytes?: number;
  /** How long a checkout waits for the order service's answer before answering 503 (still pending). */
  checkoutTimeoutMs?: number;
}

export interface CustomerService {
  instance: string;
  url: string;
  port: number;
  store: CustomerStore;
  view: CustomerOrdersView;
  outbox: Outbox;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

export const CUSTOMER_DEFAULTS = { port: 3005, host: "127.0.0.1", bodyLimitBytes: 64 * 1024, checkoutTimeoutMs: 5_000 };

/**
 * Seed 000's customers and carts: accounts, one open cart per customer holding one restaurant's
 * items priced from its menu (the restaurants bucket), a checkout that turns the cart into
 * exactly one order (a CheckoutCommand to the order service), and the query side of each
 * customer's orders, built from the ORDERS stream.
 */
export async function start(options: CustomerServiceOptions): Promise<CustomerService> {
  const instance = options.instance ?? "customer-1";
  const life = await ServiceLifecycle.open("customer", instance, options, `${CUSTOMER_TABLES}${ORDERS_VIEW_TABLES}${OUTBOX_SCHEMA}`);
  return life.starting(() => startCustomerService(life, options, instance));
}

async function startCustomerService(life: ServiceLifecycle, options: CustomerServiceOptions, instance: string): Promise<CustomerService> {
  const cfg = { ...CUSTOMER_DEFAULTS, ...definedOnly(options) };
  const { log, js, jsm, nc, db, topology } = life.rt;
  const outbox = new Outbox(db, js, log, { nc });
  const store = new CustomerStore(db, outbox, instance);
  const view = new CustomerOrdersView(db);
  const restaurants = await openRestaurantsBucket(nc, topology.replicas);
  const checkouts = new CartCheckout({ store, restaurants, nc, log, timeoutMs: cfg.checkoutTimeoutMs });
  outbox.start();

  await ensureConsumer(jsm, { durable: CONSUMERS.customer(instance), filter: subjects.allOrderEvents, ordered: true }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.customer(instance), log);
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.customer(instance),
    log,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    batch: { db, nc, lingerMs: 50 },
    handle(event) {
      if (view.apply(event) === "refused") log.warn({ action: "invalid_transition_refused", order_number: event.order_number, event: event.kind }, `Refused ${event.kind} for ${event.order_number}`);
    },
  });

  const keys = new KeysInProgress();
  const customerOf = (req: IncomingMessage, raw: string): CustomerRow => {
    const id = decodePathSegment(req, raw);
    const customer = store.customer(id);
    if (!customer) throw new HttpError(404, "customer_not_found", `No customer ${id}`, [{ field: "customer_id", reason: `no customer ${id}` }]);
    return customer;
  };
  const conflict = (err: unknown): never => {
    if (err instanceof CartConflict) throw new HttpError(409, err.code, err.message, [{ field: err.code === "email_taken" ? "email" : "cart", reason: err.message }]);
    throw err;
  };

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = readIdempotencyKey(req) ?? null;
    await keys.hold(key === null ? undefined : `register:${key}`, async () => {
      const body = await readJsonBody(req, cfg.bodyLimitBytes);
      const fingerprint = requestFingerprint("POST /customers", body);
      const earlier = key === null ? undefined : store.customerByRequestKey(key);
      if (earlier) {
        compareFingerprint(key!, earlier.fingerprint, fingerprint, `customer ${earlier.id}`);
        const { fingerprint: _, ...customer } = earlier;
        return sendJson(res, 201, customer, REPLAYED_HEADERS);
      }
      const input = validateCustomer(body);
      let row: CustomerRow;
      try {
        row = store.register(input, key, key === null ? null : fingerprint);
      } catch (err) {
        return conflict(err);
      }
      log.info({ action: "customer_registered", customer_id: row.id }, `Customer ${row.id} registered`);
      sendJson(res, 201, row);
    });
  }

  function cartView(customer: CustomerRow) {
    const cart = store.activeCart(customer.id);
    const lines = cart ? store.lines(cart.id) : [];
    return {
      customer_id: customer.id,
      cart_id: cart?.id ?? null,
      restaurant_id: cart?.restaurant_id ?? null,
      state: cart?.state ?? "open",
      lines: lines.map((l) => ({ line: l.line, ...l.priced, line_total: linesTotal([l.priced]) })),
      total_amount: linesTotal(lines.map((l) => l.priced)),
    };
  }

  async function addItem(req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
    const body = await readJsonBody(req, cfg.bodyLimitBytes);
    const customer = customerOf(req, raw);
    const { restaurantId, line } = validateCartItem(body);
    const restaurant = await readRestaurant(restaurants, restaurantId);
    if (!restaurant) throw invalid([{ field: "restaurant_id", reason: `${JSON.stringify(restaurantId)} is not a restaurant` }]);
    if (!restaurant.open) throw new HttpError(409, "restaurant_closed", `${restaurant.name} is closed`, [{ field: "restaurant_id", reason: `${restaurant.id} is closed` }]);
    const priced = priceLine(restaurant.menu, line);
    if (isPricingError(priced)) throw invalid([priced]);
    let added: { line: number };
    try {
      added = store.addLine(customer.id, restaurant.id, line, priced);
    } catch (err) {
      return conflict(err);
    }
    sendJson(res, 201, { line: added.line, ...priced, cart: cartView(customer) });
  }

  function removeItem(req: IncomingMessage, res: ServerResponse, [raw, rawLine]: string[]): void {
    const customer = customerOf(req, raw);
    const line = Number(rawLine);
    if (!Number.isInteger(line) || line < 1) throw invalid([{ field: "line", reason: "must be a line number (a positive integer)" }]);
    let removed: boolean;
    try {
      removed = store.removeLine(customer.id, line);
    } catch (err) {
      return conflict(err);
    }
    if (!removed) throw new HttpError(404, "line_not_found", `The cart has no line ${line}`, [{ field: "line", reason: `no line ${line} in the cart` }]);
    sendJson(res, 200, cartView(customer));
  }

  async function checkout(req: IncomingMessage, res: ServerResponse, [raw]: string[]): Promise<void> {
    const key = readIdempotencyKey(req, { required: true })!;
    const customer = customerOf(req, raw);
    await keys.hold(`checkout:${customer.id}:${key}`, async () => {
      const body = await readJsonBody(req, cfg.bodyLimitBytes);
      const fingerprint = requestFingerprint(`POST /customers/${customer.id}/cart/checkout`, body);
      const answer = await checkouts.checkout(customer, key, fingerprint, () => validateCheckout(body));
      sendJson(res, answer.status, answer.body, answer.replayed ? REPLAYED_HEADERS : {});
    });
  }

  const server = createJsonServer(
    [
      { method: "POST", path: /^\/customers\/?$/, handler: register },
      { method: "GET", path: /^\/customers\/([^/]+)\/?$/, handler: (req, res, [raw]) => sendJson(res, 200, customerOf(req, raw)) },
      { method: "GET", path: /^\/customers\/([^/]+)\/orders\/?$/, handler: (req, res, [raw]) => {
          const customer = customerOf(req, raw);
          sendJson(res, 200, { customer_id: customer.id, orders: view.ofCustomer(customer.id) });
        } },
      { method: "GET", path: /^\/customers\/([^/]+)\/cart\/?$/, handler: (req, res, [raw]) => sendJson(res, 200, cartView(customerOf(req, raw))) },
      { method: "POST", path: /^\/customers\/([^/]+)\/cart\/items\/?$/, handler: addItem },
      { method: "DELETE", path: /^\/customers\/([^/]+)\/cart\/items\/([^/]+)\/?$/, handler: removeItem },
      { method: "POST", path: /^\/customers\/([^/]+)\/cart\/checkout\/?$/, handler: checkout },
      { method: "GET", path: /^\/health\/?$/, handler: (_req, res) => {
          const healthy = !nc.isClosed() && !nc.isDraining();
          sendJson(res, healthy ? 200 : 503, { status: healthy ? "ok" : "degraded", service: "customer", instance, keys_in_progress: keys.size, outbox_pending: outbox.pending() });
        } },
    ],
    log,
  );
  const port = await listen(server, cfg.port, cfg.host);
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${port}`;
  const control = serveControl(nc, "customer", instance, log, {
    /** Page through the customers' orders as the read model holds them: `{after, limit}` -> `{orders}`, by number. */
    orders: (req: { after?: string | null; limit?: number }) => ({ orders: view.page(typeof req.after === "string" ? req.after : null, Math.max(1, Math.min(Number(req.limit) || 1000, 2000))) }),
    stats: () => ({ orders_viewed: view.count(), pending_checkouts: store.pendingCheckouts().length, outbox_pending: outbox.pending(), handled: consumer.handled }),
  });
  // What a crash left between the command and its answer is settled now, not when the client retries.
  void checkouts.resumePending();
  log.info({ action: "service_started", url }, `Customer service listening on ${url}`);

  life.own({
    server,
    consumers: [consumer],
    control,
    outbox,
    stopping: () => log.info({ action: "service_stopping" }, "Customer service stopping"),
    stopped: () => log.info({ action: "service_stopped", outbox_pending: outbox.pending() }, "Customer service stopped"),
  });
  return { instance, url, port, store, view, outbox, stop: () => life.stop(), abort: () => life.abort() };
}
