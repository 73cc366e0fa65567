import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { dashboardFaultKeys } from "../scenario/fault-kinds.js";
import { RunRecorder } from "../telemetry/run-record.js";
import type { RunControl, RunReport, RunTick } from "../telemetry/run-events.js";
import { renderHtml } from "./html-page.js";
import { listenForPage } from "./listen.js";
import type { RunEvents, RunOutput } from "./output.js";
import { pageOf, type RunPage } from "./page-data.js";

/** A process the page's fault buttons can act on, as the dashboard's keys do: `kitchen/<name>`, `<service>/<instance>`. */
interface Target {
  target: string;
  state: string;
}

function targetsOf(tick: RunTick | undefined): Target[] {
  if (!tick) return [];
  const out: Target[] = tick.workers.map((w) => ({ target: `kitchen/${w.name}`, state: w.state }));
  for (const s of tick.services) if (s.service !== "kitchen") out.push({ target: `${s.service}/${s.instance}`, state: s.state });
  return out;
}

const MAX_BODY = 16 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

class BadRequest extends Error {}

/**
 * The live web dashboard (`--web`), k6 style: the same charts as report.html, served from this
 * process and updated over server-sent events at every tick, with the dashboard's keys as buttons
 * (the same RunControl the keys use). It binds to 127.0.0.1 unless told otherwise; the control
 * endpoint takes only JSON, so a page of another origin cannot post to it without CORS, which it
 * never grants.
 */
export class WebDashboard implements RunOutput {
  private readonly recorder = new RunRecorder();
  private readonly clients = new Set<ServerResponse>();
  private server: Server | null = null;
  private lastTick: RunTick | undefined;
  private unlisten: (() => void) | null = null;
  private finished = false;
  url: string | null = null;

  constructor(
    private readonly control: RunControl,
    private readonly options: { host?: string; port?: number } = {},
  ) {}

  get description(): string {
    return `web dashboard ${this.url ?? ""}`.trim();
  }

  /** Starts serving (before the run starts, so the address can be printed first); resolves to its URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = await listenForPage(server, this.options);
    return this.url;
  }

  start(events: RunEvents): void {
    this.unlisten = this.recorder.listen(events);
    const onTick = (t: RunTick) => {
      this.lastTick = t;
      this.broadcast("page", this.page());
    };
    events.on("tick", onTick);
    const prev = this.unlisten;
    this.unlisten = () => {
      prev();
      events.off("tick", onTick);
    };
  }

  /** The run is over: the final picture (with the verdict), then `done`; the server closes. */
  async stop(_report: RunReport | null): Promise<void> {
    this.unlisten?.();
    this.finished = true;
    this.broadcast("page", this.page());
    this.broadcast("done", {});
    for (const c of this.clients) c.end();
    this.clients.clear();
    const server = this.server;
    if (!server) return;
    // Idle keep-alive connections are closed by close(); one still busy after a second is cut, so
    // the run's end never waits on a browser tab (the frames above are flushed by then).
    const cut = setTimeout(() => server.closeAllConnections(), 1_000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(cut);
  }

  private page(): RunPage & { targets: Target[] } {
    return { ...pageOf(this.recorder.record, undefined, !this.finished), targets: targetsOf(this.lastTick) };
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (!this.hostAllowed(req.headers.host)) return this.send(res, 403, "application/json", JSON.stringify({ error: "this dashboard answers to its loopback address only" }));
    try {
      if (req.method === "GET" && path === "/") {
        const page = this.page();
        return this.send(res, 200, "text/html; charset=utf-8", renderHtml({ title: `pizzeria live: ${page.scenario}`, runs: [page], live: true }));
      }
      if (req.method === "GET" && path === "/events") return this.subscribe(res);
      if (req.method === "POST" && path === "/control") return this.send(res, 200, "application/json", JSON.stringify(await this.command(req)));
      return this.send(res, 404, "application/json", JSON.stringify({ error: `no ${req.method} ${path}: the page is at /, its updates at /events, its buttons post to /control` }));
    } catch (err) {
      const status = err instanceof BadRequest ? 400 : 409;
      this.send(res, status, "application/json", JSON.stringify({ ok: false, message: err instanceof Error ? err.message : String(err) }));
    }
  }

  /**
   * Bound to loopback, it answers only requests addressed to loopback: a page of another site whose
   * name was made to resolve to 127.0.0.1 (DNS rebinding) would otherwise be its "same origin".
   */
  private hostAllowed(host: string | undefined): boolean {
    const bound = this.options.host ?? "127.0.0.1";
    if (!LOOPBACK.has(bound)) return true;
    const name = (host ?? "").replace(/:\d+$/, "");
    return LOOPBACK.has(name);
  }

  private send(res: ServerResponse, status: number, type: string, body: string): void {
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  }

  private subscribe(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    res.write(`retry: 2000\nevent: page\ndata: ${JSON.stringify(this.page())}\n\n`);
    if (this.finished) {
      res.end("event: done\ndata: {}\n\n");
      return;
    }
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  /** A button: {action: pause|resume|finish|inject, kind, target}; a wrong field is a 400 that names it. */
  private async command(req: IncomingMessage): Promise<{ ok: true; message: string }> {
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) throw new BadRequest("content-type must be application/json");
    const body = await readJson(req);
    const action = body.action;
    if (action === "pause") return (this.control.pauseLoad(), { ok: true, message: "load paused" });
    if (action === "resume") return (this.control.resumeLoad(), { ok: true, message: "load resumed" });
    if (action === "finish") return (this.control.finish(), { ok: true, message: "finishing: no more orders; draining, then checking" });
    if (action !== "inject") throw new BadRequest(`action must be one of pause, resume, finish, inject; got ${JSON.stringify(action)}`);
    const key = dashboardFaultKeys().find((k) => k.kind === body.kind);
    if (!key) throw new BadRequest(`kind must be one of ${[...new Set(dashboardFaultKeys().map((k) => k.kind))].join(", ")}; got ${JSON.stringify(body.kind)}`);
    if (typeof body.target !== "string" || body.target === "") throw new BadRequest("target must name a process (kitchen/<worker>, <service>/<instance>) or be broker");
    // As the dashboard's `p`: on a paused target the same button resumes it.
    const paused = targetsOf(this.lastTick).find((t) => t.target === body.target)?.state === "paused";
    const kind = paused && key.whenPaused ? key.whenPaused : key.kind;
    const f = await this.control.inject({ kind, target: body.target });
    return { ok: true, message: f.error ? `${kind} ${body.target} failed: ${f.error}` : `${kind} ${body.target} (${f.id})` };
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY) throw new BadRequest(`body over ${MAX_BODY} bytes`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadRequest("body must be JSON");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new BadRequest("body must be a JSON object such as {\"action\":\"pause\"}");
  return v as Record<string, unknown>;
}
