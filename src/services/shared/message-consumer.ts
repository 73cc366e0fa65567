import { requestIdOf, withRequestId } from "./log-context.js";
import type { JsMsg } from "@nats-io/jetstream";
import { STREAMS } from "./contracts.js";
import { publishDeadLetter } from "./dead-letter.js";
import { storageErrorCode } from "./disk.js";
import { errorField, errorMessage, StorageFullError } from "./errors.js";
import { onReconnect } from "./reconnect-watch.js";
import { consumerFigures, pause, settleFailure, settleResult, trackSettling, type ConsumerRunner, type ConsumerRunnerOptions, type Settlement } from "./consumer-settling.js";

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
  const figures = consumerFigures(options);
  const inFlight = new Set<Promise<void>>();
  /** A write the disk refused (set by a handler's failure): the loop stops taking messages until it can write. */
  let diskFull: unknown = null;

  const settlement: Settlement = {
    done(msg) {
      msg.ack();
      counts.acks++;
    },
    nak(msg, delayMs) {
      msg.nak(delayMs);
      counts.acks++;
      figures.retried();
    },
    async deadLetter(msg, reason) {
      if (await publishDeadLetter(js, durable, msg, reason, log)) {
        counts.deadLettered++;
        figures.deadLettered();
      }
    },
    counted() {
      counts.handled++;
      figures.handled();
    },
  };

  async function process(msg: JsMsg): Promise<void> {
    let value: T;
    try {
      value = options.decode(msg);
    } catch (err) {
      figures.failed();
      await settlement.deadLetter(msg, `poison: ${errorMessage(err)}`);
      return;
    }
    const began = performance.now();
    try {
      const result = await withRequestId(requestIdOf(value), () => options.handle(value, msg));
      figures.took((performance.now() - began) / 1000);
      settleResult(settlement, msg, result);
    } catch (err) {
      figures.took((performance.now() - began) / 1000);
      if (storageErrorCode(err) !== null) diskFull = err;
      await settleFailure(settlement, msg, err, options);
    }
  }

  /** After a write the disk refused: take nothing until the database commits again (its guard's probe), or a second. */
  async function untilWritable(err: unknown): Promise<void> {
    const wait = err instanceof StorageFullError ? err.untilWritable : undefined;
    await (wait ? wait(() => running) : pause(1_000));
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
        // After a reconnect the client re-pulls only once it can read the consumer's info, and if
        // that fails (a leader just killed) it waits a whole pull expiry (30 s) to try again:
        // subscribe afresh instead, at this loop's own pace (what it buffered is redelivered).
        const unwatch = onReconnect(js, () => {
          log.info({ action: "consumer_resubscribing", durable }, `Reconnected: consumer ${durable} subscribes afresh`);
          iterator.stop();
        });
        try {
          for await (const msg of iterator) {
            // process() never throws on input; trackSettling's catch is for acks on a connection that just closed.
            trackSettling(inFlight, process(msg), log);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
            // The disk is full: stop this subscription (what it buffered is redelivered) until it takes writes.
            if (!running || diskFull !== null) break;
          }
        } finally {
          unwatch();
        }
        if (diskFull !== null) iterator.stop();
      } catch (err) {
        if (!running) break;
        log.warn({ action: "consumer_restart", durable, error: errorField(err) }, `Consumer ${durable} interrupted, resubscribing`);
      }
      if (diskFull !== null && running) {
        await Promise.allSettled(inFlight);
        const err = diskFull;
        diskFull = null;
        await untilWritable(err);
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
