import type { IncomingMessage } from "node:http";
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects, type MarkReadyReply, type MarkReadyRequest } from "../shared/contracts.js";
import { errorMessage } from "../shared/errors.js";
import { createJsonServer, decodePathSegment, HttpError, readJsonBody, sendJson, type Route } from "../shared/http.js";
import type { Logger } from "../shared/logger.js";
import type { RestaurantDefinition } from "../shared/menus.js";
import type { ServiceMetrics } from "../shared/metrics.js";
import type { Decision, PaidOrderRow, PaidOrders } from "./decisions.js";
import type { RestaurantBook } from "./restaurants.js";

export interface RestaurantApiOptions {
  book: RestaurantBook;
  orders: PaidOrders;
  nc: NatsConnection;
  log: Logger;
  metrics?: ServiceMetrics;
  bodyLimitBytes: number;
  /** How long a kitchen has to say it holds the order the staff marked ready. */
  markReadyTimeoutMs: number;
}

const STATES = ["waiting", "accepted", "rejected"] as const;
const MAX_REASON = 200;

/** A restaurant as the API shows it: everything but the menu, which has its own path. */
function summary(r: RestaurantDefinition): Omit<RestaurantDefinition, "menu"> & { menu_url: string } {
  const { menu: _menu, ...rest } = r;
  return { ...rest, menu_url: `/restaurants/${encodeURIComponent(r.id)}/menu` };
}

function orderView(row: PaidOrderRow) {
  return { order_number: row.order_number, restaurant_id: row.restaurant, state: row.state, reason: row.reason, decided_by: row.decided_by, received_at: row.received_at, decided_at: row.decided_at };
}

/**
 * The restaurant staff's API (FoodWala's restaurant app): the restaurants and their menus, open
 * and close, the paid orders waiting for an answer, and accept / reject / mark ready. Unknown
 * restaurants and orders are 404, an order not in a state for the action 409, bad bodies 400
 * naming the field; nothing a client sends crashes it.
 */
export function restaurantApi(o: RestaurantApiOptions) {
  const { book, orders } = o;
  const restaurantOf = (req: IncomingMessage, raw: string): RestaurantDefinition => {
    const id = decodePathSegment(req, raw);
    const r = book.get(id);
    if (!r) throw new HttpError(404, "restaurant_not_found", `No restaurant ${id}`, [{ field: "restaurant_id", reason: `no restaurant ${id} (known: ${book.list().map((x) => x.id).join(", ")})` }]);
    return r;
  };
  const orderOf = (req: IncomingMessage, r: RestaurantDefinition, raw: string): PaidOrderRow => {
    const number = decodePathSegment(req, raw);
    const row = orders.get(number);
    if (!row || row.restaurant !== r.id) {
      throw new HttpError(404, "order_not_found", `Restaurant ${r.id} has no paid order ${number}`, [{ field: "order_number", reason: `no paid order ${number} at ${r.id}` }]);
    }
    return row;
  };
  const conflict = (row: PaidOrderRow, action: string, why: string) =>
    new HttpError(409, "conflict", `Order ${row.order_number} cannot be ${action}: ${why}`, [{ field: "order_number", reason: why }]);

  async function decide(req: IncomingMessage, r: RestaurantDefinition, row: PaidOrderRow, decision: Decision): Promise<PaidOrderRow> {
    let reason: string | null = null;
    if (decision === "rejected") reason = await rejectReason(req, o.bodyLimitBytes);
    const outcome = orders.decide(row.order_number, decision, `staff@${r.id}`, reason);
    if (outcome.result === "already") throw conflict(row, decision, `it was already ${outcome.state}`);
    if (outcome.result === "unknown_order") throw new HttpError(404, "order_not_found", `No paid order ${row.order_number}`);
    o.log.info({ action: `order_${decision}`, order_number: row.order_number, restaurant: r.id, by: "staff", reason }, `Order ${row.order_number} ${decision} by the staff of ${r.id}`);
    return orders.get(row.order_number)!;
  }

  async function markReady(r: RestaurantDefinition, row: PaidOrderRow): Promise<MarkReadyReply> {
    if (row.state !== "accepted") throw conflict(row, "marked ready", row.state === "waiting" ? "it is waiting for the restaurant's answer" : "it was rejected");
    const request: MarkReadyRequest = { order_number: row.order_number, by: `staff@${r.id}` };
    try {
      const reply = await o.nc.request(subjects.kitchenMarkReady(r.id), JSON.stringify(request), { timeout: o.markReadyTimeoutMs });
      return reply.json() as MarkReadyReply;
    } catch (err) {
      o.log.info({ action: "mark_ready_unanswered", order_number: row.order_number, restaurant: r.id, error: errorMessage(err) }, `No kitchen of ${r.id} has ${row.order_number} on its stove`);
      throw conflict(row, "marked ready", `no kitchen worker of ${r.id} has it on the stove (not started yet, or already ready)`);
    }
  }

  const routes: Route[] = [
    { method: "GET", path: /^\/health\/?$/, handler: (_req, res) => sendJson(res, o.nc.isClosed() ? 503 : 200, { status: o.nc.isClosed() ? "degraded" : "ok", service: "restaurant" }) },
    { method: "GET", path: /^\/restaurants\/?$/, handler: (_req, res) => sendJson(res, 200, book.list().map(summary)) },
    { method: "GET", path: /^\/restaurants\/([^/]+)\/?$/, handler: (req, res, [id]) => sendJson(res, 200, summary(restaurantOf(req, id))) },
    { method: "GET", path: /^\/restaurants\/([^/]+)\/menu\/?$/, handler: (req, res, [id]) => sendJson(res, 200, restaurantOf(req, id).menu) },
    ...(["open", "close"] as const).map((verb): Route => ({
      method: "POST",
      path: new RegExp(`^/restaurants/([^/]+)/${verb}/?$`),
      async handler(req, res, [id]) {
        const r = restaurantOf(req, id);
        req.resume();
        const next = await book.setOpen(r.id, verb === "open");
        o.log.info({ action: verb === "open" ? "restaurant_opened" : "restaurant_closed", restaurant: r.id }, `Restaurant ${r.id} is ${verb === "open" ? "open" : "closed"}`);
        sendJson(res, 200, summary(next!));
      },
    })),
    {
      method: "GET",
      path: /^\/restaurants\/([^/]+)\/orders\/?$/,
      handler(req, res, [id]) {
        const r = restaurantOf(req, id);
        const state = new URL(req.url ?? "/", "http://x").searchParams.get("state") ?? "waiting";
        if (!(STATES as readonly string[]).includes(state)) throw new HttpError(400, "validation_failed", "Unknown state", [{ field: "state", reason: `must be one of ${STATES.join(", ")}` }]);
        sendJson(res, 200, orders.list(r.id, state as PaidOrderRow["state"]).map(orderView));
      },
    },
    {
      method: "GET",
      path: /^\/restaurants\/([^/]+)\/orders\/([^/]+)\/?$/,
      handler: (req, res, [id, number]) => sendJson(res, 200, orderView(orderOf(req, restaurantOf(req, id), number))),
    },
    ...(["accept", "reject"] as const).map((verb): Route => ({
      method: "POST",
      path: new RegExp(`^/restaurants/([^/]+)/orders/([^/]+)/${verb}/?$`),
      async handler(req, res, [id, number]) {
        const r = restaurantOf(req, id);
        const row = orderOf(req, r, number);
        if (verb === "accept") req.resume();
        sendJson(res, 200, orderView(await decide(req, r, row, verb === "accept" ? "accepted" : "rejected")));
      },
    })),
    {
      method: "POST",
      path: /^\/restaurants\/([^/]+)\/orders\/([^/]+)\/ready\/?$/,
      async handler(req, res, [id, number]) {
        const r = restaurantOf(req, id);
        const row = orderOf(req, r, number);
        req.resume();
        const reply = await markReady(r, row);
        sendJson(res, 200, { order_number: row.order_number, restaurant_id: r.id, status: "ready", worker: reply.worker });
      },
    },
  ];
  return createJsonServer(routes, o.log, o.metrics);
}

/** The body of a rejection: `{reason}`, 1-200 characters; no body at all is the restaurant's default reason. */
async function rejectReason(req: IncomingMessage, limit: number): Promise<string> {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return "rejected by the staff";
  const body = await readJsonBody(req, limit);
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new HttpError(400, "validation_failed", "The body must be a JSON object", [{ field: "body", reason: "must be a JSON object like {\"reason\": \"out of dough\"}" }]);
  const { reason, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new HttpError(400, "validation_failed", `Unknown field ${unknown[0]}`, [{ field: unknown[0], reason: "is not a field of a rejection (only reason)" }]);
  if (reason === undefined) return "rejected by the staff";
  if (typeof reason !== "string" || reason.trim().length === 0 || reason.length > MAX_REASON) {
    throw new HttpError(400, "validation_failed", "The reason is not valid", [{ field: "reason", reason: `must be text of 1-${MAX_REASON} characters` }]);
  }
  return reason.trim();
}
