import { jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS, subjects, type DeadLetter } from "./contracts.js";
import { errorField } from "./errors.js";
import type { Logger } from "./logger.js";

interface MaxDeliveriesAdvisory {
  stream: string;
  consumer: string;
  stream_seq: number;
  deliveries: number;
}

/**
 * A message can also run out of deliveries without any handler failing: its holder keeps dying
 * or timing out before the ack. The server then stops delivering it and says so in a
 * MAX_DELIVERIES advisory; this copies such a message into the dead-letter stream, so it is
 * visible and replayable instead of silently gone. Every instance sharing the durable hears the
 * advisory; the dead letter's msgID keeps it single.
 */
export function forwardMaxDeliveries(nc: NatsConnection, js: JetStreamClient, durable: string, log: Logger): { stop(): void } {
  const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${STREAMS.orders}.${durable}`, {
    callback: (err, msg) => {
      if (err) return;
      void (async () => {
        try {
          const advisory = msg.json() as MaxDeliveriesAdvisory;
          const jsm = await jetstreamManager(nc);
          const original = await jsm.streams.getMessage(STREAMS.orders, { seq: advisory.stream_seq });
          const letter: DeadLetter = {
            stream: STREAMS.orders,
            consumer: durable,
            subject: original?.subject ?? "?",
            stream_seq: advisory.stream_seq,
            deliveries: advisory.deliveries,
            reason: `delivered ${advisory.deliveries} times without an ack (its holders died or timed out)`,
            at: new Date().toISOString(),
            payload: original ? original.string() : "",
          };
          await js.publish(subjects.deadLetter(STREAMS.orders, durable), JSON.stringify(letter), { msgID: `${STREAMS.orders}.${durable}.${advisory.stream_seq}` });
          log.warn({ action: "message_dead_lettered", stream_seq: advisory.stream_seq, reason: letter.reason }, `Message dead-lettered: ${letter.reason}`);
        } catch (e) {
          log.error({ action: "dead_letter_failed", error: errorField(e) }, "Could not dead-letter a message that ran out of deliveries");
        }
      })();
    },
  });
  return { stop: () => sub.unsubscribe() };
}
