import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { CONSUMERS, ORDER_TYPES, STREAMS, subjectMatches, subjects, type EventKind, type OrderType } from "../../services/shared/contracts.js";
import { orderEvent } from "../../services/shared/events.js";
import { DEFAULT_RESTAURANT_ID } from "../../services/shared/menus.js";
import type { OutboxMessage } from "../../services/shared/outbox.js";
import { connectNats, consumerConfig, ensureStreams, resolveTopology, type NatsConnection } from "../../services/shared/nats.js";
import { orderStatusDurable } from "../../services/shared/durables.js";
import { featuresOf, serverFeatures, type ServerFeatures } from "../../services/shared/server-features.js";
import type { Roster } from "../scenario/roster.js";

/** The events of an order that goes the whole way (README's event catalogue, the happy path). */
export const EVENTS_PER_ORDER: readonly EventKind[] = ["placed", "paid", "accepted", "cooking", "ready", "completed"];

export interface DurableFilter {
  durable: string;
  filter: string;
  /** The broker's filters on 2.10+ (DurableSpec.filters). */
  filters?: readonly string[];
  /** One instance applying its messages in stream order: AckPolicy.All, one ack per batch (as the services create it). */
  ordered: boolean;
}

/** What a durable is delivered: its filters on the server of `features`. */
function takes(d: DurableFilter, subject: string): boolean {
  return (d.filters ?? [d.filter]).some((f) => subjectMatches(f, subject));
}

/** The durable consumers a roster creates on ORDERS, with their filters on a server of `features` (README's event catalogue). */
export function rosterDurables(roster: Roster, features: ServerFeatures): DurableFilter[] {
  const out: DurableFilter[] = [
    { durable: CONSUMERS.payment, filter: subjects.placed, ordered: false },
    { durable: CONSUMERS.refunds, filter: subjects.rejected, ordered: false },
  ];
  if (roster.restaurant.instances > 0) out.push({ durable: CONSUMERS.restaurant, filter: subjects.paid, ordered: false });
  const kitchens = new Map<string, Set<OrderType>>();
  for (const w of roster.kitchen) {
    const r = w.restaurant ?? DEFAULT_RESTAURANT_ID;
    const types = kitchens.get(r) ?? new Set<OrderType>();
    for (const t of w.orderTypes ?? ORDER_TYPES) types.add(t);
    kitchens.set(r, types);
  }
  for (const [r, types] of kitchens) {
    for (const t of ORDER_TYPES) if (types.has(t)) out.push({ durable: CONSUMERS.kitchen(r, t), filter: subjects.acceptedFor(r, t), ordered: false });
  }
  for (let i = 1; i <= roster.order.instances; i++) out.push({ ordered: true, ...orderStatusDurable(`order-${i}`, features) });
  for (let i = 1; i <= roster.tracking.instances; i++) out.push({ durable: CONSUMERS.tracking(`tracking-${i}`), filter: subjects.allOrderEvents, ordered: true });
  for (let i = 1; i <= roster.notification.instances; i++) out.push({ durable: CONSUMERS.notification(`notification-${i}`), filter: subjects.allOrderEvents, ordered: true });
  for (let i = 1; i <= (roster.customer?.instances ?? 0); i++) out.push({ durable: CONSUMERS.customer(`customer-${i}`), filter: subjects.allOrderEvents, ordered: true });
  return out;
}

/**
 * How many messages one order costs the broker: publishes, and deliveries to the roster's durables;
 * `ackedEach` of the deliveries go to AckPolicy.Explicit durables (an ack each), the rest to the
 * ordered AckPolicy.All ones (an ack per batch: how many depends on the batching, so it is measured).
 */
export function messagesPerOrder(roster: Roster, features: ServerFeatures = featuresOf(undefined), origin = "order-1", restaurant = DEFAULT_RESTAURANT_ID): { publishes: number; deliveries: number; ackedEach: number; byDurable: Record<string, number> } {
  const durables = rosterDurables(roster, features);
  const byDurable: Record<string, number> = Object.fromEntries(durables.map((d) => [d.durable, 0]));
  // Averaged over the three order types (a type goes to its own kitchen consumer).
  for (const type of ORDER_TYPES) {
    for (const kind of EVENTS_PER_ORDER) {
      const subject = subjects.orderEvent(kind, restaurant, type, origin);
      for (const d of durables) if (takes(d, subject)) byDurable[d.durable] += 1 / ORDER_TYPES.length;
    }
  }
  const deliveries = Object.values(byDurable).reduce((a, b) => a + b, 0);
  const ackedEach = durables.filter((d) => !d.ordered).reduce((a, d) => a + byDurable[d.durable], 0);
  return { publishes: EVENTS_PER_ORDER.length, deliveries: Math.round(deliveries * 100) / 100, ackedEach: Math.round(ackedEach * 100) / 100, byDurable };
}

export interface JetStreamCeiling {
  orders: number;
  publishes: number;
  deliveries: number;
  /** Acks sent: one per delivery to an Explicit durable, one per batch to an ordered (AckPolicy.All) one. */
  acks: number;
  seconds: number;
  /** Orders' worth of messages per second: the ceiling the pipeline's orders/s sits under. */
  ordersPerSecond: number;
  publishesPerSecond: number;
  deliveriesPerSecond: number;
  /** Publish alone (until the last PubAck), for comparison with the brief's ~19k msg/s. */
  publishSeconds: number;
}

export interface JetStreamCeilingOptions {
  natsUrl: string;
  roster: Roster;
  orders: number;
  /** Publishes awaiting their PubAck at once. */
  window?: number;
  /** Pull batch of each consumer. */
  pullBatch?: number;
  /** Ordered durables: acks at least this far apart (the services' commit gap), each settling what came before. */
  ackGapMs?: number;
  timeoutMs?: number;
  /**
   * Paced instead of flat out: this many orders a second, each of an order's events at its own
   * time (the events of all orders evenly spaced), as the pipeline bench's load offers them. What
   * the same messages cost the broker and its clients at that rate: the baseline of the
   * pipeline's CPU per order at low rates, where every message is a wake-up of its own.
   */
  pacedRate?: number;
  /** Called once everything is set up, just before the first publish (to measure the load alone). */
  onLoadStart?: () => void;
  onProgress?: (delivered: number, expected: number) => void;
}

/**
 * The raw JetStream ceiling for the pipeline's message pattern, on a fresh broker: the ORDERS
 * stream and durable consumers exactly as the services create them, each consumer on its own
 * connection; publish the events of `orders` orders (real envelopes, msgID = event id) while every
 * durable consumes and acks what its filter selects, the way the services ack it (an ack per
 * message on the shared Explicit durables; one per batch on the ordered AckPolicy.All ones). No
 * SQLite, no HTTP, no logic: what the broker and the client library alone allow on this machine,
 * with everything in this one process.
 */
export async function measureJetStreamCeiling(options: JetStreamCeilingOptions): Promise<JetStreamCeiling> {
  const topology = resolveTopology(undefined);
  let durables: DurableFilter[] = [];
  const window = options.window ?? 512;
  const pullBatch = options.pullBatch ?? 512;
  const connections: NatsConnection[] = [];
  const open = async (name: string) => {
    const nc = await connectNats({ servers: options.natsUrl }, name);
    connections.push(nc);
    return nc;
  };
  const running: ConsumerMessages[] = [];
  try {
    const admin = await open("bench:admin");
    const jsm = await jetstreamManager(admin);
    await ensureStreams(jsm, topology);
    durables = rosterDurables(options.roster, serverFeatures(admin));
    for (const d of durables) await jsm.consumers.add(STREAMS.orders, consumerConfig(d, topology));

    // What each durable must see.
    const events: OutboxMessage[] = [];
    for (let i = 1; i <= options.orders; i++) {
      const type = ORDER_TYPES[i % ORDER_TYPES.length];
      const header = { order_number: `ORD_20000101_${i}`, order_type: type, priority: 1, restaurant: DEFAULT_RESTAURANT_ID, origin: "order-1" };
      events.push(orderEvent("placed", header, null, "order-1", { customer_name: "Jane Doe", items: [{ name: "Margherita Pizza", quantity: 2, price: 12.99 }, { name: "Cola", quantity: 1, price: 2.49 }], total_amount: 28.47, request_id: `req-${i}` }));
      events.push(orderEvent("paid", header, "received", "payment-1", { amount: 28.47, payment_id: `pay_${i}` }));
      events.push(orderEvent("accepted", header, "paid", "restaurant-1", {}));
      events.push(orderEvent("cooking", header, "accepted", "chef_mario", { worker: "chef_mario" }));
      events.push(orderEvent("ready", header, "cooking", "chef_mario", { worker: "chef_mario", cook_ms: 0 }));
      events.push(orderEvent("completed", header, "ready", "order-1", {}));
    }
    const expected = new Map(durables.map((d) => [d.durable, events.filter((e) => takes(d, e.subject)).length]));
    const totalExpected = [...expected.values()].reduce((a, b) => a + b, 0);
    let delivered = 0;
    let acks = 0;
    const ackGapMs = options.ackGapMs ?? 2;

    let resolveAll!: () => void;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    let finishedConsumers = 0;
    const consumerLoops = durables.map(async (d) => {
      const nc = await open(`bench:${d.durable}`);
      const consumer = await jetstream(nc).consumers.get(STREAMS.orders, d.durable);
      const messages = await consumer.consume({ max_messages: pullBatch });
      running.push(messages);
      const want = expected.get(d.durable)!;
      let got = 0;
      if (want === 0) {
        if (++finishedConsumers === durables.length) resolveAll();
        return;
      }
      // As the services settle: an ack per message (Explicit), or (ordered, AckPolicy.All) one ack for
      // what arrived together, after this turn's I/O and at least ackGapMs after the previous one.
      let last: JsMsg | null = null;
      let scheduled = false;
      let lastAck = 0;
      const ackLast = () => {
        scheduled = false;
        if (!last) return;
        last.ack();
        acks++;
        last = null;
        lastAck = performance.now();
      };
      for await (const m of messages) {
        got++;
        delivered++;
        if (!d.ordered) {
          m.ack();
          acks++;
        } else {
          last = m;
          if (!scheduled) {
            scheduled = true;
            const wait = lastAck + ackGapMs - performance.now();
            if (wait <= 0) setImmediate(ackLast);
            else setTimeout(ackLast, wait);
          }
        }
        if (got === want) {
          ackLast();
          await nc.flush();
          if (++finishedConsumers === durables.length) resolveAll();
          break;
        }
      }
    });

    const pubNc = await open("bench:publisher");
    const js = jetstream(pubNc);
    const progress = options.onProgress ? setInterval(() => options.onProgress!(delivered, totalExpected), 1_000) : null;
    options.onLoadStart?.();
    const started = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    const gapMs = options.pacedRate ? 1000 / (options.pacedRate * EVENTS_PER_ORDER.length) : 0;
    for (const [i, e] of events.entries()) {
      if (gapMs > 0) {
        const wait = started + i * gapMs - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      }
      const p = js.publish(e.subject, JSON.stringify(e.payload), { msgID: e.id, timeout: 30_000 }).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= window) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    const publishSeconds = (performance.now() - started) / 1000;
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allDone,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`JetStream ceiling: only ${delivered} of ${totalExpected} deliveries after ${timeoutMs} ms`)), timeoutMs))),
    ]).finally(() => {
      clearTimeout(timer);
      if (progress) clearInterval(progress);
    });
    const seconds = (performance.now() - started) / 1000;
    await Promise.allSettled(consumerLoops);
    return {
      orders: options.orders,
      publishes: events.length,
      deliveries: totalExpected,
      acks,
      seconds: Math.round(seconds * 1000) / 1000,
      ordersPerSecond: Math.round(options.orders / seconds),
      publishesPerSecond: Math.round(events.length / seconds),
      deliveriesPerSecond: Math.round(totalExpected / seconds),
      publishSeconds: Math.round(publishSeconds * 1000) / 1000,
    };
  } finally {
    for (const m of running) m.stop();
    await Promise.allSettled(connections.map((nc) => nc.close()));
  }
}
