import { requestIdOf, withRequestId } from "./log-context.js";
import { AckPolicy, type Consumer, type JsMsg } from "@nats-io/jetstream";
import { BatchPuller } from "./batch-pull.js";
import { diskGuard, guardedCommit, rethrowIfTransactionLost, withEffects } from "./db.js";
import { STREAMS } from "./contracts.js";
import { publishDeadLetter } from "./dead-letter.js";
import { storageErrorCode } from "./disk.js";
import { errorField, errorMessage } from "./errors.js";
import { FullDiskHold } from "./full-disk-hold.js";
import { SettledPrefix } from "./settled-prefix.js";
import {
  consumerFigures,
  exponentialBackoff,
  pause,
  settleFailure,
  settleResult,
  trackSettling,
  type ConsumerRunner,
  type ConsumerRunnerOptions,
  type HandleResult,
  type Settlement,
} from "./consumer-settling.js";

type Outcome = { ok: boolean; value: unknown };

/**
 * The ordered batch runner (`batch` in the options): a one-instance durable pulled in batches,
 * each batch applied in one SQLite transaction (a savepoint per message) and acked after the
 * commit; with AckPolicy.All one ack per settled prefix. See ConsumerRunnerOptions.batch.
 */
export function runOrderedBatchConsumer<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner {
  const { js, durable, log } = options;
  const batchOptions = options.batch!;
  const backoff = options.backoffMs ?? exponentialBackoff;
  const batchMax = Math.max(1, batchOptions.max ?? 256);
  const lingerMs = Math.max(0, batchOptions.lingerMs ?? 10);
  let running = true;
  let halted = false;
  /** The current batch puller. */
  let messages: BatchPuller | null = null;
  const counts = { handled: 0, deadLettered: 0, acks: 0 };
  const figures = consumerFigures(options);
  let ackPolicy: "all" | "explicit" | null = null;
  const inFlight = new Set<Promise<void>>();
  let pending: JsMsg[] = [];
  /** A committed batch not yet settled: refused by a full disk and held, or not yet durable (slow_disk in-process). The pulls wait for it. */
  let holding: Promise<void> | null = null;

  // ---- AckPolicy.All: one ack settles every message up to it ----
  /** The durable's policy is AckPolicy.All (read from its info when subscribing). */
  const ackAll = () => ackPolicy === "all";
  /** Bumped whenever the AckAll bookkeeping is reset: late callbacks of an earlier subscription must not ack. */
  let epoch = 0;
  const prefix = new SettledPrefix();
  /** The delivery sequence the next delivery must have (0: not known); a gap is a delivery lost on the way. */
  let nextDelivery = 0;
  /** Why the subscription is being restarted (a lost delivery, a retry that never came back); null when it is not. */
  let resync: string | null = null;
  let ackWaitMs = 30_000;

  function ackNow(msg: JsMsg): void {
    msg.ack();
    counts.acks++;
  }
  /** AckAll: one ack for the longest settled prefix (SettledPrefix). */
  function ackSettledPrefix(): void {
    const last = ackAll() ? prefix.takeAck() : null;
    if (!last) return;
    try {
      ackNow(last);
    } catch (err) {
      // The connection is gone: what was not acked comes back and is found to be a duplicate.
      log.debug({ action: "ack_failed", error: errorField(err) }, "Could not ack");
    }
  }

  const settlement: Settlement = {
    /** Acked at once, or (AckAll) with the next settled prefix. */
    done(msg) {
      if (!ackAll()) return ackNow(msg);
      prefix.settle(msg);
    },
    nak(msg, delayMs) {
      if (ackAll()) prefix.handBack(msg.seq);
      msg.nak(delayMs);
      counts.acks++;
      figures.retried();
    },
    async deadLetter(msg, reason) {
      if (!ackAll()) {
        if (await publishDeadLetter(js, durable, msg, reason, log)) {
          counts.deadLettered++;
          figures.deadLettered();
        }
        return;
      }
      // AckAll: a term() would settle everything below it too; the message is acked with its prefix instead.
      const mine = epoch;
      prefix.handBack(msg.seq);
      const stored = await publishDeadLetter(js, durable, msg, reason, log, { settle: false });
      if (stored) {
        counts.deadLettered++;
        figures.deadLettered();
      }
      if (mine !== epoch) return;
      if (stored) {
        settlement.done(msg);
        ackSettledPrefix();
      } else {
        prefix.handBack(msg.seq); // handed back by publishDeadLetter: it comes back
      }
    },
    counted() {
      counts.handled++;
      figures.handled();
    },
  };

  // The messages that arrived together, one transaction, a savepoint each.
  const db = batchOptions.db;
  const savepoint = db.transaction((value: T, msg: JsMsg) => withRequestId(requestIdOf(value), () => options.handle(value, msg)));
  const group = db.transaction((items: Array<{ msg: JsMsg; value: T }>, outcomes: Outcome[]) => {
    for (const item of items) {
      try {
        outcomes.push({ ok: true, value: withEffects(db, () => savepoint(item.value, item.msg)) });
      } catch (err) {
        rethrowIfTransactionLost(db, err);
        outcomes.push({ ok: false, value: err });
      }
    }
  });

  function flushBatch(): void {
    if (halted || pending.length === 0) return;
    const msgs = pending;
    pending = [];
    const items: Array<{ msg: JsMsg; value: T }> = [];
    for (const msg of msgs) {
      try {
        items.push({ msg, value: options.decode(msg) });
      } catch (err) {
        figures.failed();
        trackSettling(inFlight, settlement.deadLetter(msg, `poison: ${errorMessage(err)}`), log);
      }
    }
    if (items.length > 0 && !commitBatch(items)) return;
    // AckAll: one ack for the longest settled prefix (a failing message holds back what follows it).
    ackSettledPrefix();
  }

  /** Apply and commit the batch, then settle each message in stream order; false when that is not done now. */
  function commitBatch(items: Array<{ msg: JsMsg; value: T }>): boolean {
    const committed = tryCommit(items);
    if (committed.ok) return settleCommitted(items, committed.outcomes);
    // Nothing of the batch is stored. A full disk (said once by the guard): held and tried again (holdRefused); else handed back.
    if (storageErrorCode(committed.err) !== null) holdRefused(items, committed.err);
    else handBack(items, committed.err);
    return false;
  }

  function tryCommit(items: Array<{ msg: JsMsg; value: T }>): { ok: true; outcomes: Outcome[] } | { ok: false; err: unknown } {
    const outcomes: Outcome[] = [];
    const began = performance.now();
    try {
      guardedCommit(db, () => group.immediate(items, outcomes));
      figures.took((performance.now() - began) / 1000, items.length);
      return { ok: true, outcomes };
    } catch (err) {
      return { ok: false, err };
    }
  }

  function handBack(items: Array<{ msg: JsMsg; value: T }>, err: unknown): void {
    log.error({ action: "batch_commit_failed", durable, messages: items.length, error: errorField(err) }, "Could not commit a batch; retrying its messages");
    for (const { msg } of items) {
      try {
        settlement.nak(msg, backoff(msg.info.deliveryCount));
      } catch {
        // the connection is gone: the broker redelivers after ack_wait anyway
      }
    }
  }

  /** Settle a committed batch: now, or (slow_disk in-process) once it is durable; true when done now. */
  function settleCommitted(items: Array<{ msg: JsMsg; value: T }>, outcomes: Outcome[]): boolean {
    // A write the disk refused inside its savepoint (the batch kept the rest): it is handed back, and the pulls stop until a probe commits.
    if (outcomes.some((o) => !o.ok && diskGuard(db).refusal(o.value) !== null)) restartSubscription("its database is full");
    const durable = diskGuard(db).durable();
    if (!durable) {
      settleBatch(items, outcomes);
      return true;
    }
    hold(
      durable.then(() => {
        if (halted) return; // a crash: nothing acked
        settleBatch(items, outcomes);
        ackSettledPrefix();
      }),
    );
    return false;
  }

  /** Committed: the acks leave together in one write. */
  function settleBatch(items: Array<{ msg: JsMsg; value: T }>, outcomes: Outcome[]): void {
    items.forEach(({ msg }, i) => {
      const outcome = outcomes[i];
      try {
        if (outcome.ok) settleResult(settlement, msg, outcome.value as HandleResult);
        else trackSettling(inFlight, settleFailure(settlement, msg, outcome.value, options), log);
      } catch (err) {
        log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a message");
      }
    });
  }

  /**
   * The disk refused the batch's commit: the batch is kept in progress (FullDiskHold: no delivery
   * spent) and committed again when the disk may take it. No pull goes out meanwhile; what the open
   * pull still brings is kept too, and handled next, in order. A stop hands the batch back.
   */
  function holdRefused(items: Array<{ msg: JsMsg; value: T }>, refusal: unknown): void {
    const puller = messages;
    hold(
      (async () => {
        const keep = new FullDiskHold(() => [...items.map((i) => i.msg), ...(puller?.arrivedNotTaken ?? [])], ackWaitMs);
        let err = refusal;
        try {
          for (;;) {
            if (!(await keep.next(err, () => running))) {
              if (!halted) for (const { msg } of items) settlement.nak(msg);
              return;
            }
            const committed = tryCommit(items);
            if (committed.ok) {
              if (settleCommitted(items, committed.outcomes)) ackSettledPrefix();
              return;
            }
            if (storageErrorCode(committed.err) === null) return handBack(items, committed.err);
            err = committed.err;
          }
        } finally {
          keep.end();
        }
      })(),
    );
  }

  /** Keep `p` in `holding` (after what was there): the pulls, a resubscription and the stop wait for it (untilHeld). */
  function hold(p: Promise<void>): void {
    const settled = p.catch((err) => log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a held batch"));
    const q: Promise<void> = Promise.all([holding, settled]).then(() => {
      if (holding === q) holding = null;
    });
    holding = q;
  }
  const untilHeld = async () => {
    while (holding) await holding;
  };

  /**
   * An ordered (batch) consumer taking over its durable: messages delivered to the previous
   * incarnation and never acked (it stopped or crashed with them on their way) come back only after
   * ack_wait, and meanwhile the first pulls would bring newer ones: events of one order out of
   * order, which a state machine refuses for good. So when there are such messages, wait until they
   * are due: the server then redelivers them before anything newer. The consumer's info also says
   * which ack policy the durable has, and where its delivery sequence stands.
   */
  async function awaitRedeliveries(consumer: Consumer): Promise<void> {
    const info = await consumer.info();
    ackPolicy = info.config.ack_policy === AckPolicy.All ? "all" : "explicit";
    ackWaitMs = Math.ceil((info.config.ack_wait ?? 30e9) / 1e6);
    // Nothing else delivers on this durable (one instance): the next delivery is the one after the last delivered.
    nextDelivery = info.delivered.consumer_seq + 1;
    if (info.num_ack_pending === 0 || !running) return;
    const waitMs = ackWaitMs + 100;
    log.info({ action: "awaiting_redeliveries", durable, unacked: info.num_ack_pending, wait_ms: waitMs }, `${info.num_ack_pending} messages of ${durable} are unacked from before; waiting ${waitMs} ms for their redelivery first`);
    const until = Date.now() + waitMs;
    while (running && Date.now() < until) await pause(Math.min(100, until - Date.now()));
  }

  /** AckAll: stop this subscription (what it delivers from now on is left to be redelivered) and start again. */
  function restartSubscription(reason: string): void {
    if (resync !== null) return;
    resync = reason;
    messages?.stop();
  }

  /** AckAll: forget what the previous subscription left unacked; the server redelivers it (awaitRedeliveries). */
  function resetAckAll(): void {
    epoch++;
    prefix.clear();
    nextDelivery = 0;
    resync = null;
  }

  function enqueue(msg: JsMsg): void {
    if (ackAll()) {
      const seq = msg.info.deliverySequence;
      if (nextDelivery !== 0 && seq !== nextDelivery) {
        // A delivery never reached us (a connection dropped with it on the way): the next ack would
        // settle it unhandled. Handle what came before it, leave the rest to be redelivered.
        flushBatch();
        restartSubscription(`delivery ${seq} arrived where ${nextDelivery} was expected`);
        return;
      }
      nextDelivery = seq + 1;
    }
    pending.push(msg);
  }

  /** Pull a batch, apply it in one transaction, ack, linger; until stopped or restarted. */
  async function pullBatches(): Promise<void> {
    const puller = new BatchPuller({ nc: batchOptions.nc, apiPrefix: js.apiPrefix, stream: STREAMS.orders, durable, max: batchMax, ackTimeoutMs: ackWaitMs });
    messages = puller;
    if (!running) puller.stop();
    try {
      while (resync === null) {
        // After stop() the puller still hands over what already arrived: it is handled and acked
        // here instead of being dropped. Restarting (AckAll), the rest is left unacked to come back in order.
        await untilHeld();
        if (resync !== null) break;
        const batch = await puller.next();
        for (const msg of batch) if (resync === null) enqueue(msg);
        flushBatch();
        if (!running) break;
        await puller.lingerAfter(batch, lingerMs);
      }
    } finally {
      puller.stop();
    }
  }

  // AckAll: a message handed back for a retry that never comes back (its redelivery lost) would hold every ack forever.
  const watchdog = setInterval(() => {
    if (!ackAll() || resync !== null) return;
    const since = prefix.oldestHandBack();
    if (since !== null && since < Date.now() - (ackWaitMs + 5_000 + backoff(options.maxDeliver))) {
      restartSubscription("a message handed back for a retry did not come back");
    }
  }, 1_000);
  watchdog.unref();

  async function loop(): Promise<void> {
    while (running) {
      try {
        // A database that cannot store what the messages do: take none until it can.
        await diskGuard(db).untilWritable(() => running);
        if (!running) break;
        const consumer = await js.consumers.get(STREAMS.orders, durable);
        await awaitRedeliveries(consumer);
        await pullBatches();
      } catch (err) {
        if (!running) break;
        log.warn({ action: "consumer_restart", durable, error: errorField(err) }, `Consumer ${durable} interrupted, resubscribing`);
      }
      flushBatch();
      await untilHeld();
      if (resync !== null && running) {
        log.warn({ action: "consumer_resync", durable, reason: resync }, `Consumer ${durable} restarts its subscription (${resync}); what it has not acked is redelivered first`);
      }
      // A new subscription starts from what the server has: its unacked messages come back first.
      if (running) resetAckAll();
      if (running) await pause(500);
    }
    flushBatch();
    await untilHeld();
    await Promise.allSettled(inFlight);
    ackSettledPrefix();
    clearInterval(watchdog);
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
      clearInterval(watchdog);
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
    get ackPolicy() {
      return ackPolicy;
    },
  };
}
