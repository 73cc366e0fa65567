import { setMaxListeners } from "node:events";
import { PizzeriaError } from "../shared/errors.js";

/** What an awaited step of a worker rejects with when the worker crashes (abort) meanwhile. */
export class Aborted extends PizzeriaError {
  constructor() {
    super("the kitchen worker was aborted");
  }
}

/**
 * A worker's crash switch: waits (the stove's cooking time, an OrderReady on its way to JetStream)
 * end at once with Aborted when the worker is aborted, so nothing is settled after a crash.
 */
export class Abortable {
  private readonly controller = new AbortController();

  constructor() {
    // One listener per order being handed over (up to prefetch x types), not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  abort(): void {
    this.controller.abort();
  }

  /** Wait for a promise unless the worker is aborted (crashes) first. */
  unless<T>(p: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(new Aborted());
      const onAbort = () => reject(new Aborted());
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Wait `ms`, or less when `until` resolves first (the staff marked the order ready). */
  sleep(ms: number, until?: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      until?.then(() => resolve(), () => resolve());
    });
    return this.unless(waited).finally(() => clearTimeout(timer));
  }
}
