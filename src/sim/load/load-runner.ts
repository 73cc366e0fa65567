import { Agent, request } from "node:http";
import { errorCauseOf, RUNNER_CODES, type ErrorCause } from "./error-causes.js";
import type { PlannedRequest } from "./order-generator.js";
import type { CartJourney } from "./cart-journeys.js";
import { runJourney } from "./cart-client.js";
import { LoginPool, walkJourney, type JourneyListener, type JourneyTargets } from "./journey-client.js";

/** What happened to one planned request. */
export interface RequestOutcome {
  seq: number;
  requestId: string;
  valid: boolean;
  expectedStatus: number;
  /** Offset from load start it was due at, and when it actually went out. */
  scheduledMs: number;
  sentMs: number;
  /** HTTP status; 0 when no answer came (refused, reset, timed out); -1 when never sent. */
  status: number;
  orderNumber?: string;
  /** What a valid request sent (its JSON body): the checker compares its OrderPlaced with it. */
  body?: string;
  /** From the scheduled time (not the send time): a stalled system shows up here. */
  latencyMs: number;
  error?: string;
  /** Why it did not get the answer it should have (null: it did, or a 201 the checker judges). */
  cause: ErrorCause | null;
  /** The Retry-After header of a 503, as sent. */
  retryAfter?: string;
  /** The `error` code of a 5xx answer's JSON body (`storage_full`, `overloaded`), as sent. */
  refusal?: string;
  /** Sent through a cart: the restaurant and the lines put in it (the checker prices them from the menu). */
  cart?: Pick<CartJourney, "restaurant_id" | "lines">;
}

export interface LoadRunnerOptions {
  /** Order API base URLs; requests go round-robin across them. */
  targets: () => string[];
  /** Load offsets in ms, non-decreasing (the arrival schedule). */
  arrivals: Iterator<number>;
  next: () => PlannedRequest;
  /** Wall-clock ms of offset 0. */
  startedAt: number;
  /** A request sent later than this after its time counts as late. */
  lateAfterMs?: number;
  /** A request with nothing on its socket for this long is given up as timed out (default 30 s). */
  timeoutMs?: number;
  onSent?: (planned: PlannedRequest, scheduledMs: number, sentMs: number, late: boolean) => void;
  /** Customer-service base URLs, for the requests that go through a cart (round-robin too). */
  customerTargets?: () => string[];
  /**
   * The request id a request's order will carry, and when the request was due: as it is sent for
   * POST /orders; for a cart once its customer is registered (the id is `<customer id>:<key>`).
   */
  onRequestId?: (requestId: string, scheduledMs: number) => void;
  onOutcome?: (outcome: RequestOutcome) => void;
  /** Keep every outcome for `results()` (default); false: only hand each to `onOutcome` (a long run would hold them all). */
  keepOutcomes?: boolean;
  /** With `journeys:`: where the journeys walk, and the journeys' names (each gets its row in the tally). */
  journeys?: { targets: JourneyTargets; seed: number; customerNames: readonly string[]; trackTimeoutMs?: number; listener?: JourneyListener };
}

/**
 * The open-model load generator (k6's arrival-rate executors): each order is sent at its scheduled
 * time whether or not earlier ones were answered, and its latency counts from that scheduled time,
 * so there is no coordinated omission. If the process itself falls behind, requests go out as soon
 * as it can and are counted as late. Pausing shifts the rest of the schedule.
 */
export class LoadRunner {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512 });
  private readonly outcomes: RequestOutcome[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private wake: (() => void) | null = null;
  private rr = 0;
  private done: Promise<void> | null = null;
  private readonly pool = new LoginPool();
  /** Requests (not journeys) sent and not yet settled. */
  private requestsOut = 0;

  constructor(private readonly options: LoadRunnerOptions) {}

  /** Offset from load start on the load's own clock (paused time excluded). */
  now(): number {
    const paused = this.pausedAt !== null ? Date.now() - this.pausedAt : 0;
    return Date.now() - this.options.startedAt - this.pausedTotal - paused;
  }

  get paused(): boolean {
    return this.pausedAt !== null;
  }

  get pausedMs(): number {
    return this.pausedTotal + (this.pausedAt !== null ? Date.now() - this.pausedAt : 0);
  }

  start(): Promise<void> {
    this.done ??= this.run();
    return this.done;
  }

  pause(): void {
    if (this.pausedAt === null) this.pausedAt = Date.now();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    this.pausedTotal += Date.now() - this.pausedAt;
    this.pausedAt = null;
    this.wake?.();
  }

  /** Send nothing more; `start()` resolves once what is in flight is answered. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  results(): RequestOutcome[] {
    return this.outcomes;
  }

  /** Requests sent and not yet answered or failed: the backlog a frozen service holds in its socket queue. */
  get awaitingAnswer(): number {
    return this.requestsOut;
  }

  private async run(): Promise<void> {
    const lateAfter = this.options.lateAfterMs ?? 25;
    for (;;) {
      if (this.stopped) break;
      const next = this.options.arrivals.next();
      if (next.done) break;
      const due = next.value;
      await this.waitUntil(due);
      if (this.stopped) break;
      const planned = this.options.next();
      const sentMs = this.now();
      const late = sentMs - due > lateAfter;
      // A journey is not a request: its checkout is counted as sent when it goes out.
      if (!planned.journey) this.options.onSent?.(planned, due, sentMs, late);
      // A journey thinking between its steps holds nothing of the system's: not counted as awaiting.
      const request = !planned.journey;
      if (request) this.requestsOut++;
      const p = this.send(planned, due, sentMs).finally(() => {
        this.inFlight.delete(p);
        if (request) this.requestsOut--;
      });
      this.inFlight.add(p);
    }
    await Promise.allSettled([...this.inFlight]);
    this.agent.destroy();
  }

  private async waitUntil(due: number): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const wait = this.pausedAt !== null ? 1_000 : due - this.now();
      if (wait <= 0) return;
      // Timers are coarse; sleep most of the way, then check again.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(wait, 1_000) - 1));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private send(planned: PlannedRequest, scheduledMs: number, sentMs: number): Promise<void> {
    const targets = planned.cart ? (this.options.customerTargets?.() ?? []) : this.options.targets();
    const base = targets[this.rr++ % Math.max(1, targets.length)];
    const record = (status: number, orderNumber?: string, error?: { message: string; code?: string }, retryAfter?: string, refusal?: string, requestId = planned.requestId, extra: Partial<RequestOutcome> = {}) => {
      const outcome: RequestOutcome = {
        seq: planned.seq,
        requestId,
        valid: planned.valid,
        expectedStatus: planned.expectedStatus,
        scheduledMs,
        sentMs,
        status,
        latencyMs: this.now() - scheduledMs,
        ...(orderNumber ? { orderNumber } : {}),
        // A cart request's body is its checkout's, not the order's: the checker judges it by its cart.
        ...(planned.valid && !planned.cart && !planned.journey ? { body: planned.body } : {}),
        ...(planned.cart ? { cart: { restaurant_id: planned.cart.restaurant_id, lines: planned.cart.lines } } : {}),
        ...(error ? { error: error.message } : {}),
        cause: errorCauseOf(planned.valid, status, error?.code),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
        ...(refusal !== undefined ? { refusal } : {}),
        ...extra,
      };
      if (this.options.keepOutcomes !== false) this.outcomes.push(outcome);
      this.options.onOutcome?.(outcome);
    };
    if (planned.journey) return this.walk(planned, record);
    if (!base) {
      record(0, undefined, { message: `no ${planned.cart ? "customer" : "order"} service is up`, code: RUNNER_CODES.noService });
      return Promise.resolve();
    }
    if (planned.cart) {
      return runJourney(this.agent, base, planned, this.options.timeoutMs ?? 30_000, (id) => this.options.onRequestId?.(id, scheduledMs)).then((end) =>
        record(end.status, end.orderNumber, end.error, end.retryAfter, undefined, end.requestId),
      );
    }
    this.options.onRequestId?.(planned.requestId, scheduledMs);
    return new Promise<void>((resolve) => {
      const body = Buffer.from(planned.body, "utf8");
      let settled = false;
      const finish = (status: number, orderNumber?: string, error?: { message: string; code?: string }, retryAfter?: string, refusal?: string) => {
        if (settled) return;
        settled = true;
        record(status, orderNumber, error, retryAfter, refusal);
        resolve();
      };
      const attempt = (mayRetry: boolean) => {
        const req = request(`${base}/orders`, {
          method: "POST",
          agent: this.agent,
          timeout: this.options.timeoutMs ?? 30_000,
          headers: { "content-type": planned.contentType, "content-length": body.length, "idempotency-key": planned.requestId },
        });
        req.on("response", (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            let number: string | undefined;
            if (res.statusCode === 201) {
              try {
                number = (JSON.parse(Buffer.concat(chunks).toString()) as { order_number?: string }).order_number;
              } catch {
                // A 201 without a readable body: the checker will look for the order by request id.
              }
            }
            const retryAfter = res.statusCode === 503 ? res.headers["retry-after"] : undefined;
            finish(res.statusCode ?? 0, number, undefined, retryAfter, (res.statusCode ?? 0) >= 500 ? refusalOf(chunks) : undefined);
          });
          res.on("error", (err: NodeJS.ErrnoException) => finish(0, undefined, { message: err.message, code: err.code }));
        });
        req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: RUNNER_CODES.timedOut })));
        req.on("error", (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed (idle) just as this request went out on it: the
          // request most likely never reached the service. Sent again once on a new socket (what
          // Node's docs advise; if it did arrive, its Idempotency-Key makes the second the same order).
          if (mayRetry && req.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE")) return attempt(false);
          finish(0, undefined, { message: err.message, code: err.code });
        });
        req.end(body);
      };
      attempt(true);
    });
  }

  /** A journey: its steps at its own pace; its checkout, if it got that far, is the outcome (timed from when it went out). */
  private async walk(planned: PlannedRequest, record: RecordOutcome): Promise<void> {
    const j = this.options.journeys!;
    await walkJourney(planned.journey!, {
      agent: this.agent,
      targets: j.targets,
      seed: j.seed,
      names: j.customerNames,
      pool: this.pool,
      now: () => this.now(),
      timeoutMs: this.options.timeoutMs ?? 30_000,
      trackTimeoutMs: j.trackTimeoutMs ?? 60_000,
      listener: {
        started: (plan, at) => j.listener?.started?.(plan, at),
        step: (plan, step, ms, ok) => j.listener?.step?.(plan, step, ms, ok),
        finished: (plan, status, ms) => j.listener?.finished?.(plan, status, ms),
        ended: (plan, rec, ms) => j.listener?.ended?.(plan, rec, ms),
        checkingOut: (plan, requestId, at) => {
          j.listener?.checkingOut?.(plan, requestId, at);
          this.options.onSent?.(planned, at, at, false);
          this.options.onRequestId?.(requestId, at);
        },
        checkedOut: (plan, c) => {
          j.listener?.checkedOut?.(plan, c);
          const cart = { restaurant_id: c.restaurantId, lines: c.lines };
          record(c.status, c.orderNumber, c.error, c.retryAfter, undefined, c.requestId, { scheduledMs: c.atMs, sentMs: c.atMs, latencyMs: c.answeredMs - c.atMs, cart });
        },
      },
    });
  }
}

type RecordOutcome = (status: number, orderNumber?: string, error?: { message: string; code?: string }, retryAfter?: string, refusal?: string, requestId?: string, extra?: Partial<RequestOutcome>) => void;

/** The `error` code of a JSON error body (`{"error": "storage_full", ...}`), if it has one. */
function refusalOf(chunks: Buffer[]): string | undefined {
  try {
    const code = (JSON.parse(Buffer.concat(chunks).toString()) as { error?: unknown }).error;
    return typeof code === "string" ? code.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
