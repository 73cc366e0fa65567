import type { ConsumerMessages } from "@nats-io/jetstream";
import { BUCKETS, CONSUMERS, COOK_TIME_MS, ORDER_TYPES, subjects, type MarkReadyReply, type MarkReadyRequest, type OrderType } from "../shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../shared/menus.js";
import { serveControl } from "../shared/control.js";
import { errorField, errorMessage } from "../shared/errors.js";
import { openBucket } from "../shared/kv.js";
import { ServiceLifecycle, type Stoppable } from "../shared/service-lifecycle.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import { PruneOnWrite, readIdempotencyWindow } from "../shared/idempotency-window.js";
import { OUTBOX_SCHEMA, Outbox } from "../shared/outbox.js";
import { checkInstanceName, type CommonServiceOptions } from "../shared/runtime.js";
import { Abortable } from "./abortable.js";
import { fetchAcceptedOrders } from "./fetch-loop.js";
import { Hand } from "./hand.js";
import { pruneCooks, Stove } from "./stove.js";
import { serveKitchenMetrics } from "./metrics.js";
import { WorkerRegistration } from "./worker-registry.js";

export interface KitchenWorkerOptions extends CommonServiceOptions {
  /** The worker's name; only one worker of a name may be online. */
  name: string;
  /** The restaurant whose kitchen it cooks in (default DEFAULT_RESTAURANT_ID): it cooks only that restaurant's orders. */
  restaurant?: string;
  /** Order types this worker cooks (default: all). */
  orderTypes?: OrderType[];
  /** Orders held at once per order type, like RabbitMQ's per-consumer prefetch (default 1). */
  prefetch?: number;
  /** Heartbeat period (default 30 s, as in the seed). */
  heartbeatIntervalMs?: number;
  /** Cooking times are the seed's divided by this (default 1). */
  timeScale?: number;
  /** Fixed cooking time for every type, overriding the seed's (0 for throughput runs). */
  cookTimeMs?: number;
  /** Take the name over even though its last heartbeat is fresh: the previous worker is known dead (crashed in this process). */
  takeOver?: boolean;
}

export interface KitchenWorker {
  name: string;
  /** GET /metrics (Prometheus text), on its own port (options.metricsPort). */
  metricsUrl: string;
  metricsPort: number;
  restaurant: string;
  orderTypes: OrderType[];
  /** Cooking time of an order of this type, with the current slow-down applied. */
  cookTimeFor(type: OrderType): number;
  /** Make cooking `factor` times slower (1 is normal): the "slow kitchen" fault. */
  setSlowFactor(factor: number): void;
  /** Graceful: take nothing new, hand back what is waiting, finish the order on the stove, sign off. */
  stop(): Promise<void>;
  /** Crash: drop everything on the floor; the broker redelivers what was held. */
  abort(): Promise<void>;
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS cooks (
  order_number TEXT PRIMARY KEY,
  order_type   TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('cooking', 'ready')),
  attempts     INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  cook_ms      INTEGER
) WITHOUT ROWID; -- one b-tree (the key) instead of a rowid table and an index on it: a page less per commit
-- The cooks pruned past the idempotency window, counted: a restarted worker's totals include them.
CREATE TABLE IF NOT EXISTS cooks_pruned (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  n  INTEGER NOT NULL,
  ms INTEGER NOT NULL
);
${OUTBOX_SCHEMA}
`;

/**
 * A named kitchen worker of one restaurant. It pulls the orders its restaurant accepted, of its
 * types, from the shared per-restaurant-and-type durable consumers, cooks the highest-priority order it holds, and records OrderCooking and OrderReady
 * through its outbox; the broker message is acked only once OrderReady is stored in JetStream, so
 * a crash at any point leads to redelivery, and the events' msgIDs keep the effect single.
 */
export async function start(options: KitchenWorkerOptions): Promise<KitchenWorker> {
  const name = checkInstanceName("worker", options.name);
  const restaurant = checkInstanceName("restaurant", options.restaurant ?? DEFAULT_RESTAURANT_ID);
  const orderTypes = [...new Set(options.orderTypes?.length ? options.orderTypes : ORDER_TYPES)];
  const prefetch = Math.max(1, options.prefetch ?? 1);
  const heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
  let registration!: WorkerRegistration;
  // The worker's record in pizzeria_workers is its presence: a name that is online is refused.
  const life = await ServiceLifecycle.open("kitchen", name, options, SCHEMA, {
    heartbeatIntervalMs: heartbeatMs,
    async claim({ nc, topology, log }) {
      const kv = await openBucket(nc, BUCKETS.workers, { replicas: topology.replicas });
      registration = new WorkerRegistration(kv, name, restaurant, orderTypes, prefetch, heartbeatMs, options.takeOver ?? false);
      try {
        await registration.claim();
      } catch (err) {
        log.error({ action: "worker_registration_failed", error: errorField(err) }, errorMessage(err));
        throw err;
      }
      return registration;
    },
  });
  return life.starting(() => startWorker(life, registration, options, { name, restaurant, orderTypes, prefetch, heartbeatMs }));
}

async function startWorker(
  life: ServiceLifecycle,
  registration: WorkerRegistration,
  options: KitchenWorkerOptions,
  { name, restaurant, orderTypes, prefetch, heartbeatMs }: { name: string; restaurant: string; orderTypes: OrderType[]; prefetch: number; heartbeatMs: number },
): Promise<KitchenWorker> {
  const timeScale = options.timeScale ?? 1;
  let slowFactor = 1;
  const cookTimeFor = (type: OrderType) =>
    Math.round((options.cookTimeMs ?? COOK_TIME_MS[type] / (timeScale > 0 ? timeScale : 1)) * slowFactor);
  const { log, js, jsm, nc, db, topology } = life.rt;
  // One shared durable per restaurant and type, each with one filter (JetStream 2.9 has no
  // filter_subjects): the restaurant's workers of that type share its accepted orders.
  for (const type of orderTypes) {
    await ensureConsumer(jsm, { durable: CONSUMERS.kitchen(restaurant, type), filter: subjects.acceptedFor(restaurant, type) }, topology, log);
    forwardMaxDeliveries(nc, js, CONSUMERS.kitchen(restaurant, type), log); // ends with the connection
  }

  const outbox = new Outbox(db, js, log, { nc });
  outbox.start();

  const hand = new Hand();
  const abortable = new Abortable();
  let running = true;
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; null in every real run.
  const mutant = activeMutant();
  const pruner = new PruneOnWrite(await readIdempotencyWindow(jsm, log), (olderThan) => pruneCooks(db, olderThan));
  const stove = new Stove({ name, db, outbox, log, hand, registration, abortable, cookTimeFor, running: () => running, mutant, pruner });
  const fetches = new Set<ConsumerMessages>();

  // Held orders must not be redelivered to someone else while they wait or cook.
  const keepAlive = setInterval(() => {
    for (const h of hand.pending) h.msg.working();
    stove.keepAlive();
  }, Math.max(250, Math.floor(topology.ackWaitMs / 3)));

  const fetching = { js, log, metrics: life.rt.metrics, hand, registration, restaurant, prefetch, fetches, running: () => running, aborted: () => abortable.aborted };
  const loops = [...orderTypes.map((type) => fetchAcceptedOrders(fetching, type)), stove.run()];
  registration.update({ state: "idle", orders_cooked: stove.cooked, busy_ms: stove.busyMs }, 0);
  // The staff of the restaurant mark an order ready by hand: the worker that has it on its stove answers.
  const markReady = nc.subscribe(subjects.kitchenMarkReady(restaurant), {
    callback: (err, msg) => {
      if (err) return;
      try {
        const req = JSON.parse(msg.string()) as Partial<MarkReadyRequest>;
        if (typeof req.order_number !== "string" || !stove.markReady(req.order_number, typeof req.by === "string" ? req.by : "staff")) return;
        const reply: MarkReadyReply = { ok: true, worker: name };
        msg.respond(JSON.stringify(reply));
      } catch (e) {
        log.warn({ action: "mark_ready_unreadable", error: errorField(e) }, "A mark-ready request that cannot be read was ignored");
      }
    },
  });
  const control = serveControl(nc, "kitchen", name, log, {
    slow: (req: { factor?: number }) => {
      const factor = Number(req.factor ?? 1);
      if (!(factor > 0)) throw new Error("factor must be a positive number");
      slowFactor = factor;
      log.warn({ action: "kitchen_slowed", factor }, `Cooking is now ${factor}x the normal time`);
      return { factor };
    },
    stats: () => ({ ...registration.current, outbox_pending: outbox.pending() }),
  });
  log.info({ action: "worker_registered", restaurant, order_types: orderTypes, prefetch, heartbeat_ms: heartbeatMs, time_scale: timeScale }, `Kitchen worker ${name} started`);

  let handedBack = 0;
  /** The fetch loops and the stove: the worker's consumer, as the lifecycle sees it. */
  const shift: Stoppable = {
    async stop() {
      running = false;
      markReady.unsubscribe();
      registration.update({ state: "stopping" }, 0);
      log.info({ action: "graceful_shutdown", held: hand.size }, `Worker ${name} stopping: handing back waiting orders, finishing the current one`);
      for (const f of fetches) f.stop();
      const waiting = hand.drain();
      handedBack = waiting.length;
      for (const h of waiting) {
        h.msg.nak();
        hand.release(h);
      }
      hand.interrupt();
      // Finish what is on the stove, but not forever: past the grace period hand it back too.
      const grace = (stove.current ? cookTimeFor(stove.current.type) : 0) + 5_000;
      const finished = await Promise.race([Promise.all(loops).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), grace))]);
      if (!finished && stove.current) {
        stove.current.msg.nak();
        abortable.abort();
        await Promise.allSettled(loops);
      }
      // Cooked orders are acked once their OrderReady is in JetStream (the outbox still runs).
      const handedOver = await stove.handOversSettled(5_000);
      if (!handedOver) abortable.abort(); // left unacked: redelivered, and found already cooked
      clearInterval(keepAlive);
    },
    halt() {
      running = false;
      markReady.unsubscribe();
      abortable.abort();
      clearInterval(keepAlive);
      for (const f of fetches) f.stop();
      hand.interrupt();
    },
  };
  life.own({
    consumers: [shift],
    control,
    outbox,
    stopped: () => log.info({ action: "worker_stopped", handed_back: handedBack, orders_cooked: stove.cooked }, `Worker ${name} is offline`),
  });
  const metricsAt = await serveKitchenMetrics(life, stove, hand, orderTypes.map((type) => CONSUMERS.kitchen(restaurant, type)));

  return {
    name,
    metricsUrl: metricsAt.url,
    metricsPort: metricsAt.port,
    restaurant,
    orderTypes,
    cookTimeFor,
    setSlowFactor(factor: number) {
      slowFactor = factor;
    },
    stop: () => life.stop(),
    abort: () => life.abort(),
  };
}
