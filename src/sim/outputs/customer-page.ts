import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { RunStart } from "../telemetry/run-events.js";
import { customerPageHtml } from "./customer-page-html.js";
import { listenForPage } from "./listen.js";
import type { RunEvents, RunOutput } from "./output.js";

/** The services the page talks to, under /api/<service>/ on the page's own origin. */
export const PAGE_SERVICES = ["restaurant", "customer", "tracking"] as const;
export type PageService = (typeof PAGE_SERVICES)[number];

/** Larger than any service takes (theirs is 64 KiB): a body past it is refused here, not held. */
const MAX_BODY = 256 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
/** Request headers not passed on: hop-by-hop ones, and the page's own origin (the services see a plain client). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);
const DROPPED = new Set(["host", "connection", "keep-alive", "upgrade", "proxy-connection", "te", "trailer", "origin", "referer", "cookie"]);

/**
 * The customer's web page (`up`, and `run --web`): one HTML page with its script and style inlined
 * (no CDN, nothing fetched from elsewhere), served from the harness beside the system, and a
 * forwarder that passes the page's calls to the real services: `/api/restaurant/...` to the
 * restaurant API, `/api/customer/...` to the customer API, `/api/tracking/...` to tracking (its
 * GraphQL subscriptions stream through as they come). The page and its API share one origin, so no
 * service needs CORS. The services' addresses are the launcher's, as the run's start gives them;
 * with several instances of a service, a refused connection moves on to the next one.
 */
export class CustomerPage implements RunOutput {
  private server: Server | null = null;
  private endpoints: Partial<Record<PageService, string[]>> | null = null;
  private unlisten: (() => void) | null = null;
  url: string | null = null;

  constructor(private readonly options: { host?: string; port?: number } = {}) {}

  get description(): string {
    return `customer page ${this.url ?? ""}`.trim();
  }

  /** Starts serving (before the run starts, so the address can be printed first); resolves to its URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    this.url = await listenForPage(server, this.options);
    return this.url;
  }

  start(events: RunEvents): void {
    const onStart = (s: RunStart) => {
      const e = s.endpoints;
      this.endpoints = { restaurant: e?.restaurant ?? [], customer: e?.customer ?? [], tracking: e?.tracking ?? [] };
    };
    events.on("start", onStart);
    this.unlisten = () => events.off("start", onStart);
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    const server = this.server;
    if (!server) return;
    // A page's open subscription must not hold the run's end: idle connections close, busy ones are cut.
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), 1_000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(cut);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.hostAllowed(req.headers.host)) return sendJson(res, 403, { error: "forbidden", message: "this page answers to its loopback address only" });
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": CSP });
      res.end(req.method === "HEAD" ? undefined : customerPageHtml());
      return;
    }
    const api = /^\/api\/([a-z]+)(\/.*)$/.exec(url.pathname);
    const service = api && (PAGE_SERVICES as readonly string[]).includes(api[1]) ? (api[1] as PageService) : null;
    if (!api || !service) {
      return sendJson(res, 404, { error: "not_found", message: `no ${req.method} ${url.pathname}: the page is at /, its calls go to /api/<${PAGE_SERVICES.join("|")}>/...` });
    }
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) return sendJson(res, 413, { error: "body_too_large", message: `a body over ${MAX_BODY} bytes is not forwarded` }, { connection: "close" });
    if (!this.endpoints) return sendJson(res, 503, { error: "starting", message: "the system is still starting; try again in a moment" }, { "retry-after": "1" });
    const targets = this.endpoints[service] ?? [];
    if (targets.length === 0) return sendJson(res, 503, { error: "service_not_running", message: `no ${service} service runs in this system` });
    forward(req, res, targets, `${api[2]}${url.search}`, service);
  }

  /** Bound to loopback, it answers only requests addressed to loopback (no DNS rebinding onto it). */
  private hostAllowed(host: string | undefined): boolean {
    if (!LOOPBACK.has(this.options.host ?? "127.0.0.1")) return true;
    return LOOPBACK.has((host ?? "").replace(/:\d+$/, ""));
  }
}

/** Nothing but this origin: a script or a style from anywhere else would not run. */
const CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Passes one request to the service and its answer back as it comes (a server-sent stream too).
 * The body is held until the service is reached, so a refused connection can try the next
 * instance with the same bytes; once one took the request it is never sent again.
 */
function forward(req: IncomingMessage, res: ServerResponse, targets: readonly string[], path: string, service: PageService): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROPPED.has(k)) headers[k] = v;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size <= MAX_BODY) return void chunks.push(c);
    sendJson(res, 413, { error: "body_too_large", message: `a body over ${MAX_BODY} bytes is not forwarded` }, { connection: "close" });
    req.destroy();
  });
  req.on("error", () => res.destroy());
  req.on("end", () => size <= MAX_BODY && attempt(0));
  const attempt = (i: number): void => {
    const base = new URL(targets[i]);
    const out = request({ host: base.hostname.replace(/^\[|\]$/g, ""), port: base.port, method: req.method, path, headers }, (answer) => {
      const back: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v;
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      res.on("close", () => answer.destroy());
    });
    out.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED" && i + 1 < targets.length) return attempt(i + 1);
      sendJson(res, 502, { error: "service_unreachable", message: `the ${service} service did not answer (${err.code ?? err.message}); it may be restarting` });
    });
    res.on("close", () => out.destroy());
    out.end(Buffer.concat(chunks));
  };
}
