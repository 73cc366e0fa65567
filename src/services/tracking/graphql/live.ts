import { GraphQLError } from "graphql";

/** More than this many changes waiting for one slow client: its subscription ends with an error instead of growing without bound. */
export const LIVE_QUEUE_LIMIT = 10_000;

/** Open subscriptions one tracking instance serves at most; one more is refused with a GraphQL error. */
export const MAX_OPEN_FEEDS = 1_000;

/**
 * One subscription's feed: changes pushed in by the read model's listener, pulled out by the
 * GraphQL executor. Not an async generator on purpose: `return()` (the client went away, the
 * service stops) must end a `next()` that is waiting, and must remove the listener at once.
 */
export class LiveFeed<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve(r: IteratorResult<T>): void; reject(err: unknown): void } | null = null;
  /** Ended: nothing more is taken in; what is queued is still handed out unless closed. */
  private ending = false;
  private failure: Error | null = null;
  private closed = false;

  constructor(
    /** Stop hearing changes (the read model's listener); called exactly once. */
    private readonly unsubscribe: () => void,
    private readonly onClosed: (feed: LiveFeed<T>) => void = () => undefined,
    private readonly limit = LIVE_QUEUE_LIMIT,
  ) {}

  push(value: T): void {
    if (this.ending || this.closed) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value, done: false });
      return;
    }
    this.queue.push(value);
    if (this.queue.length > this.limit) this.fail(new GraphQLError(`The subscription fell more than ${this.limit} changes behind; subscribe again`, { extensions: { code: "SUBSCRIPTION_BEHIND" } }));
  }

  /** No more after what is queued (an order reached its last status). */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.release();
    if (this.waiting && this.queue.length === 0) this.settleWaiting();
  }

  private fail(err: Error): void {
    this.queue.length = 0;
    this.failure = err;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.ending || this.closed) return this.finished();
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.closed = true;
    this.queue.length = 0;
    this.ending = true;
    this.release();
    this.settleWaiting();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    void err;
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finished(): Promise<IteratorResult<T>> {
    const failure = this.failure;
    this.failure = null;
    this.closed = true;
    return failure ? Promise.reject(failure) : Promise.resolve({ value: undefined, done: true });
  }

  private settleWaiting(): void {
    const w = this.waiting;
    this.waiting = null;
    if (!w) return;
    this.finished().then(w.resolve, w.reject);
  }

  private released = false;
  /** It no longer hears changes. */
  get isReleased(): boolean {
    return this.released;
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.unsubscribe();
    this.onClosed(this);
  }
}

/** Every feed open now, so that a stopping service can end them (an open event stream would hold its HTTP server open). */
export class LiveFeeds {
  private readonly open = new Set<LiveFeed<unknown>>();

  create<T>(subscribe: (feed: LiveFeed<T>) => () => void): LiveFeed<T> {
    if (this.open.size >= MAX_OPEN_FEEDS) {
      throw new GraphQLError(`This tracking instance serves ${MAX_OPEN_FEEDS} subscriptions already; try again later`, { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" } });
    }
    let unsubscribe: (() => void) | null = null;
    const feed: LiveFeed<T> = new LiveFeed<T>(
      () => unsubscribe?.(),
      (f) => this.open.delete(f as LiveFeed<unknown>),
    );
    this.open.add(feed as LiveFeed<unknown>);
    const stop = subscribe(feed);
    // Ended while subscribing (the order was already done): its listener goes at once.
    if (feed.isReleased) stop();
    else unsubscribe = stop;
    return feed;
  }

  get size(): number {
    return this.open.size;
  }

  /** End every feed: each event stream sends `complete` and closes. */
  endAll(): void {
    for (const feed of [...this.open]) feed.end();
  }
}
