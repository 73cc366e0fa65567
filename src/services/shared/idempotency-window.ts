/**
 * How long a consumer must remember what it did, and pruning what it no longer needs to.
 *
 * A consumer's idempotency entry (the kitchen's cook of an order, the payment decided for it)
 * keeps a second delivery of the same event from having a second effect. A message is redelivered
 * only while the ORDERS stream still holds it (Limits retention drops it at max_age, acked or
 * not), and an event republished under its msgID is dropped by the broker within the duplicate
 * window. An entry older than both serves nothing: it is pruned. A stream that keeps its messages
 * for ever gives no such bound, and nothing is pruned.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { STREAMS } from "./contracts.js";
import { errorMessage } from "./errors.js";
import type { Logger } from "./logger.js";

/** Kept on top of the window: clocks of two machines, a delivery in progress at the edge. */
export const WINDOW_MARGIN_MS = 60_000;

/** The window from a stream's settings (nanoseconds, as JetStream keeps them); null: remember for ever. */
export function idempotencyWindowMs(stream: { max_age?: number; duplicate_window?: number }): number | null {
  const maxAgeMs = Math.floor((stream.max_age ?? 0) / 1e6);
  if (maxAgeMs <= 0) return null;
  const duplicateMs = Math.floor((stream.duplicate_window ?? 0) / 1e6);
  return Math.max(maxAgeMs, duplicateMs) + WINDOW_MARGIN_MS;
}

/** The window of the ORDERS stream as the broker holds it (whoever created it); null when it cannot be told. */
export async function readIdempotencyWindow(jsm: JetStreamManager, log: Logger): Promise<number | null> {
  try {
    const info = await jsm.streams.info(STREAMS.orders);
    return idempotencyWindowMs(info.config);
  } catch (err) {
    log.warn({ action: "idempotency_window_unknown", error: { msg: errorMessage(err) } }, "Cannot read the ORDERS stream's retention; keeping every idempotency entry");
    return null;
  }
}

/**
 * Prunes entries older than the window, piggybacked on the writes that add them (no timer: an
 * idle service has nothing new to prune): at most once per tenth of the window.
 */
export class PruneOnWrite {
  private last: number;
  private readonly everyMs: number;

  constructor(
    private readonly windowMs: number | null,
    /** Delete what is older than this ISO time; returns how many entries went. */
    private readonly prune: (olderThanIso: string) => number,
    private readonly now: () => number = Date.now,
  ) {
    this.last = now();
    this.everyMs = windowMs === null ? Infinity : Math.max(1_000, Math.floor(windowMs / 10));
  }

  /** Call after a write; prunes when a tenth of the window has passed since the last pruning. Returns the entries pruned. */
  afterWrite(): number {
    if (this.windowMs === null) return 0;
    const t = this.now();
    if (t - this.last < this.everyMs) return 0;
    this.last = t;
    return this.prune(new Date(t - this.windowMs).toISOString());
  }
}
