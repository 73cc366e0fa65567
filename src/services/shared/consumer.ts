import { AckPolicy, type Consumer, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { BatchPuller } from "./batch-pull.js";
import { STREAMS } from "./contracts.js";
import { errorField, errorMessage, PoisonMessageError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Db } from "./db.js";
import { publishDeadLetter } from "./dead-letter.js";
import { SettledPrefix } from "./settled-prefix.js";

/** What a handler asks for: nothing (ack) or a later retry without counting it as a failure. */
export type HandleResult = void | { retryInMs: number };

export interface ConsumerRunnerOptions<T> {
  js: JetStreamClient;
  durable: string;
  log: Logger;
  /** Turn a message into a value; throw PoisonMessageError for input that can never be handled. */
  decode(msg: JsMsg): T;
  handle(value: T, msg: JsMsg): Promise<HandleResult> | HandleResult;
  /** Deliveries before the message is dead-lettered (the consumer's max_deliver). */
  maxDeliver: number;
  /** Messages handled at once; 1 keeps stream order (tracking, order status). */
  concurrency?: number;
  /** Retry delay after a failed attempt, by delivery count. */
  backoffMs?: (deliveries: number) => number;
  /**
   * Handle the messages that arrive together in one SQLite transaction of this database (each in
   * its own savepoint), then ack them together after the commit. `handle` must then be synchronous
   * and do its writes on `db` only. Stream order is kept (concurrency is ignored). The messages
   * are pulled in batches (BatchPuller: what the consumer has, in one go; when it has nothing, the
   * first one to come, at once), and after a batch that was not full the runner lingers `lingerMs`
   * (default 10) so that the next one gathers what came in meanwhile: one pull, one commit and one
   * write of acks per batch instead of a wake-up, a commit and a write per message. The linger is
   * what a message may wait on top of its handling: keep it short on the order's critical path.
   *
   * When the durable's ack policy is AckPolicy.All (an ordered durable: `ordered` in
   * ensureConsumer; the runner reads the policy from the consumer's info, so an older durable
   * created with Explicit keeps working), one ack settles every message up to it: after each
   * commit only the last message of the longest settled prefix is acked. A message handed back for
   * a retry (or being dead-lettered) blocks every ack above it until it is settled itself; what was
   * handled above it meanwhile stays unacked and, if it comes back, is found to be a duplicate.
   * A delivery lost on the way (a gap in the delivery sequence: a connection dropped) would be
   * covered by the next ack, so the runner then stops, lets the server redeliver, and starts again.
   */
  batch?: { db: Db; nc: NatsConnection; max?: number; lingerMs?: number };
}

export interface ConsumerRunner {
  /** Stop taking messages and wait for those being handled. */
  stop(): Promise<void>;
  /** Stop taking messages now; whatever is being handled is abandoned (a crash). */
  halt(): void;
  /** Messages handled (acked) since start. */
  readonly handled: number;
  readonly deadLettered: number;
  /** Acks (and naks, terms) sent since start: one per message with AckPolicy.Explicit, one per settled prefix with AckPolicy.All. */
  readonly acks: number;
  /** The durable's ack policy as the server has it (known once the runner has subscribed). */
  readonly ackPolicy: "all" | "explicit" | null;
}

export const exponentialBackoff = (deliveries: number) => Math.min(100 * 2 ** (deliveries - 1), 5_000);

/**
 * Pull messages from a durable consumer and hand them to `handle`, forever: the iterator is
 * recreated when the consumer or the connection goes away. A message that cannot be decoded, or
 * fails on its last allowed delivery, is published to the dead-letter stream with the reason and
 * terminated, so it never loops and never stops the consumer.
 */
export function runConsumer<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner {
  const { js, durable, log } = options;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const backoff = options.backoffMs ?? exponentialBackoff;
  let running = true;
  /** The current subscription (a consume() iterator, or the batch puller). */
  let messages: { stop(): void } | null = null;
  let handled = 0;
  let deadLettered = 0;
  let acks = 0;
  let ackPolicy: "all" | "explicit" | null = null;
  const inFlight = new Set<Promise<void>>();

  // ---- AckPolicy.All (ordered durables in batch mode): one ack settles every message up to it ----
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
    acks++;
  }
  function nakNow(msg: JsMsg, delayMs?: number): void {
    if (ackAll()) prefix.handBack(msg.seq);
    msg.nak(delayMs);
    acks++;
  }
  /** A message is handled (or dead-lettered): acked at once, or (AckAll) with the next settled prefix. */
  function done(msg: JsMsg): void {
    if (!ackAll()) return ackNow(msg);
    prefix.settle(msg);
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

  async function deadLetter(msg: JsMsg, reason: string): Promise<void> {
    if (!ackAll()) {
      if (await publishDeadLetter(js, durable, msg, reason, log)) deadLettered++;
      return;
    }
    // AckAll: a term() would settle everything below it too; the message is acked with its prefix instead.
    const mine = epoch;
    prefix.handBack(msg.seq);
    const stored = await publishDeadLetter(js, durable, msg, reason, log, { settle: false });
    if (stored) deadLettered++;
    if (mine !== epoch) return;
    if (stored) {
      done(msg);
      ackSettledPrefix();
    } else {
      prefix.handBack(msg.seq); // handed back by publishDeadLetter: it comes back
    }
  }

  async function process(msg: JsMsg): Promise<void> {
    let value: T;
    try {
      value = options.decode(msg);
    } catch (err) {
      await deadLetter(msg, `poison: ${errorMessage(err)}`);
      return;
    }
    try {
      settle(msg, await options.handle(value, msg));
    } catch (err) {
      await failed(msg, err);
    }
  }

  /** A handler's answer: ack, or a retry it asked for. */
  function settle(msg: JsMsg, result: HandleResult): void {
    if (result && typeof result === "object" && "retryInMs" in result) {
      nakNow(msg, result.retryInMs);
      return;
    }
    done(msg);
    handled++;
  }

  /**
   * A handler threw: dead-letter poison and last attempts, otherwise retry with backoff. What it
   * does to the AckAll bookkeeping happens before its first await (callers settle the rest after).
   */
  async function failed(msg: JsMsg, err: unknown): Promise<void> {
    if (err instanceof PoisonMessageError) {
      await deadLetter(msg, `poison: ${err.message}`);
      return;
    }
    const deliveries = msg.info.deliveryCount;
    if (deliveries >= options.maxDeliver) {
      await deadLetter(msg, `failed ${deliveries} times: ${errorMessage(err)}`);
      return;
    }
    log.error(
      { action: "message_failed", subject: msg.subject, deliveries, error: errorField(err) },
      `Handling failed (delivery ${deliveries}), retrying`,
    );
    nakNow(msg, backoff(deliveries));
  }

  // ---- batch mode: the messages that arrived together, one transaction, acks after the commit ----
  const batchMax = Math.max(1, options.batch?.max ?? 256);
  const lingerMs = Math.max(0, options.batch?.lingerMs ?? 10);
  let pending: JsMsg[] = [];
  let halted = false;
  const group = options.batch
    ? (() => {
        const db = options.batch.db;
        const savepoint = db.transaction((value: T, msg: JsMsg) => options.handle(value, msg));
        return db.transaction((items: Array<{ msg: JsMsg; value: T }>, outcomes: Array<{ ok: boolean; value: unknown }>) => {
          for (const item of items) {
            try {
              outcomes.push({ ok: true, value: savepoint(item.value, item.msg) });
            } catch (err) {
              outcomes.push({ ok: false, value: err });
            }
          }
        });
      })()
    : null;

  function track(p: Promise<void>): void {
    const q: Promise<void> = p
      .catch((err) => log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a message"))
      .finally(() => inFlight.delete(q));
    inFlight.add(q);
  }

  function flushBatch(): void {
    if (halted || pending.length === 0) return;
    const msgs = pending;
    pending = [];
    const items: Array<{ msg: JsMsg; value: T }> = [];
    for (const msg of msgs) {
      try {
        items.push({ msg, value: options.decode(msg) });
      } catch (err) {
        track(deadLetter(msg, `poison: ${errorMessage(err)}`));
      }
    }
    if (items.length > 0) {
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        group!.immediate(items, outcomes);
      } catch (err) {
        // The commit failed: nothing of the batch is stored; every message comes back later.
        log.error({ action: "batch_commit_failed", durable, messages: items.length, error: errorField(err) }, "Could not commit a batch; retrying its messages");
        for (const { msg } of items) {
          try {
            nakNow(msg, backoff(msg.info.deliveryCount));
          } catch {
            // the connection is gone: the broker redelivers after ack_wait anyway
          }
        }
        return;
      }
      // Committed: settle each message in stream order (the acks leave together in one write).
      items.forEach(({ msg }, i) => {
        const outcome = outcomes[i];
        try {
          if (outcome.ok) settle(msg, outcome.value as HandleResult);
          else track(failed(msg, outcome.value));
        } catch (err) {
          log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a message");
        }
      });
    }
    // AckAll: one ack for the longest settled prefix (a failing message holds back what follows it).
    ackSettledPrefix();
  }

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
    while (running && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
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

  /** Batch mode: pull a batch, apply it in one transaction, ack, linger; until stopped or restarted. */
  async function pullBatches(): Promise<void> {
    const puller = new BatchPuller({ nc: options.batch!.nc, apiPrefix: js.apiPrefix, stream: STREAMS.orders, durable, max: batchMax, ackTimeoutMs: ackWaitMs });
    messages = puller;
    if (!running) puller.stop();
    try {
      while (resync === null) {
        // After stop() the puller still hands over what already arrived: it is handled and acked
        // here instead of being dropped. Restarting (AckAll), the rest is left unacked to come back in order.
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
  const watchdog = group
    ? setInterval(() => {
        if (!ackAll() || resync !== null) return;
        const since = prefix.oldestHandBack();
        if (since !== null && since < Date.now() - (ackWaitMs + 5_000 + backoff(options.maxDeliver))) {
          restartSubscription("a message handed back for a retry did not come back");
        }
      }, 1_000)
    : null;
  watchdog?.unref();

  async function loop(): Promise<void> {
    while (running) {
      try {
        const consumer = await js.consumers.get(STREAMS.orders, durable);
        if (group) {
          await awaitRedeliveries(consumer);
          await pullBatches();
        } else {
          // Short pulls: when a consumer's leader moves (cluster failover) the pending pull is lost,
          // and the client only notices by missed heartbeats (half the expiry): 5 s, not 30 s.
          const iterator = await consumer.consume({ max_messages: Math.max(concurrency * 2, 16), expires: 5_000 });
          messages = iterator;
          if (!running) iterator.stop();
          for await (const msg of iterator) {
            // process() never throws on input; this catch is for acks on a connection that just closed.
            const p: Promise<void> = process(msg)
              .catch((err) => log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a message"))
              .finally(() => inFlight.delete(p));
            inFlight.add(p);
            if (inFlight.size >= concurrency) await Promise.race(inFlight);
            if (!running) break;
          }
        }
      } catch (err) {
        if (!running) break;
        log.warn({ action: "consumer_restart", durable, error: errorField(err) }, `Consumer ${durable} interrupted, resubscribing`);
      }
      if (group) {
        flushBatch();
        if (resync !== null && running) {
          log.warn({ action: "consumer_resync", durable, reason: resync }, `Consumer ${durable} restarts its subscription (${resync}); what it has not acked is redelivered first`);
        }
        // A new subscription starts from what the server has: its unacked messages come back first.
        if (running) resetAckAll();
      }
      if (running) await new Promise((r) => setTimeout(r, 500));
    }
    if (group) flushBatch();
    await Promise.allSettled(inFlight);
    if (group) ackSettledPrefix();
    if (watchdog) clearInterval(watchdog);
  }

  const done_ = loop();

  return {
    async stop() {
      running = false;
      messages?.stop();
      await done_;
    },
    halt() {
      running = false;
      halted = true;
      if (watchdog) clearInterval(watchdog);
      messages?.stop();
    },
    get handled() {
      return handled;
    },
    get deadLettered() {
      return deadLettered;
    },
    get acks() {
      return acks;
    },
    get ackPolicy() {
      return ackPolicy;
    },
  };
}
