import type { Consumer, ConsumerMessages, JetStreamClient } from "@nats-io/jetstream";
import { pause } from "../shared/consumer-settling.js";
import { CONSUMERS, STREAMS, type OrderType } from "../shared/contracts.js";
import { publishDeadLetter } from "../shared/dead-letter.js";
import type { ServiceMetrics } from "../shared/metrics.js";
import { errorField, errorMessage, PoisonMessageError } from "../shared/errors.js";
import { decodeOrderEvent } from "../shared/events.js";
import type { Logger } from "../shared/logger.js";
import type { Hand } from "./hand.js";
import type { WorkerRegistration } from "./worker-registry.js";

export interface FetchLoopOptions {
  js: JetStreamClient;
  log: Logger;
  hand: Hand;
  registration: WorkerRegistration;
  /** The restaurant the worker cooks for. */
  restaurant: string;
  /** Orders held at once per order type. */
  prefetch: number;
  /** False once the worker stops taking work. */
  running(): boolean;
  /** True once the worker crashed: what arrives is left to the broker, not handed back. */
  aborted(): boolean;
  /** The fetches in progress, so that a stop can end them at once. */
  fetches: Set<ConsumerMessages>;
  /** The worker's metrics: what it dead-letters, per durable. */
  metrics?: ServiceMetrics;
}

/**
 * Fill the hand with accepted orders of one type from the restaurant's shared
 * `kitchen_<restaurant>_<type>` durable: fetch as many as there are free places (prefetch minus
 * what is held), wait for a place when there is none. A message that is not an OrderAccepted of
 * this restaurant is dead-lettered; one that arrives while the worker
 * stops is handed straight back.
 */
export async function fetchAcceptedOrders(o: FetchLoopOptions, type: OrderType): Promise<void> {
  const { js, log, hand } = o;
  const durable = CONSUMERS.kitchen(o.restaurant, type);
  let consumer: Consumer | null = null;
  while (o.running()) {
    try {
      consumer ??= await js.consumers.get(STREAMS.orders, durable);
      const free = o.prefetch - hand.count(type);
      if (free <= 0) {
        await hand.spaceFreed();
        continue;
      }
      // A long fetch (an idle worker pulls every 30 s, not every 2 s: six wake-ups of the broker and the
      // worker a second across the default roster otherwise), with idle heartbeats so that a fetch lost
      // with the server is noticed within two of them.
      const batch = await consumer.fetch({ max_messages: free, expires: 30_000, idle_heartbeat: 5_000 });
      o.fetches.add(batch);
      try {
        for await (const msg of batch) {
          if (!o.running()) {
            if (!o.aborted()) msg.nak(); // arrived while stopping: hand it straight back
            continue;
          }
          try {
            const event = decodeOrderEvent(msg);
            if (event.kind !== "accepted") throw new PoisonMessageError(`kitchen expects OrderAccepted, got ${event.kind}`);
            if (event.restaurant !== o.restaurant) throw new PoisonMessageError(`kitchen of ${o.restaurant} got an order of ${event.restaurant}`);
            hand.add({ msg, event, type, receivedAt: Date.now() });
            o.registration.update({ held: hand.size });
          } catch (err) {
            o.metrics?.failed.inc({ durable });
            if (await publishDeadLetter(js, durable, msg, `poison: ${errorMessage(err)}`, log)) o.metrics?.deadLettered.inc({ durable });
          }
        }
      } finally {
        o.fetches.delete(batch);
      }
    } catch (err) {
      if (!o.running()) break;
      consumer = null;
      log.warn({ action: "fetch_failed", order_type: type, error: errorField(err) }, `Cannot fetch ${type} orders; retrying`);
      await pause(500);
    }
  }
}
