import { setMaxListeners } from "node:events";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import { BUCKETS, CONSUMERS, COOK_TIME_MS, eventId, ORDER_TYPES, STREAMS, subjects, type OrderType } from "../shared/contracts.js";
import { publishDeadLetter } from "../shared/dead-letter.js";
import { serveControl } from "../shared/control.js";
import { immediate } from "../shared/db.js";
import { errorField, errorMessage, PoisonMessageError } from "../shared/errors.js";
import { decodeOrderEvent, orderEvent } from "../shared/events.js";
import { openBucket } from "../shared/kv.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { ensureConsumer } from "../shared/nats.js";
import { OUTBOX_SCHEMA, Outbox } from "../shared/outbox.js";
import { checkInstanceName, openRuntime, type CommonServiceOptions } from "../shared/runtime.js";
import { Hand, type HeldOrder } from "./hand.js";
import { WorkerRegistration } from "./worker-registry.js";

export interface KitchenWorkerOptions extends CommonServiceOptions {
  /** The worker's name; only one worker of a name may be online. */
  name: string;
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cooks (
  order_number TEXT PRIMARY KEY,
  order_type   TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('cooking', 'ready')),
  attempts     INTEGER NOT NULL,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  cook_ms      INTEGER
) WITHOUT ROWID; -- one b-tree (the key) instead of a rowid table and an index on it: a page less per commit
${OUTBOX_SCHEMA}
`;

class Aborted extends Error {}

/** Instant cooking (cooking time 0) commits at most this often; what arrives meanwhile shares the transaction. */
const INSTANT_GAP_MS = 2;

/**
 * A named kitchen worker. It pulls paid orders of its types from the shared per-type durable
 * consumers, cooks the highest-priority order it holds, and records OrderCooking and OrderReady
 * through its outbox; the broker message is acked only once OrderReady is stored in JetStream, so
 * a crash at any point leads to redelivery, and the events' msgIDs keep the effect single.
 */
export async function start(options: KitchenWorkerOptions): Promise<KitchenWorker> {
  const name = checkInstanceName("worker", options.name);
  const orderTypes = [...new Set(options.orderTypes?.length ? options.orderTypes : ORDER_TYPES)];
  const prefetch = Math.max(1, options.prefetch ?? 1);
  const heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
  const timeScale = options.timeScale ?? 1;
  let slowFactor = 1;
  const cookTimeFor = (type: OrderType) =>
    Math.round((options.cookTimeMs ?? COOK_TIME_MS[type] / (timeScale > 0 ? timeScale : 1)) * slowFactor);

  const rt = await openRuntime("kitchen", name, options, SCHEMA);
  const { log, js, jsm, nc, db, topology } = rt;
  const registration = new WorkerRegistration(
    await openBucket(nc, BUCKETS.workers, { replicas: topology.replicas }),
    name,
    orderTypes,
    prefetch,
    heartbeatMs,
  );
  try {
    await registration.claim(options.takeOver ?? false);
  } catch (err) {
    log.error({ action: "worker_refused", error: errorField(err) }, errorMessage(err));
    await rt.close();
    throw err;
  }
  for (const type of orderTypes) {
    await ensureConsumer(jsm, { durable: CONSUMERS.kitchen(type), filter: subjects.paidFor(type) }, topology, log);
    forwardMaxDeliveries(nc, js, CONSUMERS.kitchen(type), log); // ends with the connection
  }

  const outbox = new Outbox(db, js, log, { nc });
  outbox.start();
  const q = {
    get: db.prepare("SELECT state FROM cooks WHERE order_number = ?"),
    begin: db.prepare(
      `INSERT INTO cooks (order_number, order_type, state, attempts, started_at) VALUES (?, ?, 'cooking', 1, ?)
       ON CONFLICT (order_number) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at`,
    ),
    finish: db.prepare("UPDATE cooks SET state = 'ready', finished_at = ?, cook_ms = ? WHERE order_number = ?"),
  };

  const hand = new Hand();
  const aborter = new AbortController();
  // One listener per order being handed over (up to prefetch x types), not a leak.
  setMaxListeners(0, aborter.signal);
  let running = true;
  let current: HeldOrder | null = null;
  // A worker's figures survive its restarts: they are what its own database says it cooked.
  const totals = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(cook_ms), 0) AS ms FROM cooks WHERE state = 'ready'").get() as { n: number; ms: number };
  let cooked = totals.n;
  let busyMs = totals.ms;
  const fetches = new Set<ConsumerMessages>();
  /** Cooked orders whose OrderReady is stored and waiting for JetStream's ack; acked (and their place freed) after it. */
  const handingOver = new Map<HeldOrder, Promise<void>>();

  const heartbeat = setInterval(() => void registration.beat(), heartbeatMs);
  // Held orders must not be redelivered to someone else while they wait or cook.
  const keepAlive = setInterval(() => {
    for (const h of hand.pending) h.msg.working();
    current?.msg.working();
    for (const h of handingOver.keys()) h.msg.working();
  }, Math.max(250, Math.floor(topology.ackWaitMs / 3)));

  async function fetchLoop(type: OrderType): Promise<void> {
    const durable = CONSUMERS.kitchen(type);
    let consumer: Consumer | null = null;
    while (running) {
      try {
        consumer ??= await js.consumers.get(STREAMS.orders, durable);
        const free = prefetch - hand.count(type);
        if (free <= 0) {
          await hand.spaceFreed();
          continue;
        }
        const batch = await consumer.fetch({ max_messages: free, expires: 2_000 });
        fetches.add(batch);
        try {
          for await (const msg of batch) {
            if (!running) {
              if (!aborter.signal.aborted) msg.nak(); // arrived while stopping: hand it straight back
              continue;
            }
            try {
              const event = decodeOrderEvent(msg);
              if (event.kind !== "paid") throw new PoisonMessageError(`kitchen expects OrderPaid, got ${event.kind}`);
              hand.add({ msg, event, type, receivedAt: Date.now() });
              registration.update({ held: hand.size });
            } catch (err) {
              await publishDeadLetter(js, durable, msg, `poison: ${errorMessage(err)}`, log);
            }
          }
        } finally {
          fetches.delete(batch);
        }
      } catch (err) {
        if (!running) break;
        consumer = null;
        log.warn({ action: "fetch_failed", order_type: type, error: errorField(err) }, `Cannot fetch ${type} orders; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Wait for a promise unless the worker is aborted (crashes) first. */
  function unlessAborted<T>(p: Promise<T>): Promise<T> {
    const signal = aborter.signal;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(new Aborted());
      const onAbort = () => reject(new Aborted());
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  function sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return unlessAborted(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))).finally(() => clearTimeout(timer));
  }

  /**
   * The order's OrderReady is stored: ack the broker message once JetStream has it, then free its
   * place in the hand. The stove does not wait for that round trip: it takes the next order at
   * once (the place stays taken until the ack, so prefetch still bounds what the worker holds).
   */
  function handOver(order: HeldOrder, tookMs: number | null): void {
    const number = order.event.order_number;
    const p = unlessAborted(outbox.published(eventId(number, "ready")))
      .then(
        () => {
          order.msg.ack();
          if (tookMs === null) {
            log.info({ action: "duplicate_delivery_skipped", order_number: number }, `Order ${number} was already cooked; not cooking it again`);
            return;
          }
          cooked++;
          busyMs += tookMs;
          registration.update({ state: current || hand.pending.length > 0 ? "cooking" : "idle", orders_cooked: cooked, busy_ms: busyMs, held: hand.size - 1 });
          log.info({ action: "order_ready", order_number: number, cook_ms: tookMs }, `Order ${number} is ready`);
        },
        (err) => {
          if (err instanceof Aborted || aborter.signal.aborted) return; // crashed: the broker redelivers it
          log.error({ action: "cooking_failed", order_number: number, error: errorField(err) }, "Could not hand the order over; handing it back");
          order.msg.nak(1_000);
        },
      )
      // An ack or nak on a connection that just closed: the broker redelivers after ack_wait.
      .catch((err) => log.debug({ action: "ack_failed", order_number: number, error: errorField(err) }, "Could not settle a message"))
      .finally(() => {
        handingOver.delete(order);
        hand.release(order);
      });
    handingOver.set(order, p);
  }

  /** Cook one order on the stove (its cooking time); hands it over when OrderReady is stored. */
  async function cook(order: HeldOrder): Promise<void> {
    const { event } = order;
    const number = event.order_number;
    const previous = q.get.get(number) as { state: string } | undefined;
    if (previous?.state === "ready") {
      // Cooked before (the ack was lost): make sure OrderReady is out, then let the message go.
      handOver(order, null);
      return;
    }
    const header = { order_number: number, order_type: event.order_type, priority: event.priority, origin: event.origin };
    const startedAt = new Date();
    immediate(db, () => {
      q.begin.run(number, event.order_type, startedAt.toISOString());
      outbox.add(orderEvent("cooking", header, "paid", name, { worker: name }, startedAt));
    });
    outbox.wake();
    registration.update({ state: "cooking", current_order: number, current_since: startedAt.toISOString(), held: hand.size });
    const cookMs = cookTimeFor(event.order_type);
    log.info({ action: "cooking_started", order_number: number, order_type: event.order_type, priority: event.priority, cook_ms: cookMs }, `Cooking ${number}`);
    if (cookMs > 0) await sleep(cookMs);
    const finishedAt = new Date();
    const took = finishedAt.getTime() - startedAt.getTime();
    immediate(db, () => {
      q.finish.run(finishedAt.toISOString(), took, number);
      outbox.add(orderEvent("ready", header, "cooking", name, { worker: name, cook_ms: took }, finishedAt));
    });
    outbox.wake();
    registration.update({ current_order: null, current_since: null });
    handOver(order, took);
  }

  /**
   * Cooking time 0 (throughput runs): everything held is cooked at once, highest priority first,
   * in one transaction (OrderCooking and OrderReady of each, in that order), then handed over.
   */
  function cookInstantly(orders: HeldOrder[]): void {
    const at = new Date();
    const iso = at.toISOString();
    const cookedNow: HeldOrder[] = [];
    const before: HeldOrder[] = [];
    immediate(db, () => {
      for (const order of orders) {
        const { event } = order;
        const number = event.order_number;
        if ((q.get.get(number) as { state: string } | undefined)?.state === "ready") {
          before.push(order);
          continue;
        }
        const header = { order_number: number, order_type: event.order_type, priority: event.priority, origin: event.origin };
        q.begin.run(number, event.order_type, iso);
        outbox.add(orderEvent("cooking", header, "paid", name, { worker: name }, at));
        q.finish.run(iso, 0, number);
        outbox.add(orderEvent("ready", header, "cooking", name, { worker: name, cook_ms: 0 }, at));
        cookedNow.push(order);
      }
    });
    outbox.wake();
    for (const order of cookedNow) {
      const e = order.event;
      log.info({ action: "cooking_started", order_number: e.order_number, order_type: e.order_type, priority: e.priority, cook_ms: 0 }, `Cooking ${e.order_number}`);
      handOver(order, 0);
    }
    for (const order of before) handOver(order, null);
  }

  let lastInstant = 0;
  async function cookLoop(): Promise<void> {
    while (running) {
      await hand.nextArrival();
      if (!running) break;
      const first = hand.peekNext();
      if (!first) continue;
      if (cookTimeFor(first.type) === 0) {
        // Let the orders of the same fetch arrive, and keep commits a few ms apart under load.
        const wait = lastInstant + INSTANT_GAP_MS - performance.now();
        try {
          if (wait > 0) await sleep(wait);
          else await new Promise<void>((r) => setImmediate(r));
        } catch {
          break; // aborted
        }
        if (!running) break;
        lastInstant = performance.now();
        // Highest priority first, everything held that cooks instantly.
        const batch: HeldOrder[] = [];
        for (let next = hand.peekNext(); next && cookTimeFor(next.type) === 0; next = hand.peekNext()) batch.push(hand.takeNext()!);
        if (batch.length === 0) continue;
        try {
          cookInstantly(batch);
        } catch (err) {
          log.error({ action: "cooking_failed", orders: batch.length, error: errorField(err) }, "Cooking failed; handing the orders back");
          for (const o of batch) {
            o.msg.nak(1_000);
            hand.release(o);
          }
        }
        continue;
      }
      const order = hand.takeNext()!;
      current = order;
      try {
        await cook(order);
      } catch (err) {
        if (err instanceof Aborted || aborter.signal.aborted) break;
        log.error({ action: "cooking_failed", order_number: order.event.order_number, error: errorField(err) }, "Cooking failed; handing the order back");
        order.msg.nak(1_000);
        hand.release(order);
      } finally {
        current = null;
      }
    }
  }

  const loops = [...orderTypes.map(fetchLoop), cookLoop()];
  registration.update({ state: "idle", orders_cooked: cooked, busy_ms: busyMs }, 0);
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
  log.info({ action: "worker_started", order_types: orderTypes, prefetch, heartbeat_ms: heartbeatMs, time_scale: timeScale }, `Kitchen worker ${name} started`);

  let stopping: Promise<void> | null = null;
  return {
    name,
    orderTypes,
    cookTimeFor,
    setSlowFactor(factor: number) {
      slowFactor = factor;
    },
    stop() {
      stopping ??= (async () => {
        running = false;
        registration.update({ state: "stopping" }, 0);
        log.info({ action: "worker_stopping", held: hand.size }, `Worker ${name} stopping: handing back waiting orders, finishing the current one`);
        for (const f of fetches) f.stop();
        const handedBack = hand.drain();
        for (const h of handedBack) {
          h.msg.nak();
          hand.release(h);
        }
        hand.interrupt();
        // Finish what is on the stove, but not forever: past the grace period hand it back too.
        const grace = (current ? cookTimeFor(current.type) : 0) + 5_000;
        const finished = await Promise.race([Promise.all(loops).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), grace))]);
        if (!finished && current) {
          current.msg.nak();
          aborter.abort();
          await Promise.allSettled(loops);
        }
        // Cooked orders are acked once their OrderReady is in JetStream (the outbox still runs).
        const handedOver = await Promise.race([Promise.allSettled(handingOver.values()).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
        if (!handedOver) aborter.abort(); // left unacked: redelivered, and found already cooked
        clearInterval(heartbeat);
        clearInterval(keepAlive);
        control.stop();
        await registration.signOff();
        await outbox.stop();
        log.info({ action: "worker_stopped", handed_back: handedBack.length, orders_cooked: cooked }, `Worker ${name} is offline`);
        await rt.close();
      })();
      return stopping;
    },
    abort() {
      stopping ??= (async () => {
        running = false;
        aborter.abort();
        clearInterval(heartbeat);
        clearInterval(keepAlive);
        registration.cancel();
        control.stop();
        for (const f of fetches) f.stop();
        hand.interrupt();
        outbox.halt();
        await rt.abort();
      })();
      return stopping;
    },
  };
}
