import type { IncomingMessage, Server } from "node:http";
import { INSTANCE_NAME_PATTERN } from "../shared/contracts.js";
import { createJsonServer, decodePathSegment, HttpError, sendJson } from "../shared/http.js";
import type { Logger } from "../shared/logger.js";
import type { ReportStore } from "./store.js";

/** The query parameters a route takes; any other is refused with 400 naming it. */
function query(req: IncomingMessage, allowed: readonly string[]): URLSearchParams {
  const params = new URL(req.url ?? "/", "http://x").searchParams;
  for (const key of params.keys()) {
    if (!allowed.includes(key)) {
      throw new HttpError(400, "validation_failed", `Unknown query parameter ${key}`, [{ field: key, reason: allowed.length ? `not a parameter of this report (it takes ${allowed.join(", ")})` : "this report takes no parameters" }]);
    }
  }
  return params;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayParam(params: URLSearchParams, name: string): string | null {
  const value = params.get(name);
  if (value === null) return null;
  if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new HttpError(400, "validation_failed", `Bad ${name} ${value}`, [{ field: name, reason: "must be a UTC day YYYY-MM-DD" }]);
  }
  return value;
}

/**
 * The back office's reports, all read from the service's own read model:
 * GET /reports/restaurants[?restaurant=<id>], /reports/customers/:id, /reports/workers,
 * /reports/daily[?from=YYYY-MM-DD&to=YYYY-MM-DD], /health.
 */
export function reportingApi(store: ReportStore, log: Logger, instance: string): Server {
  return createJsonServer(
    [
      {
        method: "GET",
        path: /^\/reports\/restaurants\/?(?:\?.*)?$/,
        handler(req, res) {
          const restaurant = query(req, ["restaurant"]).get("restaurant");
          if (restaurant !== null && !INSTANCE_NAME_PATTERN.test(restaurant)) {
            throw new HttpError(400, "validation_failed", `Bad restaurant ${restaurant}`, [{ field: "restaurant", reason: "must be 1-64 letters, digits, _ or -" }]);
          }
          const reports = store.restaurants(restaurant ?? undefined);
          if (restaurant !== null && reports.length === 0) {
            throw new HttpError(404, "restaurant_not_found", `No orders of restaurant ${restaurant} are known to reporting`, [{ field: "restaurant", reason: `no orders of ${restaurant}` }]);
          }
          sendJson(res, 200, { restaurants: reports });
        },
      },
      {
        method: "GET",
        path: /^\/reports\/customers\/([^/?]+)\/?(?:\?.*)?$/,
        handler(req, res, [raw]) {
          query(req, []);
          const id = decodePathSegment(req, raw);
          const report = store.customer(id);
          if (!report) throw new HttpError(404, "customer_not_found", `No orders of customer ${id} are known to reporting`, [{ field: "customer_id", reason: `no orders of ${id}` }]);
          sendJson(res, 200, report);
        },
      },
      {
        method: "GET",
        path: /^\/reports\/workers\/?(?:\?.*)?$/,
        handler(req, res) {
          query(req, []);
          sendJson(res, 200, { workers: store.workers() });
        },
      },
      {
        method: "GET",
        path: /^\/reports\/daily\/?(?:\?.*)?$/,
        handler(req, res) {
          const params = query(req, ["from", "to"]);
          const from = dayParam(params, "from");
          const to = dayParam(params, "to");
          if (from !== null && to !== null && from > to) throw new HttpError(400, "validation_failed", `from ${from} is after to ${to}`, [{ field: "from", reason: `must not be after to (${to})` }]);
          sendJson(res, 200, { days: store.daily().filter((d) => (from === null || d.day >= from) && (to === null || d.day <= to)) });
        },
      },
      { method: "GET", path: /^\/health\/?(?:\?.*)?$/, handler: (_req, res) => sendJson(res, 200, { status: "ok", service: "reporting", instance }) },
    ],
    log,
  );
}
