import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What every log line written while one request, or one order's event, is being handled carries:
 * its `request_id` (the seed's log contract). The HTTP server opens it for each request (the
 * client's Idempotency-Key or X-Request-Id), the consumers for each event (the request id the
 * event carries from the request that placed its order); the logger adds it to each line (a line
 * that names its own request_id keeps it). Timers and promises begun inside keep it.
 */
const context = new AsyncLocalStorage<{ request_id?: string; commitDueAt?: number }>();

export function withRequestId<T>(requestId: string | undefined, fn: () => T): T {
  return requestId ? context.run({ request_id: requestId }, fn) : fn();
}

/**
 * Like withRequestId, but a context of its own even without a request id: what is handled in it
 * (an HTTP request, a message) also learns when the commits it made are durable (commitDueIn).
 */
export function withHandling<T>(requestId: string | undefined, fn: () => T): T {
  return context.run(requestId ? { request_id: requestId } : {}, fn);
}

/**
 * A commit made while handling this is durable only at `at` (performance.now() ms): a slow_disk
 * fault in-process, where the commit's wait is a timer, not the thread held (disk.ts).
 */
export function noteCommitDue(at: number): void {
  const store = context.getStore();
  if (store && !((store.commitDueAt ?? 0) >= at)) store.commitDueAt = at;
}

/** When (performance.now() ms) the commits made while handling this are durable: what its answer or ack must wait for (0: no wait). */
export function commitDueAt(): number {
  const at = context.getStore()?.commitDueAt;
  return at !== undefined && at > performance.now() ? at : 0;
}

/** The request id of what is being handled now, if any. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.request_id;
}

/** The request id a decoded message carries: an order event's envelope, or its OrderPlaced data. */
export function requestIdOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as { request_id?: unknown; data?: { request_id?: unknown } };
  const id = typeof v.request_id === "string" ? v.request_id : v.data?.request_id;
  return typeof id === "string" && id.length > 0 ? id : undefined;
}
