import { BUCKETS, CONSUMERS, subjects, type OrderEvent } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { immediate } from "../shared/db.js";
import { decodeOrderEvent } from "../shared/events.js";
import { listen } from "../shared/http.js";
import { openBucket } from "../shared/kv.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../shared/menus.js";
import { activeMutant } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import type { EventHeader } from "../shared/events.js";
import { definedOnly } from "../shared/objects.js";
import { Outbox } from "../shared/outbox.js";
import { checkInstanceName, type CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { autoAnswer } from "./acceptance.js";
import { PaidOrders, RESTAURANT_SCHEMA, type DecideOutcome } from "./decisions.js";
import { restaurantApi } from "./http-api.js";
import { RESTAURANTS_TABLE, RestaurantBook } from "./restaurants.js";

export interface RestaurantServiceOptions extends CommonServiceOptions {
  /** Instance name (default `restaurant-1`). */
  instance?: string;
  /** The restaurants it runs (default DEFAULT_RESTAURANTS: `main` and `napoli`). */
  restaurants?: readonly RestaurantDefinition[];
  /** Fixes which orders an `auto` restaurant rejects (same seed, same rejections). Default 1. */
  seed?: number;
  /** HTTP port; default 3004, 0 picks a free one. */
  port?: number;
  host?: string;
  bodyLimitBytes?: number;
  markReadyTimeoutMs?: number;
}

export interface RestaurantService {
  instance: string;
  url: string;
  /** GET /metrics (Prometheus text), on the API's port. */
  metricsUrl: string;
  port: number;
  orders: PaidOrders;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

export const RESTAURANT_DEFAULTS = { port: 3004, host: "127.0.0.1", seed: 1, bodyLimitBytes: 64 * 1024, markReadyTimeoutMs: 1_500 };

/**
 * The restaurants' side of the saga: every paid order is answered by its restaurant, accepted
 * (OrderAccepted: its kitchen cooks it) or rejected (OrderRejected: the payment service refunds
 * it). An `auto` restaurant answers at once (rejecting its reject rate of orders, by a seeded
 * draw); a `manual` one keeps the order waiting for its staff's answer over HTTP; a closed one, or
 * a restaurant this service does not run, rejects it. Each paid order is remembered once and
 * decided once; the decision and its event are one transaction with the outbox, so a redelivered
 * OrderPaid changes nothing.
 */
export async function start(options: RestaurantServiceOptions): Promise<RestaurantService> {
  const instance = options.instance ?? "restaurant-1";
  for (const r of options.restaurants ?? []) checkInstanceName("restaurant", r.id);
  const life = await ServiceLifecycle.open("restaurant", instance, options, RESTAURANT_SCHEMA + RESTAURANTS_TABLE);
  return life.starting(() => startRestaurantService(life, options, instance));
}

async function startRestaurantService(life: ServiceLifecycle, options: RestaurantServiceOptions, instance: string): Promise<RestaurantService> {
  const cfg = { ...RESTAURANT_DEFAULTS, ...definedOnly(options) };
  const { log, js, jsm, nc, db, topology } = life.rt;
  const kv = await openBucket(nc, BUCKETS.restaurants, { replicas: topology.replicas });
  const book = new RestaurantBook(db, kv, options.restaurants ?? DEFAULT_RESTAURANTS);
  await book.publishAll();
  const outbox = new Outbox(db, js, log, { nc });
  outbox.start();
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; off in every real run.
  const orders = new PaidOrders(db, outbox, activeMutant() === "restaurant-misroute" ? misrouteEveryThird(book.list().map((r) => r.id)) : undefined);

  function answer(event: OrderEvent<"paid">): void {
    const number = event.order_number;
    const restaurant = book.get(event.restaurant);
    const auto = restaurant ? autoAnswer(restaurant, number, cfg.seed) : { decision: "rejected" as const, reason: `no restaurant ${event.restaurant}` };
    const outcome = immediate(db, (): DecideOutcome | "waiting" | "before" => {
      if (!orders.receive(event) && orders.get(number)?.state !== "waiting") return "before"; // a redelivery of an answered order
      if (auto.decision === "wait") return "waiting";
      return orders.decideInside(number, auto.decision, instance, auto.decision === "rejected" ? auto.reason : null);
    });
    if (outcome === "waiting") {
      log.info({ action: "order_waiting", order_number: number, restaurant: event.restaurant }, `Order ${number} waits for the staff of ${event.restaurant}`);
      return;
    }
    if (outcome === "before" || outcome.result !== "decided") return;
    outbox.wake();
    const reason = auto.decision === "rejected" ? auto.reason : undefined;
    log.info({ action: `order_${outcome.decision}`, order_number: number, restaurant: event.restaurant, reason }, `Order ${number} ${outcome.decision} by ${event.restaurant}${reason ? `: ${reason}` : ""}`);
  }

  await ensureConsumer(jsm, { durable: CONSUMERS.restaurant, filter: subjects.paid }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.restaurant, log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.restaurant,
    log,
    metrics: life.rt.metrics,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    handle: (event) => (event.kind === "paid" ? answer(event) : undefined),
  });

  const server = restaurantApi({ book, orders, nc, log, metrics: life.rt.metrics, bodyLimitBytes: cfg.bodyLimitBytes, markReadyTimeoutMs: cfg.markReadyTimeoutMs });
  const port = await listen(server, cfg.port, cfg.host);
  const url = `http://${cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host}:${port}`;
  const control = serveControl(nc, "restaurant", instance, log, {
    stats: () => ({ orders: orders.counts(), outbox_pending: outbox.pending() }),
  });
  log.info({ action: "service_started", url, restaurants: book.list().map((r) => r.id) }, `Restaurant service listening on ${url}`);
  life.own({
    server,
    consumers: [consumer],
    control,
    outbox,
    stopped: () => log.info({ action: "service_stopped", outbox_pending: outbox.pending() }, "Restaurant service stopped"),
  });
  return { instance, url, port, metricsUrl: `${url}/metrics`, orders, stop: () => life.stop(), abort: () => life.abort() };
}

/** TEST-ONLY mutant (never in production): every third accepted order goes out as another restaurant's. */
function misrouteEveryThird(ids: readonly string[]): (header: EventHeader) => EventHeader {
  let accepted = 0;
  return (header) => {
    const other = ids.find((id) => id !== header.restaurant);
    return other !== undefined && accepted++ % 3 === 0 ? { ...header, restaurant: other } : header;
  };
}
