import type { JsMsg } from "@nats-io/jetstream";
import { STREAMS } from "./contracts.js";
import { publishDeadLetter } from "./dead-letter.js";
import { errorField, errorMessage } from "./errors.js";
import { pause, settleFailure, settleResult, trackSettling, type ConsumerRunner, type ConsumerRunnerOptions, type Settlement } from "./consumer-settling.js";

/**
 * The per-message runner: a consume() iterator on a shared durable (AckPolicy.Explicit), up to
 * `concurrency` messages handled at once, each acked, handed back or dead-lettered on its own as
 * soon as its handler is done (instances of a shared durable finish messages out of order).
 */
export function runMessageConsumer<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner {
  const { js, durable, log } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let running = true;
  /** The current consume() iterator. */
  let messages: { stop(): void } | null = null;
  const counts = { handled: 0, deadLettered: 0, acks: 0 };
  const inFlight = new Set<Promise<void>>();

  const settlement: Settlement = {
    done(msg) {
      msg.ack();
      counts.acks++;
    },
    nak(msg, delayMs) {
      msg.nak(delayMs);
      counts.acks++;
    },
    async deadLetter(msg, reason) {
      if (await publishDeadLetter(js, durable, msg, reason, log)) counts.deadLettered++;
    },
    counted() {
      counts.handled++;
    },
  };

  async function process(msg: JsMsg): Promise<void> {
    let value: T;
    try {
      value = options.decode(msg);
    } catch (err) {
      await settlement.deadLetter(msg, `poison: ${errorMessage(err)}`);
      return;
    }
    try {
      settleResult(settlement, msg, await options.handle(value, msg));
    } catch (err) {
      await settleFailure(settlement, msg, err, options);
    }
  }

  async function loop(): Promise<void> {
    while (running) {
      try {
        const consumer = await js.consumers.get(STREAMS.orders, durable);
        // Long pulls (an idle consumer re-pulls every 30 s, not every 5 s) with idle heartbeats every
        // 5 s: when a consumer's leader moves (cluster failover) the pending pull is lost, and the
        // client notices by two missed heartbeats, ~10 s, as with the 5 s pulls this replaces.
        const iterator = await consumer.consume({ max_messages: Math.max(concurrency * 2, 16), expires: 30_000, idle_heartbeat: 5_000 });
        messages = iterator;
        if (!running) iterator.stop();
        for await (const msg of iterator) {
          // process() never throws on input; trackSettling's catch is for acks on a connection that just closed.
          trackSettling(inFlight, process(msg), log);
          if (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (!running) break;
        }
      } catch (err) {
        if (!running) break;
        log.warn({ action: "consumer_restart", durable, error: errorField(err) }, `Consumer ${durable} interrupted, resubscribing`);
      }
      if (running) await pause(500);
    }
    await Promise.allSettled(inFlight);
  }

  const finished = loop();

  return {
    async stop() {
      running = false;
      messages?.stop();
      await finished;
    },
    halt() {
      running = false;
      messages?.stop();
    },
    get handled() {
      return counts.handled;
    },
    get deadLettered() {
      return counts.deadLettered;
    },
    get acks() {
      return counts.acks;
    },
    // Never read from the server: a shared durable is acked message by message whatever its policy.
    ackPolicy: null,
  };
}
