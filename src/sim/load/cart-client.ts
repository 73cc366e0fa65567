import { request, type Agent } from "node:http";
import { RUNNER_CODES } from "./error-causes.js";
import { checkoutRequestId } from "./cart-journeys.js";
import type { PlannedRequest } from "./order-generator.js";

/** How a journey ended: the checkout's answer, or the first step that did not get the answer it needed. */
export interface JourneyEnd {
  status: number;
  /** The order's request id once the customer is known (`<customer id>:<key>`), else the planned one. */
  requestId: string;
  orderNumber?: string;
  error?: { message: string; code?: string };
  retryAfter?: string;
  /** The step that ended it, when it was not the checkout. */
  failedStep?: "register" | "cart";
}

export interface Reply {
  status: number;
  body: Record<string, unknown> | null;
  retryAfter?: string;
  error?: { message: string; code?: string };
}

function postJson(agent: Agent, url: string, body: unknown, key: string | null, timeoutMs: number): Promise<Reply> {
  return requestJson(agent, "POST", url, body, key, timeoutMs);
}

/** One JSON request (a body for POST only) and its answer; never rejects: no answer is status 0 with the error. */
export function requestJson(agent: Agent, method: "GET" | "POST" | "DELETE", url: string, body: unknown, key: string | null, timeoutMs: number): Promise<Reply> {
  const bytes = method === "POST" ? Buffer.from(JSON.stringify(body), "utf8") : Buffer.alloc(0);
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = method === "POST" ? { "content-type": "application/json", "content-length": bytes.length } : {};
    if (key !== null) headers["idempotency-key"] = key;
    const req = request(url, { method, agent, timeout: timeoutMs, headers });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        let parsed: Record<string, unknown> | null = null;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
        } catch {
          // no readable body
        }
        const retryAfter = res.statusCode === 503 ? (res.headers["retry-after"] as string | undefined) : undefined;
        resolve({ status: res.statusCode ?? 0, body: parsed, ...(retryAfter !== undefined ? { retryAfter } : {}) });
      });
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: null, error: { message: err.message, code: err.code } }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: RUNNER_CODES.timedOut })));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: null, error: { message: err.message, code: err.code } }));
    req.end(bytes);
  });
}

/**
 * One customer's journey to an order: register (under its own Idempotency-Key), put the lines in
 * the cart, check out under the planned request's key. `onRequestId` hears the order's request id
 * before the checkout goes out (the harness's ledger times the order from it).
 */
export async function runJourney(agent: Agent, base: string, planned: PlannedRequest, timeoutMs: number, onRequestId?: (requestId: string) => void): Promise<JourneyEnd> {
  const journey = planned.cart!;
  const registered = await postJson(agent, `${base}/customers`, journey.customer, `${planned.requestId}.customer`, timeoutMs);
  const customerId = registered.status === 201 ? registered.body?.id : undefined;
  if (typeof customerId !== "string") return { status: registered.status, requestId: planned.requestId, failedStep: "register", ...outcomeOf(registered) };
  const requestId = checkoutRequestId(customerId, planned.requestId);
  for (const line of journey.lines) {
    const added = await postJson(agent, `${base}/customers/${customerId}/cart/items`, { restaurant_id: journey.restaurant_id, ...line }, null, timeoutMs);
    if (added.status !== 201) return { status: added.status, requestId, failedStep: "cart", ...outcomeOf(added) };
  }
  onRequestId?.(requestId);
  const body = JSON.parse(planned.body) as unknown;
  let answer = await postJson(agent, `${base}/customers/${customerId}/cart/checkout`, body, planned.requestId, timeoutMs);
  // Its first request still in progress (409 for the key) or unanswered: the same key again is safe, and says how it ended.
  for (let retry = 0; retry < 3 && (answer.status === 0 || answer.body?.error === "idempotency_key_in_progress"); retry++) {
    answer = await postJson(agent, `${base}/customers/${customerId}/cart/checkout`, body, planned.requestId, timeoutMs);
  }
  const orderNumber = answer.status === 201 && typeof answer.body?.order_number === "string" ? answer.body.order_number : undefined;
  return { status: answer.status, requestId, ...(orderNumber ? { orderNumber } : {}), ...outcomeOf(answer) };
}

function outcomeOf(r: Reply): Pick<JourneyEnd, "error" | "retryAfter"> {
  return { ...(r.error ? { error: r.error } : {}), ...(r.retryAfter !== undefined ? { retryAfter: r.retryAfter } : {}) };
}
