import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Db } from "./db.js";
import { storageErrorCode } from "./disk.js";
import { errorField, errorMessage, PoisonMessageError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { ServiceMetrics } from "./metrics.js";

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
  /** The service's metrics: handled, failed, retried and dead-lettered counts and handling time of this durable. */
  metrics?: ServiceMetrics;
}

/** The consumer's RED figures in the service's metrics (nothing when it has none). */
export function consumerFigures(options: Pick<ConsumerRunnerOptions<unknown>, "metrics" | "durable">) {
  const m = options.metrics;
  const labels = { durable: options.durable };
  return {
    handled: () => m?.handled.inc(labels),
    failed: () => m?.failed.inc(labels),
    retried: () => m?.retried.inc(labels),
    deadLettered: () => m?.deadLettered.inc(labels),
    /** `seconds` of handling over `count` messages (a batch's time shared out). */
    took(seconds: number, count = 1) {
      if (!m) return;
      for (let i = 0; i < count; i++) m.handlingDuration.observe(labels, seconds / count);
    },
  };
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

/** How a runner settles a message: the per-message runner acks at once, an AckAll runner with its settled prefix. */
export interface Settlement {
  /** Handled (or dead-lettered): ack it. */
  done(msg: JsMsg): void;
  /** Hand it back for a retry after `delayMs`. */
  nak(msg: JsMsg, delayMs?: number): void;
  /** Publish it to the dead-letter stream with the reason and settle it. */
  deadLetter(msg: JsMsg, reason: string): Promise<void>;
  /** Count a message as handled. */
  counted(): void;
}

/** A handler's answer: ack, or a retry it asked for. */
export function settleResult(s: Settlement, msg: JsMsg, result: HandleResult): void {
  if (result && typeof result === "object" && "retryInMs" in result) {
    s.nak(msg, result.retryInMs);
    return;
  }
  s.done(msg);
  s.counted();
}

/**
 * A handler threw: dead-letter poison and last attempts, otherwise retry with backoff. What it
 * does to an AckAll runner's bookkeeping happens before its first await (callers settle the rest after).
 */
export async function settleFailure<T>(s: Settlement, msg: JsMsg, err: unknown, options: ConsumerRunnerOptions<T>): Promise<void> {
  options.metrics?.failed.inc({ durable: options.durable });
  if (err instanceof PoisonMessageError) {
    await s.deadLetter(msg, `poison: ${err.message}`);
    return;
  }
  const deliveries = msg.info.deliveryCount;
  if (storageErrorCode(err) !== null) {
    // The disk refused the write (said once by the database's guard): nothing was stored, so it
    // is not acked, and not dead-lettered either (the message is fine): handed back for later.
    s.nak(msg, (options.backoffMs ?? exponentialBackoff)(deliveries));
    return;
  }
  if (deliveries >= options.maxDeliver) {
    await s.deadLetter(msg, `failed ${deliveries} times: ${errorMessage(err)}`);
    return;
  }
  options.log.error(
    { action: "message_failed", subject: msg.subject, deliveries, error: errorField(err) },
    `Handling failed (delivery ${deliveries}), retrying`,
  );
  s.nak(msg, (options.backoffMs ?? exponentialBackoff)(deliveries));
}

/** Keep a settling message in `inFlight` until it is done; an ack on a connection that just closed is only logged. */
export function trackSettling(inFlight: Set<Promise<void>>, p: Promise<void>, log: Logger): void {
  const q: Promise<void> = p
    .catch((err) => log.debug({ action: "ack_failed", error: errorField(err) }, "Could not settle a message"))
    .finally(() => inFlight.delete(q));
  inFlight.add(q);
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
