import { commitDueAt, requestIdOf, withHandling } from "./log-context.js";
import type { JsMsg } from "@nats-io/jetstream";
import { STREAMS } from "./contracts.js";
import { publishDeadLetter } from "./dead-letter.js";
import { sleepUntil, storageErrorCode } from "./disk.js";
import { errorField, errorMessage, StorageFullError } from "./errors.js";
import { onReconnect } from "./reconnect-watch.js";
import { FullDiskHold } from "./full-disk-hold.js";
import {
  consumerFigures,
  pause,
  settleFailure,
  settleResult,
  trackSettling,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type HandleResult,
  type Settlement,
} from "./consumer-settling.js";

/**
 * The per-message runner: a consume() iterator on a shared durable (AckPolicy.Explicit), up to
 * `concurrency` messages handled at once, each acked, handed back or dead-lettered on its own as
 * soon as its handler is done (instances of a shared durable finish messages out of order).
 */
export function runMessageConsumer<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner {
  const { js, durable, log } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let running = true;
  let halted = false;
  /** The durable's ack_wait (read when subscribing): how often a held message is said to be in progress. */
  let ackWaitMs = 5_000;
  /** The current consume() iterator. */
  let messages: { stop(): void } | null = null;
  const counts = { handled: 0, deadLettered: 0, acks: 0 };
  const figures = consumerFigures(options);
  const inFlight = new Set<Promise<void>>();
  /** A write the disk refused (set by a handler's failure): the loop stops taking messages until it can write. */
  let diskFull: unknown = null;
  /** Wakes the loop waiting for a free place when a write is refused: it must stop the pulls at once, not when a place frees. */
  let filled: (() => void) | null = null;

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
    let outcome = await attempt(value, msg);
    if (!outcome.ok && storageErrorCode(outcome.err) !== null) {
      diskFull = outcome.err; // the loop takes no more messages until the disk takes writes
      filled?.();
      const held = await whileFull(value, msg, outcome.err);
      if (held === null) return; // the runner stopped meanwhile
      outcome = held;
    }
    figures.took((performance.now() - began) / 1000);
    if (outcome.ok) settleResult(settlement, msg, outcome.value);
    else await settleFailure(settlement, msg, outcome.err, options);
  }

  /** The handler once; its ack waits until what it committed is durable (slow_disk in-process: a timer, not the thread). */
  async function attempt(value: T, msg: JsMsg): Promise<{ ok: true; value: HandleResult } | { ok: false; err: unknown }> {
    try {
      const result = await withHandling(requestIdOf(value), async () => {
        const handled = await options.handle(value, msg);
        const due = commitDueAt();
        if (due > 0) await sleepUntil(due);
        return handled;
      });
      return { ok: true, value: result };
    } catch (err) {
      return { ok: false, err };
    }
  }

  /**
   * The disk refused the message's write: keep the message (in progress, no delivery spent) and
   * try again when the disk may take it (FullDiskHold), however long it stays full. Null when the
   * runner stopped meanwhile: handed back at once (a stop), or left to the server (a crash).
   */
  async function whileFull(value: T, msg: JsMsg, err: unknown): Promise<Awaited<ReturnType<typeof attempt>> | null> {
    const hold = new FullDiskHold(() => [msg], ackWaitMs);
    try {
      for (;;) {
        if (!(await hold.next(err, () => running))) {
          if (!halted) settlement.nak(msg);
          return null;
        }
        const outcome = await attempt(value, msg);
        if (outcome.ok || storageErrorCode(outcome.err) === null) return outcome;
        err = outcome.err;
      }
    } finally {
      hold.end();
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
        ackWaitMs = Math.ceil(((await consumer.info(true)).config.ack_wait ?? 5e9) / 1e6);
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
            // The disk is full: pull no more until it takes writes; what this subscription already
            // has is taken too, to be held with the rest (FullDiskHold) rather than left to be redelivered.
            if (diskFull !== null) {
              iterator.stop();
              continue;
            }
            if (inFlight.size >= concurrency) await Promise.race([...inFlight, new Promise<void>((r) => (filled = r))]);
            filled = null;
            if (!running) break;
            if (diskFull !== null) iterator.stop();
          }
        } finally {
          unwatch();
        }
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
      halted = true;
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
