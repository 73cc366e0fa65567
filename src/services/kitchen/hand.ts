import type { JsMsg } from "@nats-io/jetstream";
import type { OrderEvent, OrderType } from "../shared/contracts.js";

/** An accepted order a worker has taken from the broker and not yet finished. */
export interface HeldOrder {
  msg: JsMsg;
  event: OrderEvent<"accepted">;
  type: OrderType;
  receivedAt: number;
}

/**
 * The orders a worker holds (up to its prefetch per order type). The next to cook is the one of
 * highest priority, then the longest held: JetStream has no priority queue on 2.9, so priority is
 * honoured among what a worker holds.
 */
export class Hand {
  private readonly waiting: HeldOrder[] = [];
  private readonly counts = new Map<OrderType, number>();
  private wake: (() => void) | null = null;
  private spaceWaiters: Array<() => void> = [];

  /** Held per type, including the one being cooked (which the worker counts until it is done). */
  count(type: OrderType): number {
    return this.counts.get(type) ?? 0;
  }

  get size(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  add(order: HeldOrder): void {
    this.waiting.push(order);
    this.counts.set(order.type, this.count(order.type) + 1);
    this.wake?.();
  }

  /** An order taken that could not be cooked now (a full disk): it waits again, in its place, still counted. */
  putBack(order: HeldOrder): void {
    this.waiting.push(order);
  }

  /** Take the next order to cook; it stays counted until `release`. */
  takeNext(): HeldOrder | undefined {
    const best = this.bestIndex();
    return best < 0 ? undefined : this.waiting.splice(best, 1)[0];
  }

  /** The order `takeNext` would return, left in place. */
  peekNext(): HeldOrder | undefined {
    const best = this.bestIndex();
    return best < 0 ? undefined : this.waiting[best];
  }

  /** Highest priority first, then the longest held; -1 when nothing waits. */
  private bestIndex(): number {
    if (this.waiting.length === 0) return -1;
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const a = this.waiting[i];
      const b = this.waiting[best];
      if (a.event.priority > b.event.priority || (a.event.priority === b.event.priority && a.receivedAt < b.receivedAt)) best = i;
    }
    return best;
  }

  /** The order is finished or handed back: free its place. */
  release(order: HeldOrder): void {
    this.counts.set(order.type, Math.max(0, this.count(order.type) - 1));
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  /** Orders held but not started (for keep-alive and for handing back at stop). */
  get pending(): readonly HeldOrder[] {
    return this.waiting;
  }

  /** Remove and return everything not yet started. */
  drain(): HeldOrder[] {
    return this.waiting.splice(0, this.waiting.length);
  }

  /** Resolves when there is something to cook, or when `interrupt` is called. */
  nextArrival(): Promise<void> {
    if (this.waiting.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
    });
  }

  /** Resolves when a place is freed (or `interrupt`). */
  spaceFreed(): Promise<void> {
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /** Wake everyone waiting (used at stop). */
  interrupt(): void {
    this.wake?.();
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }
}
