import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BUCKETS, CONSUMERS, subjectMatches, subjects } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { decodeOrderEvent } from "../shared/events.js";
import { createJsonServer, decodePathSegment, HttpError, listen, readJsonBody, sendJson } from "../shared/http.js";
import { openBucket } from "../shared/kv.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant } from "../shared/mutants.js";
import { ensureConsumer, retryWhileSettling } from "../shared/nats.js";
import { orderStatusDurable } from "../shared/durables.js";
import { serverFeatures } from "../shared/server-features.js";
import { Outbox } from "../shared/outbox.js";
import { GroupCommit } from "../shared/group-commit.js";
import type { Logger } from "../shared/logger.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { errorField } from "../shared/errors.js";
import { currentRequestId } from "../shared/log-context.js";
import { serveControl } from "../shared/control.js";
import { definedOnly } from "../shared/objects.js";
import { MENU } from "./menu.js";
import { OrderNumbers, utcDay } from "./order-numbers.js";
import { ORDER_SCHEMA, OrderStore, type OrderRow } from "./store.js";
import { validateOrder } from "./validation.js";
import { orderPlacer } from "./placing.js";
import { serveCheckouts } from "./checkout.js";
import { ORDER_SEQUENCE_TTL_MS } from "../shared/topology.js";
import { compareFingerprint, KeysInProgress, readIdempotencyKey, REPLAYED_HEADERS, requestFingerprint } from "../shared/idempotency.js";

export interface OrderServiceOptions extends CommonServiceOptions {
  /** Instance name; owns the orders it takes (their events carry it). Default `order-1`. */
  instance?: string;
  /** HTTP port; 0 picks a free one. Default 3000, as in the seed. */
  port?: number;
  host?: string;
  /** Requests handled at once; the rest get 503 with Retry-After. */
  maxConcurrent?: number;
  bodyLimitBytes?: number;
  /** Order numbers reserved per round trip to the KV counter. */
  numberBlockSize?: number;
}

export interface OrderService {
  instance: string;
  url: string;
  port: number;
  /** GET /metrics (Prometheus text), on the API's port. */
  metricsUrl: string;
  store: OrderStore;
  outbox: Outbox;
  stop(): Promise<void>;
  /** Crash: drop the connection and database without draining or finishing anything. */
  abort(): Promise<void>;
}

export const ORDER_DEFAULTS = { port: 3000, host: "127.0.0.1", maxConcurrent: 50, bodyLimitBytes: 64 * 1024, numberBlockSize: 1000 };

export async function start(options: OrderServiceOptions): Promise<OrderService> {
  const instance = options.instance ?? "order-1";
  const life = await ServiceLifecycle.open("order", instance, options, ORDER_SCHEMA);
  // A database it cannot use (see OrderStore's migration), or anything else that fails on the way up: let go of the connection, the file and the name.
  return life.starting(() => startOrderService(life, options, instance));
}

async function startOrderService(life: ServiceLifecycle, options: OrderServiceOptions, instance: string): Promise<OrderService> {
  const cfg = { ...ORDER_DEFAULTS, ...definedOnly(options) };
  const { rt } = life;
  const { log, js, jsm, nc, topology } = rt;

  const outbox = new Outbox(rt.db, js, log, { nc, onPublished: logPublished(log) });
  const store = new OrderStore(rt.db, outbox, instance);
  // Orders that arrive together are committed together (one transaction, a savepoint each).
  const group = new GroupCommit(rt.db, () => outbox.wake());
  const kv = await openBucket(nc, BUCKETS.orderSequence, { replicas: topology.replicas, ttlMs: 3 * 24 * 3600_000 });
  // TEST-ONLY: the self-test's deliberate bugs (PIZZERIA_MUTANT), read here once; off in every real run.
  const mutant = activeMutant();
  const rules = { maxQuantity: mutant === "validator-quantity-11" ? 11 : 10 };
  const numbers = new OrderNumbers(kv, cfg.numberBlockSize, (day) => store.localMax(day), log, { ignoreSharedCounter: mutant === "order-number-reuse" });
  // The first block of numbers; a read that times out while the broker is busy creating the bucket is tried again.
  await retryWhileSettling("reserve order numbers", () => numbers.ensure(utcDay(new Date())));
  outbox.start();

  // On 2.10+ the broker delivers only the events of this instance's orders that it applies
  // (durables.ts). On 2.9 every order event, and those of other instances skipped here: a filter on
  // the origin would make JetStream 2.9 scan the stored messages after this durable's position on
  // every delivery whenever it is behind (see consumerConfig), which under load cost the
  // nats-server more than everything else. Another instance's events cost a delivery each.
  await ensureConsumer(jsm, orderStatusDurable(instance, serverFeatures(nc)), topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.order(instance), log); // ends with the connection
  const own = subjects.ownedBy(instance);
  const statusConsumer = runConsumer({
    js,
    durable: CONSUMERS.order(instance),
    log,
    metrics: rt.metrics,
    maxDeliver: topology.maxDeliver,
    // The filter 2.9 does not apply, applied here (on every version): another instance's message is
    // skipped undecoded, not this service's to apply, nor to dead-letter if it is malformed.
    decode: (msg) => (subjectMatches(own, msg.subject) ? decodeOrderEvent(msg) : null),
    // The events that arrive together are applied in one transaction and acked after its commit.
    // On the order's critical path (OrderReady -> OrderCompleted), so it lingers only the default 10 ms.
    batch: { db: rt.db, nc: rt.nc },
    handle(event) {
      if (event === null) return;
      const outcome = store.apply(event);
      const ctx = { order_number: event.order_number, event: event.kind, by: event.by };
      if (outcome.result === "applied") log.info({ action: "order_status_changed", ...ctx, status: outcome.status }, `Order ${event.order_number} is ${outcome.status}`);
      else if (outcome.result === "invalid_transition") log.warn({ action: "invalid_transition_refused", ...ctx, from: outcome.from, to: outcome.to }, `Refused ${outcome.from} -> ${outcome.to} for ${event.order_number}`);
      else if (outcome.result === "unknown_order") log.warn({ action: "unknown_order_event", ...ctx }, `Event for an order this instance does not hold: ${event.order_number}`);
      else if (outcome.result === "duplicate") log.debug({ action: "duplicate_event_ignored", ...ctx }, "Duplicate event ignored");
    },
  });

  let inFlight = 0;
  async function placeOrder(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (inFlight >= cfg.maxConcurrent) {
      req.resume();
      throw new HttpError(503, "overloaded", `More than ${cfg.maxConcurrent} requests in progress; retry shortly`, [], { "retry-after": "1", connection: "close" });
    }
    inFlight++;
    try {
      await handlePlaceOrder(req, res);
    } finally {
      inFlight--;
    }
  }

  const placeOrReplay = orderPlacer({ store, group, numbers, log });
  const keys = new KeysInProgress();
  async function handlePlaceOrder(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const clientKey = readIdempotencyKey(req, { fallback: ["x-request-id"] });
    // Held from the headers on: a first request still uploading its body is in progress too.
    await keys.hold(clientKey, async () => {
      const body = await readJsonBody(req, cfg.bodyLimitBytes);
      // Only a keyed request can come again: an anonymous one keeps no fingerprint.
      const fingerprint = clientKey ? requestFingerprint("POST /orders", body) : null;
      if (clientKey) {
        const existing = store.findByRequest(clientKey);
        if (existing) return replay(res, clientKey, existing, fingerprint);
      }
      // Without a client's key, the id the HTTP server gave the request (its log lines carry it).
      const requestId = clientKey ?? currentRequestId() ?? randomUUID();
      const validation = validateOrder(body, rules);
      if (!validation.ok) {
        log.info({ action: "validation_failed", request_id: requestId, errors: validation.errors }, `Order refused: ${validation.errors[0].field} ${validation.errors[0].reason}`);
        throw new HttpError(400, "validation_failed", "The order is not valid", validation.errors);
      }
      const row = await placeOrReplay(validation.order, requestId, fingerprint, clientKey !== undefined);
      if ("replayed" in row) return replay(res, requestId, row.replayed, fingerprint);
      log.info({ action: "order_received", request_id: requestId, order_number: row.number, order_type: row.order_type, total_amount: row.total_amount, priority: row.priority }, `Order ${row.number} received`);
      sendJson(res, 201, { order_number: row.number, status: row.status, total_amount: row.total_amount });
    });
  }

  /** The answer an earlier request with this key got, when this one is the same request (else 422). */
  function replay(res: ServerResponse, key: string, row: OrderRow & { fingerprint: string | null }, fingerprint: string | null): void {
    if (fingerprint !== null) compareFingerprint(key, row.fingerprint, fingerprint, `order ${row.number}`);
    sendJson(res, 201, { order_number: row.number, status: row.status, total_amount: row.total_amount }, REPLAYED_HEADERS);
  }

  const server = createJsonServer(
    [
      { method: "POST", path: /^\/orders\/?$/, handler: placeOrder },
      { method: "GET", path: /^\/orders\/([^/]+)\/?$/, handler: (req, res, [number]) => {
          const order = store.get(decodePathSegment(req, number));
          if (!order) throw new HttpError(404, "order_not_found", `No order ${number} in ${instance}`);
          sendJson(res, 200, order);
        } },
      { method: "GET", path: /^\/menu\/?$/, handler: (_req, res) => sendJson(res, 200, { items: MENU }) },
      { method: "GET", path: /^\/health\/?$/, handler: (_req, res) => {
          const healthy = !nc.isClosed() && !nc.isDraining();
          sendJson(res, healthy ? 200 : 503, { status: healthy ? "ok" : "degraded", service: "order", instance, in_flight: inFlight, outbox_pending: outbox.pending() });
        } },
    ],
    log,
    rt.metrics,
  );
  const port = await listen(server, cfg.port, cfg.host);
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${port}`;

  const control = serveControl(nc, "order", instance, log, {
    /** Page through this instance's orders: `{after, limit}` -> `{orders}`. */
    // Only what a checker needs: 5,000 full rows would be over NATS's 1 MB max_payload.
    orders: (req: { after?: string | null; limit?: number }) => ({
      orders: store.list(req.after ?? null, Math.min(req.limit ?? 1000, 5000)).map((o) => ({ number: o.number, request_id: o.request_id, status: o.status })),
    }),
    stats: () => ({ in_flight: inFlight, outbox_pending: outbox.pending(), published: outbox.publishedCount, by_status: store.countsByStatus(), group_commits: group.groups, grouped_orders: group.writes }),
  });

  // Carts checked out at the customer service become orders here (request/reply, one per key).
  const claims = await openBucket(nc, BUCKETS.checkouts, { replicas: topology.replicas, ttlMs: ORDER_SEQUENCE_TTL_MS });
  const checkouts = serveCheckouts({ nc, log, store, instance, claims, place: placeOrReplay, doubleOrder: mutant === "checkout-double-order" });
  await nc.flush(); // the server knows the subscription before anyone is told the service is up

  log.info({ action: "service_started", url, max_concurrent: cfg.maxConcurrent }, `Order service listening on ${url}`);

  life.own({
    server,
    consumers: [statusConsumer],
    control: { stop: () => (checkouts.stop(), control.stop()) },
    outbox,
    stopping: () => log.info({ action: "service_stopping" }, "Order service stopping: no new orders, finishing what is in flight"),
    stopped: () => log.info({ action: "service_stopped", outbox_pending: outbox.pending() }, "Order service stopped"),
  });
  return {
    instance,
    url,
    port,
    metricsUrl: `${url}/metrics`,
    store,
    outbox,
    stop: () => life.stop(),
    abort: () => life.abort(),
  };
}

/** The seed's `order_published`: an OrderPlaced the broker has stored, with its order's request id. */
function logPublished(log: Logger): (message: { id: string; payload: string }) => void {
  return (message) => {
    if (!message.id.endsWith(".placed")) return;
    const event = JSON.parse(message.payload) as { order_number: string; request_id?: string; priority: number };
    log.info({ action: "order_published", order_number: event.order_number, request_id: event.request_id, priority: event.priority }, `Order ${event.order_number} published`);
  };
}
