import { createRequire } from "node:module";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Prometheus metrics of one service instance, in its own registry (never prom-client's global
 * one: in-process mode runs several services in one process, each with its own figures). Every
 * series carries `service` and `instance` (default labels), so a scrape that keeps them
 * (`honor_labels: true`, as the generated prometheus.yml does) tells instances apart.
 *
 * Nothing here runs a timer: gauges that depend on state (outbox backlog, pending per durable,
 * breaker state, stove occupancy) are read at scrape time through collect() callbacks.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"route" | "method" | "code">;
  readonly httpDuration: Histogram<"route" | "method" | "code">;
  readonly handled: Counter<"durable">;
  readonly failed: Counter<"durable">;
  readonly retried: Counter<"durable">;
  readonly deadLettered: Counter<"durable">;
  readonly handlingDuration: Histogram<"durable">;
  private readonly durables = new Map<string, () => Promise<{ pending: number; ackPending: number } | null>>();

  constructor(readonly service: string, readonly instance: string) {
    this.registry.setDefaultLabels({ service, instance });
    const registers = [this.registry];
    this.httpRequests = new Counter({ name: "http_requests_total", help: "HTTP requests answered, by route pattern, method and status code", labelNames: ["route", "method", "code"], registers });
    this.httpDuration = new Histogram({
      name: "http_request_duration_seconds",
      help: "Time from a request's arrival to the end of its answer",
      labelNames: ["route", "method", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const perDurable = (name: string, help: string) => new Counter({ name, help, labelNames: ["durable"], registers });
    this.handled = perDurable("consumer_messages_handled_total", "Messages handled and acked, per durable consumer");
    this.failed = perDurable("consumer_messages_failed_total", "Handler failures (each attempt that threw), per durable consumer");
    this.retried = perDurable("consumer_messages_retried_total", "Messages handed back for a later delivery (nak with delay), per durable consumer");
    this.deadLettered = perDurable("consumer_messages_dead_lettered_total", "Messages published to the dead-letter stream, per durable consumer");
    this.handlingDuration = new Histogram({
      name: "consumer_message_handling_duration_seconds",
      help: "Time a handler took over one message (in a batch: the batch's time shared out over its messages)",
      labelNames: ["durable"],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 15],
      registers,
    });
    this.durableGauges(registers);
    registerDefaultMetrics(this.registry);
  }

  /** Read pending and ack-pending of this durable at scrape time (`read` asks the server; null when it cannot). */
  watchDurable(durable: string, read: () => Promise<{ pending: number; ackPending: number } | null>): void {
    this.durables.set(durable, read);
  }

  /** A gauge whose value is read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
  }

  /** A gauge with one label whose values are read at scrape time, e.g. an enum as 0/1 per state. */
  labelledGauge<L extends string>(name: string, help: string, label: L, read: () => Record<string, number>): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [value, n] of Object.entries(read())) this.set({ [label]: value } as Record<L, string>, n);
      },
    });
  }

  /** A counter whose total is read at scrape time from something that already counts (the stove's cooked orders, its busy time). */
  countedTotal(name: string, help: string, read: () => number): void {
    new Counter({ name, help, registers: [this.registry], collect() { this.reset(); this.inc(read()); } });
  }

  /** The Prometheus text of this registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private durableGauges(registers: Registry[]): void {
    const durables = this.durables;
    const ackPending = new Gauge({ name: "consumer_ack_pending_messages", help: "Messages delivered and not yet acked, per durable consumer (read from the server at scrape time)", labelNames: ["durable"], registers });
    new Gauge({
      name: "consumer_pending_messages",
      help: "Messages in the stream not yet delivered to this durable consumer (read from the server at scrape time)",
      labelNames: ["durable"],
      registers,
      async collect() {
        await Promise.all([...durables].map(async ([durable, read]) => {
          const info = await read().catch(() => null);
          if (!info) return;
          this.set({ durable }, info.pending);
          ackPending.set({ durable }, info.ackPending);
        }));
      },
    });
  }
}

/**
 * Options of a metrics-only server that keep it quiet while idle: node:http otherwise checks its
 * connections' request timeouts on a 30 s interval timer from the moment it listens. Idle
 * connections are ended by a per-socket timeout instead (setTimeout), which runs only while one is open.
 */
export const IDLE_QUIET = { connectionsCheckingInterval: 2 ** 31 - 1 } as const;

const byOwner = new WeakMap<object, ServiceMetrics>();

/**
 * Tie a service's metrics to what it hands to the shared parts (its JetStream client, its logger),
 * so that a consumer (runConsumer) and an HTTP server (createJsonServer) of a new service are
 * measured without being told: openRuntime does it for every service.
 */
export function bindMetrics(metrics: ServiceMetrics, ...owners: object[]): ServiceMetrics {
  for (const o of owners) byOwner.set(o, metrics);
  return metrics;
}

/** The metrics bound to this JetStream client or logger (bindMetrics), if any. */
export function metricsOf(owner: object): ServiceMetrics | undefined {
  return byOwner.get(owner);
}

/** Answer GET /metrics from these metrics (the JSON server and the metrics-only server share it). */
export async function sendMetrics(metrics: ServiceMetrics, res: ServerResponse): Promise<void> {
  const text = await metrics.text();
  res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A server of `GET /metrics` only, for a service without an HTTP API (kitchen workers,
 * notification, payment). Port 0 takes a free one; the bound port is in the answer.
 */
export async function serveMetrics(metrics: ServiceMetrics, port: number, host: string): Promise<{ server: Server; port: number; url: string }> {
  const server = createServer(IDLE_QUIET, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && path === "/metrics") {
      sendMetrics(metrics, res).catch(() => {
        res.writeHead(500).end();
      });
      return;
    }
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Only GET /metrics here\n");
  });
  server.keepAliveTimeout = 5_000;
  server.setTimeout(10_000); // a connection's own timer, only while it is open: a stuck scraper is dropped
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { server, port: bound, url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics` };
}

const require = createRequire(import.meta.url);
type DefaultMetric = (registry: Registry, config: Record<string, unknown>) => void;
/**
 * prom-client's default metrics (process CPU, memory, handles, heap, GC, Node version) minus its
 * event-loop-lag set, whose monitorEventLoopDelay keeps a 10 ms timer running even when the
 * process is idle; the lag is measured here at scrape time instead (one setImmediate per scrape).
 */
const DEFAULT_METRICS = [
  "processCpuTotal", "processStartTime", "osMemoryHeap", "processOpenFileDescriptors", "processMaxFileDescriptors",
  "processHandles", "processRequests", "heapSizeAndUsed", "heapSpacesSizeAndUsed", "version", "gc",
  ...(typeof (process as { getActiveResourcesInfo?: unknown }).getActiveResourcesInfo === "function" ? ["processResources"] : []),
];

function registerDefaultMetrics(registry: Registry): void {
  for (const name of DEFAULT_METRICS) (require(`prom-client/lib/metrics/${name}.js`) as DefaultMetric)(registry, {});
  new Gauge({
    name: "nodejs_eventloop_lag_seconds",
    help: "Lag of the event loop in seconds, measured at scrape time (a setImmediate's delay)",
    registers: [registry],
    async collect() {
      const start = process.hrtime.bigint();
      await new Promise((r) => setImmediate(r));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
}
