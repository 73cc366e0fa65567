import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { storageErrorCode } from "./disk.js";
import { errorField, PizzeriaError } from "./errors.js";
import { sleepUntil } from "./disk.js";
import { commitDueAt, withRequestId } from "./log-context.js";
import type { Logger } from "./logger.js";
import { metricsOf, sendMetrics, type ServiceMetrics } from "./metrics.js";
import { quoted } from "./printable.js";

export interface FieldError {
  field: string;
  reason: string;
}

/** An answer other than success: its status and a JSON body with `error` and, where one is to blame, `field` and `reason`. */
export class HttpError extends PizzeriaError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    const first = this.fieldErrors[0];
    return {
      error: this.code,
      message: this.message,
      ...(first ? { field: first.field, reason: first.reason, errors: this.fieldErrors } : {}),
    };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Read a JSON body: 415 unless the content type is JSON, 413 past `limitBytes` (the rest of the
 * upload is not read), 400 when it does not parse.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(415, "unsupported_media_type", "Content-Type must be application/json", [
      { field: "content-type", reason: `must be application/json, got ${type || "nothing"}` },
    ]);
  }
  const text = await readBodyText(req, limitBytes);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, "malformed_json", "Body is not valid JSON", [
      { field: "body", reason: `is not valid JSON: ${(err as Error).message}` },
    ]);
  }
}

/** Read a body as UTF-8 text, whatever its type: 413 past `limitBytes` (declared or sent; the rest is not read). */
export async function readBodyText(req: IncomingMessage, limitBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "payload_too_large", `Body is larger than ${limit} bytes`, [
    { field: "body", reason: `must be at most ${limit} bytes` },
  ]);
}

/**
 * A path segment (a route's capture) decoded: a 400 naming the path and the bad escape when it is
 * not valid percent-encoding (`%`, `%ZZ`, `a%`, `%FF`), where decodeURIComponent would throw and
 * the handler answer 500. Every handler that decodes a segment goes through here.
 */
export function decodePathSegment(req: IncomingMessage, segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    const path = (req.url ?? "/").split("?")[0];
    const notAnEscape = /%(?![0-9A-Fa-f]{2}).{0,2}/s.exec(segment);
    const reason = notAnEscape
      ? `has ${quoted(notAnEscape[0])} in ${quoted(segment)}, which is not a percent-escape (% and two hex digits)`
      : `has percent-escapes in ${quoted(segment)} that do not decode to UTF-8 text`;
    throw new HttpError(400, "malformed_path", `Path ${quoted(path)} ${reason}`, [{ field: "path", reason }]);
  }
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

export interface Route {
  method: string;
  /** Matched against the path without the query; capture groups become `params`. */
  path: RegExp;
  handler: RouteHandler;
  /** The route's pattern in metrics (`/orders/:number`); default: worked out from `path` (routePattern). */
  name?: string;
}

/**
 * A route's path as a pattern for the `route` label: `^\/orders\/([^/]+)\/?$` -> `/orders/:1`
 * (a capture of alternatives keeps them: `/(open|close)`). Never the raw
 * path, which would make a series per order.
 */
export function routePattern(path: RegExp): string {
  let n = 0;
  const pattern = path.source
    .replace(/^\^/, "")
    .replace(/\$$/, "")
    .replace(/\\\/\?$/, "")
    .replace(/\((?:\?:)?([^()]*)\)\??/g, (_m, inner: string) => (/^[\w|-]+$/.test(inner) ? `(${inner})` : `:${++n}`))
    .replace(/\\\//g, "/")
    .replace(/\/\?$/, "");
  return pattern === "" ? "/" : pattern;
}

/**
 * A small JSON HTTP server: routes by method and path, 404/405 for the rest, and any thrown
 * error becomes a JSON answer (HttpError as itself, a write the disk refused as 503
 * `storage_full`, anything else as 500) so input never crashes it. With the service's metrics
 * (by default those bound to its logger: every service's, through openRuntime) it also answers
 * GET /metrics and counts every request by route pattern, method and code.
 */
export function createJsonServer(routes: Route[], log: Logger, metrics: ServiceMetrics | undefined = metricsOf(log)): Server {
  const all = metrics ? [...routes, { method: "GET", path: /^\/metrics\/?$/, name: "/metrics", handler: (_req: IncomingMessage, res: ServerResponse) => sendMetrics(metrics, res) }] : routes;
  const names = new Map(all.map((r) => [r, r.name ?? routePattern(r.path)]));
  // Every line written while a request is handled carries its request id (the client's, or one made here).
  const server = createServer((req, res) => withRequestId(clientRequestId(req) ?? randomUUID(), () => answer(req, res)));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const matching = all.filter((r) => r.path.test(path));
    const route = matching.find((r) => r.method === req.method);
    if (metrics) countRequest(metrics, req, res, route ? names.get(route)! : matching.length > 0 ? names.get(matching[0])! : "unmatched");
    answerOnceDurable(res);
    try {
      if (!route) {
        if (matching.length > 0) {
          throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}`, [], {
            allow: matching.map((r) => r.method).join(", "),
          });
        }
        throw new HttpError(404, "not_found", `No route for ${req.method} ${path}`);
      }
      const params = route.path.exec(path)!.slice(1);
      await route.handler(req, res, params);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (storageErrorCode(err) !== null) {
        // The disk refused the write (the database's guard said so once): nothing was stored, and
        // the caller is told to come back, not that it was accepted.
        sendJson(res, 503, { error: "storage_full", message: "The service cannot store this now: its database's disk is full; retry shortly" }, { "retry-after": "1" });
      } else if (err instanceof HttpError) {
        // Unread upload bytes would otherwise be taken as the next request on a kept-alive socket.
        const headers = err.status === 413 ? { ...err.headers, connection: "close" } : err.headers;
        sendJson(res, err.status, err.body(), headers);
      } else {
        log.error({ action: "http_handler_failed", path, error: errorField(err) }, "Request handler failed");
        sendJson(res, 500, { error: "internal_error", message: "The request could not be handled; see the service log" });
      }
    }
  }
  server.keepAliveTimeout = 5_000;
  return server;
}

/**
 * The answer leaves once the commits made for it are durable: at once, but under slow_disk
 * in-process `delay` after its commit (a timer; disk.ts), as when a slow fsync holds the commit.
 */
function answerOnceDurable(res: ServerResponse): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const due = commitDueAt();
    if (due === 0) return end(...args);
    void sleepUntil(due, () => end(...args));
    return res;
  }) as ServerResponse["end"];
}

/** RED of one request, once its answer is out (or its connection is gone). */
function countRequest(metrics: ServiceMetrics, req: IncomingMessage, res: ServerResponse, route: string): void {
  const began = performance.now();
  // Methods outside the usual set share one label value: a client cannot make new series.
  const method = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"].includes(req.method ?? "") ? req.method! : "other";
  res.once("close", () => {
    const labels = { route, method, code: String(res.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - began) / 1000);
  });
}

/** The request id a client gave (Idempotency-Key, else X-Request-Id), if any. */
export function clientRequestId(req: IncomingMessage): string | undefined {
  for (const name of ["idempotency-key", "x-request-id"]) {
    const value = req.headers[name];
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === "string" && first.length > 0) return first;
  }
  return undefined;
}

/** Routes that log the seed's `request_received` (with the request's id) before they answer. */
export function loggingRequests(routes: Route[], log: Logger): Route[] {
  return routes.map((r) => ({
    ...r,
    handler(req, res, params) {
      log.info({ action: "request_received", method: req.method, path: (req.url ?? "/").split("?")[0] }, `${req.method} ${req.url}`);
      return r.handler(req, res, params);
    },
  }));
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
