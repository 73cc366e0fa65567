import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { STREAMS, subjects, type DeadLetter } from "./contracts.js";
import { errorField, errorMessage, PoisonMessageError } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * Publish a message a consumer gives up on to the dead-letter stream, with the reason, and
 * terminate it (unless `settle` is false: the caller acks it, as an AckAll consumer does, where a
 * term would settle every message below it too). If the dead letter cannot be stored the message
 * is handed back to come back instead.
 */
export async function publishDeadLetter(js: JetStreamClient, durable: string, msg: JsMsg, reason: string, log: Logger, opts: { settle?: boolean } = {}): Promise<boolean> {
  const letter: DeadLetter = {
    stream: STREAMS.orders,
    consumer: durable,
    subject: msg.subject,
    stream_seq: msg.seq,
    deliveries: msg.info.deliveryCount,
    reason,
    at: new Date().toISOString(),
    payload: msg.string(),
  };
  try {
    await js.publish(subjects.deadLetter(STREAMS.orders, durable), JSON.stringify(letter), {
      msgID: `${STREAMS.orders}.${durable}.${msg.seq}`,
    });
    if (opts.settle !== false) msg.term();
    log.warn({ action: "message_dead_lettered", subject: msg.subject, stream_seq: msg.seq, reason }, `Message dead-lettered: ${reason}`);
    return true;
  } catch (err) {
    msg.nak(1_000);
    log.error({ action: "dead_letter_failed", error: errorField(err) }, "Could not publish dead letter; will retry");
    return false;
  }
}

/** Parse a JSON message body; anything else is poison. */
export function decodeJson(msg: JsMsg): unknown {
  try {
    return JSON.parse(msg.string());
  } catch (err) {
    throw new PoisonMessageError(`body is not JSON: ${errorMessage(err)}`, { cause: err });
  }
}
