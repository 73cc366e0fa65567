import type { JsMsg } from "@nats-io/jetstream";

/**
 * The bookkeeping of a consumer whose durable has AckPolicy.All, where one ack settles every
 * message of lower stream sequence: which handled messages an ack may cover. A message handed back
 * (for a retry, or while it is being dead-lettered) must not be covered, so it holds back the acks
 * of everything handled above it until it is settled itself.
 */
export class SettledPrefix {
  /** Stream sequences handed back, with since when (ms since the epoch). */
  private readonly handedBack = new Map<number, number>();
  /** Handled, not acked yet. */
  private settled: JsMsg[] = [];

  handBack(seq: number): void {
    this.handedBack.set(seq, Date.now());
  }

  /** Handled (or dead-lettered): an ack may cover it now. */
  settle(msg: JsMsg): void {
    this.handedBack.delete(msg.seq);
    this.settled.push(msg);
  }

  /**
   * The settled message of highest stream sequence below every handed-back one: acking it settles
   * the longest settled prefix. It and what it covers leave the bookkeeping; null when there is none.
   */
  takeAck(): JsMsg | null {
    if (this.settled.length === 0) return null;
    let floor = Infinity;
    for (const seq of this.handedBack.keys()) if (seq < floor) floor = seq;
    let last: JsMsg | null = null;
    for (const m of this.settled) if (m.seq < floor && (!last || m.seq > last.seq)) last = m;
    if (!last) return null;
    const upTo = last.seq;
    this.settled = this.settled.filter((m) => m.seq > upTo);
    return last;
  }

  /** Since when the oldest handed-back message has been waiting to come back; null when none is. */
  oldestHandBack(): number | null {
    let oldest: number | null = null;
    for (const since of this.handedBack.values()) if (oldest === null || since < oldest) oldest = since;
    return oldest;
  }

  /** A new subscription: the server redelivers whatever was not acked. */
  clear(): void {
    this.handedBack.clear();
    this.settled = [];
  }
}
