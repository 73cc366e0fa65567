import { BUCKETS, CONSUMERS, COOK_TIME_MS, isWorkerOnline, ORDER_STATUSES, subjects, type OrderStatus, type OrderType, type WorkerRecord } from "../shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../shared/menus.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { errorField } from "../shared/errors.js";
import { decodeOrderEvent } from "../shared/events.js";
import { createJsonServer, decodePathSegment, HttpError, listen, loggingRequests, sendJson } from "../shared/http.js";
import { openBucket } from "../shared/kv.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant, mutantPicks } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { graphqlApi, type GraphqlApi } from "./graphql/route.js";
import { RestaurantDirectory } from "./graphql/restaurants.js";
import { ReadModel, TRACKING_SCHEMA, type TrackedOrder } from "./read-model.js";

export interface TrackingServiceOptions extends CommonServiceOptions {
  instance?: string;
  /** HTTP port; default 3002 as in the seed, 0 picks a free one. */
  port?: number;
  host?: string;
  /** The kitchen's time scale, for estimated completion times. */
  timeScale?: number;
}

export interface TrackingService {
  instance: string;
  url: string;
  /** GET /metrics (Prometheus text), on the API's port. */
  metricsUrl: string;
  port: number;
  readModel: ReadModel;
  /** The GraphQL API at /graphql (its open subscriptions, for tests and stats). */
  graphql: GraphqlApi;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The query side: a read model built from the ORDERS stream and the worker registry, served
 * over HTTP. It never looks into another service's database.
 */
export async function start(options: TrackingServiceOptions): Promise<TrackingService> {
  const instance = options.instance ?? "tracking-1";
  const life = await ServiceLifecycle.open("tracking", instance, options, TRACKING_SCHEMA);
  return life.starting(() => startTrackingService(life, options, instance));
}

async function startTrackingService(life: ServiceLifecycle, options: TrackingServiceOptions, instance: string): Promise<TrackingService> {
  const host = options.host ?? "127.0.0.1";
  const timeScale = options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
  const { log, js, jsm, nc, db, topology } = life.rt;
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; off in every real run.
  const model = new ReadModel(db, { regressEveryFourth: activeMutant() === "tracking-regress" });

  await ensureConsumer(jsm, { durable: CONSUMERS.tracking(instance), filter: subjects.allOrderEvents, ordered: true }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.tracking(instance), log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.tracking(instance),
    log,
    metrics: life.rt.metrics,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    // The events that arrive together are applied in one transaction and acked after its commit.
    // The read model may be 50 ms behind the stream (a status page does not notice); each event no longer costs a wake-up.
    batch: { db, nc, lingerMs: 50 },
    handle(event) {
      const { result, reason } = model.apply(event);
      if (result === "refused") {
        log.warn({ action: "invalid_transition_refused", order_number: event.order_number, event: event.kind, reason }, `Refused ${event.kind} for ${event.order_number}: ${reason}`);
      }
    },
  });

  const workersKv = await openBucket(nc, BUCKETS.workers, { replicas: topology.replicas });
  // The restaurant board answers 404 for a restaurant no restaurant service wrote.
  const restaurantsKv = await openBucket(nc, BUCKETS.restaurants, { replicas: topology.replicas });
  const watcher = await workersKv.watch();
  void (async () => {
    for await (const entry of watcher) {
      if (entry.operation !== "PUT") continue;
      try {
        model.saveWorker(entry.json() as WorkerRecord);
      } catch (err) {
        log.warn({ action: "worker_record_unreadable", key: entry.key, error: errorField(err) }, "Unreadable worker record ignored");
      }
    }
  })().catch(() => undefined);

  /**
   * While cooking: when the order should be ready, from the cooking worker's own time (its
   * OrderCooking's cook_ms); tracking's time scale only for an older worker's event without it.
   */
  const estimate = (order: TrackedOrder): string | null => {
    if (order.status !== "cooking") return null;
    const cookMs = order.cook_ms ?? COOK_TIME_MS[order.order_type as OrderType] / timeScale;
    return new Date(Date.parse(order.updated_at) + cookMs).toISOString();
  };
  const restaurants = await RestaurantDirectory.watch(restaurantsKv, log);
  const feedSkips = activeMutant() === "tracking-feed-skip" ? (n: string, status: string) => status === "ready" && mutantPicks(n, 5) : undefined;
  const graphql = graphqlApi({ model, restaurants, estimate, ...(feedSkips ? { feedSkips } : {}) }, log);
  const notFound = (number: string) => new HttpError(404, "order_not_found", `No order ${number} is known to tracking`, [{ field: "order_number", reason: `no order ${number}` }]);
  const server = createJsonServer(
    loggingRequests([
      {
        method: "GET",
        path: /^\/orders\/([^/]+)\/status\/?$/,
        handler(req, res, [raw]) {
          const number = decodePathSegment(req, raw);
          const order = model.order(number);
          if (!order) throw notFound(number);
          sendJson(res, 200, {
            order_number: order.number,
            restaurant_id: order.restaurant ?? DEFAULT_RESTAURANT_ID,
            ...(order.customer_id ? { customer_id: order.customer_id } : {}),
            current_status: order.status,
            updated_at: order.updated_at,
            estimated_completion: estimate(order),
            processed_by: order.processed_by,
          });
        },
      },
      {
        method: "GET",
        path: /^\/orders\/([^/]+)\/history\/?$/,
        handler(req, res, [raw]) {
          const number = decodePathSegment(req, raw);
          const order = model.order(number);
          if (!order) throw notFound(number);
          const of = { restaurant_id: order.restaurant ?? DEFAULT_RESTAURANT_ID, ...(order.customer_id ? { customer_id: order.customer_id } : {}) };
          sendJson(res, 200, model.history(number).map((h) => ({ status: h.status, from: h.from_status, timestamp: h.changed_at, changed_by: h.changed_by, ...of })));
        },
      },
      {
        method: "GET",
        path: /^\/workers\/status\/?$/,
        handler(_req, res) {
          const now = Date.now();
          sendJson(res, 200, model.workers().map((w) => ({
            worker_name: w.name,
            restaurant: w.restaurant ?? DEFAULT_RESTAURANT_ID,
            status: isWorkerOnline(w, now) ? "online" : "offline",
            state: w.state,
            order_types: w.order_types,
            current_order: w.current_order,
            orders_processed: w.orders_cooked,
            last_seen: w.last_seen,
          })));
        },
      },
      {
        method: "GET",
        path: /^\/restaurants\/([^/]+)\/orders\/?$/,
        async handler(req, res, [raw]) {
          const id = decodePathSegment(req, raw);
          const status = new URL(req.url ?? "/", "http://x").searchParams.get("status");
          if (status !== null && !(ORDER_STATUSES as readonly string[]).includes(status)) {
            throw new HttpError(400, "validation_failed", `Unknown status ${status}`, [{ field: "status", reason: `must be one of ${ORDER_STATUSES.join(", ")}` }]);
          }
          if (!(await restaurantsKv.get(id))) throw new HttpError(404, "restaurant_not_found", `No restaurant ${id}`, [{ field: "restaurant_id", reason: `no restaurant ${id}` }]);
          sendJson(res, 200, model.board(id, status as OrderStatus | null, 1000).map((o) => ({
            order_number: o.number,
            status: o.status,
            order_type: o.order_type,
            customer_name: o.customer_name,
            ...(o.customer_id ? { customer_id: o.customer_id } : {}),
            total_amount: o.total_amount,
            priority: o.priority,
            processed_by: o.processed_by,
            updated_at: o.updated_at,
          })));
        },
      },
      ...graphql.routes,
      { method: "GET", path: /^\/health\/?$/, handler: (_req, res) => sendJson(res, 200, { status: "ok", service: "tracking", instance }) },
    ], log), // the seed's request_received
    log,
    life.rt.metrics,
  );
  const port = await listen(server, options.port ?? 3002, host);
  const url = `http://${host}:${port}`;
  const control = serveControl(nc, "tracking", instance, log, {
    stats: () => ({ by_status: model.countsByStatus(), refused: model.refusedCount(), handled: consumer.handled, subscriptions: graphql.openSubscriptions() }),
    /** Page through the read model: `{after, limit}` -> `{orders: [{number, status, history: [[from, to, by]]}]}`, by number. */
    orders: (req: { after?: string | null; limit?: number }) => ({ orders: model.page(typeof req.after === "string" ? req.after : null, Math.max(1, Math.min(Number(req.limit) || 1000, 2000))) }),
    /** Each kitchen worker as the read model knows it: name, types, orders cooked. */
    workers: () => ({ workers: model.workers().map((w) => ({ name: w.name, order_types: w.order_types, orders_cooked: w.orders_cooked })) }),
  });
  log.info({ action: "service_started", url }, `Tracking service listening on ${url}`);

  life.own({
    server,
    // The worker watch first: the read model stops taking worker records, then events.
    consumers: [{ stop: () => watcher.stop(), halt: () => watcher.stop() }, { stop: () => restaurants.stop(), halt: () => restaurants.stop() }, consumer],
    // Open event streams end first (each says complete), or the server would wait on them.
    stopping: () => graphql.endSubscriptions(),
    control,
    stopped: () => log.info({ action: "service_stopped" }, "Tracking service stopped"),
  });
  return {
    instance,
    url,
    port,
    metricsUrl: `${url}/metrics`,
    readModel: model,
    graphql,
    stop: () => life.stop(),
    abort: () => life.abort(),
  };
}
