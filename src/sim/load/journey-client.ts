/**
 * One customer walking a planned journey (journey-plans.ts) against the real services: the
 * restaurant service for browsing, the customer service for the account, the cart and the
 * checkout, tracking for the order's statuses (a GraphQL subscription over graphql-sse, or
 * polling GET /orders/:n/status). Each step is timed; the first that does not get the answer it
 * needs ends the journey as failed. What the journey saw is its JourneyRecord, for the checker.
 */
import type { Agent } from "node:http";
import { isTerminal, type OrderStatus } from "../../services/shared/contracts.js";
import type { CartLineRequest } from "../../services/shared/menus.js";
import type { JourneyRecord } from "./journey-record.js";
import { checkoutRequestId } from "./cart-journeys.js";
import { requestJson, type Reply } from "./cart-client.js";
import { LOGIN_POOL_SIZE, poolCustomer, type JourneyPlan, type PlannedStep } from "./journey-plans.js";
import { followByPolling, followBySubscription } from "./journey-track.js";

export interface JourneyTargets {
  customer: () => string[];
  restaurant: () => string[];
  tracking: () => string[];
}

/** What the journey tells as it goes (the tally's figures; the load runner's ledger hooks). */
export interface JourneyListener {
  started?(plan: JourneyPlan, atMs: number): void;
  step?(plan: JourneyPlan, step: PlannedStep["kind"], ms: number, ok: boolean): void;
  /** The checkout is about to go out: the order's request id (the ledger times the order from now). */
  checkingOut?(plan: JourneyPlan, requestId: string, atMs: number): void;
  /** The checkout's answer (or none), as soon as it came. */
  checkedOut?(plan: JourneyPlan, checkout: JourneyCheckout): void;
  /** The tracking saw the order finish (ms from the checkout). */
  finished?(plan: JourneyPlan, status: OrderStatus, sinceCheckoutMs: number): void;
  ended?(plan: JourneyPlan, record: JourneyRecord, durationMs: number): void;
}

export interface JourneyContext {
  agent: Agent;
  targets: JourneyTargets;
  seed: number;
  names: readonly string[];
  pool: LoginPool;
  /** The load clock (ms since load start). */
  now: () => number;
  timeoutMs: number;
  /** How long a track step follows its order before giving up (failed). */
  trackTimeoutMs: number;
  listener: JourneyListener;
}

/** The checkout a journey made, as the load runner records it (a RequestOutcome). */
export interface JourneyCheckout {
  requestId: string;
  status: number;
  /** When it went out, and when its (last) answer came, on the load clock. */
  atMs: number;
  answeredMs: number;
  orderNumber?: string;
  error?: { message: string; code?: string };
  retryAfter?: string;
  restaurantId: string;
  lines: CartLineRequest[];
}

/**
 * The returning customers: each lent to one journey at a time (two journeys in one customer's
 * cart would fill it together). A customer whose checkout was left unanswered is never lent again
 * (its cart may still be checking out).
 */
export class LoginPool {
  private readonly out = new Set<number>();
  private readonly spoiled = new Set<number>();
  private readonly ids = new Map<number, string>();

  /** The drawn member, or the next free one after it; null when every one is out. */
  lease(drawn: number): number | null {
    for (let k = 0; k < LOGIN_POOL_SIZE; k++) {
      const i = (drawn + k) % LOGIN_POOL_SIZE;
      if (!this.out.has(i) && !this.spoiled.has(i)) {
        this.out.add(i);
        return i;
      }
    }
    return null;
  }

  release(i: number, spoiled: boolean): void {
    this.out.delete(i);
    if (spoiled) this.spoiled.add(i);
  }

  /** The account id of member `i`, once registered. */
  idOf(i: number): string | undefined {
    return this.ids.get(i);
  }

  remember(i: number, id: string): void {
    this.ids.set(i, id);
  }
}

class StepFailed extends Error {
  constructor(
    readonly step: PlannedStep["kind"],
    message: string,
  ) {
    super(message);
  }
}

const describe = (r: Reply) => (r.status === 0 ? (r.error?.message ?? "no answer") : `HTTP ${r.status}${typeof r.body?.error === "string" ? ` ${r.body.error}` : ""}`);

/** Walk the journey; resolves with its record and the checkout it made (if it got that far). */
export async function walkJourney(plan: JourneyPlan, ctx: JourneyContext): Promise<{ record: JourneyRecord; checkout?: JourneyCheckout }> {
  const w = new Walk(plan, ctx);
  const startedMs = ctx.now();
  ctx.listener.started?.(plan, startedMs);
  let record: JourneyRecord;
  try {
    const abandoned = await w.run();
    record = { ...w.base(), outcome: abandoned ? "abandoned" : "completed" };
  } catch (err) {
    const failed = err instanceof StepFailed ? err : new StepFailed(w.current, String(err));
    ctx.listener.step?.(plan, failed.step, w.stepMs(), false);
    record = { ...w.base(), outcome: "failed", failedStep: failed.step, error: failed.message };
  } finally {
    w.releaseLogin();
  }
  ctx.listener.ended?.(plan, record, ctx.now() - startedMs);
  return { record, ...(w.checkout ? { checkout: w.checkout } : {}) };
}

class Walk {
  private restaurantId: string | null = null;
  private customerId: string | undefined;
  private leased: number | null = null;
  /** The cart's lines as the service numbered them, in the order they were put in. */
  private lines: Array<{ line: number; request: CartLineRequest }> = [];
  checkout: JourneyCheckout | undefined;
  private track: JourneyRecord["track"];
  private stepStart = 0;
  private rr = 0;
  /** The step being taken (what an unexpected error is put down to). */
  current: PlannedStep["kind"] = "browse";

  constructor(
    private readonly plan: JourneyPlan,
    private readonly ctx: JourneyContext,
  ) {}

  base(): Omit<JourneyRecord, "outcome"> {
    const c = this.checkout;
    return {
      id: this.plan.id,
      kind: this.plan.kind,
      ...(this.customerId ? { customerId: this.customerId } : {}),
      ...(c ? { checkout: { requestId: c.requestId, status: c.status, ...(c.orderNumber ? { orderNumber: c.orderNumber } : {}) } } : {}),
      ...(this.track ? { track: this.track } : {}),
    };
  }

  stepMs(): number {
    return this.ctx.now() - this.stepStart;
  }

  releaseLogin(): void {
    if (this.leased === null) return;
    // A checkout without its answer may still be going on in that cart: the customer is not lent again.
    this.ctx.pool.release(this.leased, this.checkout !== undefined && this.checkout.status !== 201 && !(this.checkout.status >= 400 && this.checkout.status < 500));
    this.leased = null;
  }

  /** True when the journey ended by abandoning its cart. */
  async run(): Promise<boolean> {
    for (const step of this.plan.steps) {
      this.stepStart = this.ctx.now();
      this.current = step.kind;
      if (step.kind === "abandon") {
        this.ctx.listener.step?.(this.plan, "abandon", 0, true);
        return true;
      }
      await this.take(step);
      this.ctx.listener.step?.(this.plan, step.kind, this.stepMs(), true);
    }
    return false;
  }

  private urlOf(service: keyof JourneyContext["targets"], step: PlannedStep["kind"]): string {
    const urls = this.ctx.targets[service]();
    if (urls.length === 0) throw new StepFailed(step, `no ${service} service is up`);
    return urls[this.rr++ % urls.length];
  }

  private async call(step: PlannedStep["kind"], service: keyof JourneyContext["targets"], method: "GET" | "POST" | "DELETE", path: string, body: unknown, key: string | null, ok: number): Promise<Reply> {
    const answer = await requestJson(this.ctx.agent, method, `${this.urlOf(service, step)}${path}`, body, key, this.ctx.timeoutMs);
    if (answer.status !== ok) throw new StepFailed(step, `${method} ${path}: ${describe(answer)}`);
    return answer;
  }

  private get cartPath(): string {
    return `/customers/${encodeURIComponent(this.customerId!)}/cart`;
  }

  private async take(step: Exclude<PlannedStep, { kind: "abandon" }>): Promise<void> {
    switch (step.kind) {
      case "browse":
        await this.call("browse", "restaurant", "GET", "/restaurants", null, null, 200);
        await this.call("browse", "restaurant", "GET", `/restaurants/${encodeURIComponent(step.restaurantId)}/menu`, null, null, 200);
        this.restaurantId = step.restaurantId;
        return;
      case "signup": {
        const r = await this.call("signup", "customer", "POST", "/customers", step.customer, step.key, 201);
        this.customerId = this.idOf(r, "signup");
        return;
      }
      case "login":
        return this.login(step.poolIndex);
      case "add":
        for (const line of step.lines) {
          const r = await this.call("add", "customer", "POST", `${this.cartPath}/items`, { restaurant_id: this.restaurantId, ...line }, null, 201);
          this.lines.push({ line: Number(r.body?.line), request: line });
        }
        return;
      case "remove":
        for (let k = 0; k < step.count; k++) {
          const last = this.lines.pop()!;
          await this.call("remove", "customer", "DELETE", `${this.cartPath}/items/${last.line}`, null, null, 200);
        }
        return;
      case "think":
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        return;
      case "checkout":
        return this.checkOut(step);
      case "track":
        return this.follow(step.mode);
    }
  }

  private idOf(r: Reply, step: PlannedStep["kind"]): string {
    const id = r.body?.id;
    if (typeof id !== "string") throw new StepFailed(step, "the account's answer has no id");
    return id;
  }

  /** A returning customer: its account (registered under its pool key the first time), and its cart emptied of what an earlier journey left. */
  private async login(drawn: number): Promise<void> {
    const i = this.ctx.pool.lease(drawn);
    if (i === null) throw new StepFailed("login", `every one of the ${LOGIN_POOL_SIZE} returning customers is out on a journey`);
    this.leased = i;
    let id = this.ctx.pool.idOf(i);
    if (id === undefined) {
      const { customer, key } = poolCustomer(this.ctx.seed, i, this.ctx.names);
      id = this.idOf(await this.call("login", "customer", "POST", "/customers", customer, key, 201), "login");
      this.ctx.pool.remember(i, id);
    } else {
      await this.call("login", "customer", "GET", `/customers/${encodeURIComponent(id)}`, null, null, 200);
    }
    this.customerId = id;
    const cart = await this.call("login", "customer", "GET", this.cartPath, null, null, 200);
    const left = Array.isArray(cart.body?.lines) ? (cart.body.lines as Array<{ line: number }>) : [];
    for (const l of left) await this.call("login", "customer", "DELETE", `${this.cartPath}/items/${l.line}`, null, null, 200);
  }

  private async checkOut(step: Extract<PlannedStep, { kind: "checkout" }>): Promise<void> {
    const requestId = checkoutRequestId(this.customerId!, step.key);
    const atMs = this.ctx.now();
    this.ctx.listener.checkingOut?.(this.plan, requestId, atMs);
    const url = `${this.urlOf("customer", "checkout")}${this.cartPath}/checkout`;
    const body = JSON.parse(step.body) as unknown;
    let answer = await requestJson(this.ctx.agent, "POST", url, body, step.key, this.ctx.timeoutMs);
    // Unanswered, or its first request still in progress: the same key again is safe and says how it ended.
    for (let retry = 0; retry < 3 && (answer.status === 0 || answer.body?.error === "idempotency_key_in_progress"); retry++) {
      answer = await requestJson(this.ctx.agent, "POST", url, body, step.key, this.ctx.timeoutMs);
    }
    const orderNumber = answer.status === 201 && typeof answer.body?.order_number === "string" ? answer.body.order_number : undefined;
    this.checkout = {
      requestId,
      status: answer.status,
      atMs,
      answeredMs: this.ctx.now(),
      restaurantId: this.restaurantId!,
      lines: this.lines.map((l) => l.request),
      ...(orderNumber ? { orderNumber } : {}),
      ...(answer.error ? { error: answer.error } : {}),
      ...(answer.retryAfter !== undefined ? { retryAfter: answer.retryAfter } : {}),
    };
    this.ctx.listener.checkedOut?.(this.plan, this.checkout);
    if (!orderNumber) throw new StepFailed("checkout", `checkout: ${describe(answer)}`);
  }

  private async follow(mode: "subscribe" | "poll"): Promise<void> {
    const number = this.checkout!.orderNumber!;
    const seen: string[][] = [];
    this.track = { mode, seen };
    const deadline = Date.now() + this.ctx.trackTimeoutMs;
    const tracking = () => this.ctx.targets.tracking();
    const last = mode === "subscribe" ? await followBySubscription(number, tracking, seen, deadline) : await followByPolling(this.ctx.agent, number, tracking, seen, deadline, this.ctx.timeoutMs);
    if (last === null || !isTerminal(last as OrderStatus)) throw new StepFailed("track", `order ${number} not seen to finish within ${Math.round(this.ctx.trackTimeoutMs / 1000)} s (last seen: ${last ?? "nothing"})`);
    this.ctx.listener.finished?.(this.plan, last as OrderStatus, this.ctx.now() - this.checkout!.atMs);
  }
}
