import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import { IDLE_QUIET } from "../../services/shared/metrics.js";
import { stringify } from "yaml";
import type { LatencyKind, Metrics } from "../telemetry/metrics.js";
import type { FaultRecord, RunStart, RunTick } from "../telemetry/run-events.js";
import type { RunEvents, RunOutput } from "./output.js";

export interface MetricsTarget {
  service: string;
  instance: string;
  /** Its GET /metrics URL. */
  url: string;
}

/**
 * A ready prometheus.yml for a system: one job of every service instance (labelled with its
 * service and instance; `honor_labels` keeps the labels the services put on their series) and,
 * when given, one of the harness's own figures.
 */
export function scrapeConfig(targets: readonly MetricsTarget[], harnessUrl?: string, intervalSeconds = 5): string {
  const staticOf = (t: MetricsTarget) => {
    const u = new URL(t.url);
    return { targets: [u.host], labels: { service: t.service, instance: t.instance } };
  };
  const jobs: Array<Record<string, unknown>> = [
    { job_name: "pizzeria", honor_labels: true, metrics_path: "/metrics", static_configs: targets.map(staticOf) },
  ];
  if (harnessUrl) jobs.push({ job_name: "pizzeria_harness", honor_labels: true, metrics_path: new URL(harnessUrl).pathname, static_configs: [staticOf({ service: "harness", instance: "harness", url: harnessUrl })] });
  return `# Written by pizzeria for the system it started; run: prometheus --config.file <this file>\n${stringify({
    global: { scrape_interval: `${intervalSeconds}s`, evaluation_interval: `${intervalSeconds}s` },
    scrape_configs: jobs,
  })}`;
}

/** The latencies the harness measures, as Prometheus histograms (`kind` label). */
const LATENCY_KINDS: Array<[LatencyKind, string]> = [["accept", "accept"], ["accept201", "accept_201"], ["endToEnd", "end_to_end"], ["ready", "ready"], ["failed", "failed"]];
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The harness's own figures on `GET /metrics` (`up --metrics-port`): offered and achieved rate,
 * requests and orders by outcome, in-flight orders, dead letters, active faults as a gauge per
 * kind and target, and its latency histograms (read from the run's HDR histograms at scrape time:
 * no timer of its own). It also writes `prometheus.yml` into the run directory at the start:
 * every service instance's metrics and this endpoint.
 */
export class PrometheusOutput implements RunOutput {
  readonly description: string;
  private readonly registry = new Registry();
  private server: Server | null = null;
  private url: string | null = null;
  private tick: RunTick | undefined;
  private readonly faults = new Map<string, FaultRecord>();
  private unlisten: (() => void) | null = null;
  /** Where the scrape config went (once the run started). */
  configFile: string | null = null;

  constructor(
    private readonly run: { readonly metrics: Metrics },
    private readonly at: { host: string; port: number },
  ) {
    this.description = `metrics endpoint on ${at.host}:${at.port}`;
    this.registry.setDefaultLabels({ service: "harness", instance: "harness" });
    this.figures();
  }

  /** Start serving; the URL of GET /metrics. */
  async listen(): Promise<string> {
    const server = createServer(IDLE_QUIET, (req, res) => {
      if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      void this.text().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    server.setTimeout(10_000);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.at.port, this.at.host, () => resolve());
    });
    this.server = server;
    const host = this.at.host.includes(":") ? `[${this.at.host}]` : this.at.host;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}/metrics`;
    return this.url;
  }

  start(events: RunEvents): void {
    const onStart = (s: RunStart) => this.writeConfig(s);
    const onTick = (t: RunTick) => (this.tick = t);
    const onFault = (f: FaultRecord) => this.faults.set(f.id, f);
    events.on("start", onStart);
    events.on("tick", onTick);
    events.on("fault", onFault);
    this.unlisten = () => {
      events.off("start", onStart);
      events.off("tick", onTick);
      events.off("fault", onFault);
    };
  }

  async stop(): Promise<void> {
    this.unlisten?.();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }

  private writeConfig(start: RunStart): void {
    this.configFile = join(start.runDir, "prometheus.yml");
    writeFileSync(this.configFile, scrapeConfig(start.endpoints?.metrics ?? [], this.url ?? undefined));
  }

  private async text(): Promise<string> {
    return (await this.registry.metrics()) + this.latencyText();
  }

  /** The counters and gauges, read from the last tick and the fault records at scrape time. */
  private figures(): void {
    const registers = [this.registry];
    const me = this;
    const gauge = (name: string, help: string, read: (t: RunTick) => number) =>
      new Gauge({ name, help, registers, collect() { if (me.tick) this.set(read(me.tick)); } });
    gauge("harness_offered_rate_per_second", "Orders per second the scenario's current phase offers (the open model's arrival rate)", (t) => t.targetRate);
    gauge("harness_achieved_rate_per_second", "Orders accepted (201) in the last complete second", (t) => t.lastSecond.accepted);
    gauge("harness_orders_in_flight", "Orders accepted and not yet completed or cancelled", (t) => t.totals.inFlight);
    new Counter({ name: "harness_requests_sent_total", help: "Order requests sent", registers, collect() { if (me.tick) { this.reset(); this.inc(me.tick.totals.sent); } } });
    new Counter({
      name: "harness_requests_total",
      help: "Order requests by outcome: accepted (201), rejected (a 4xx meant for an invalid order), error (anything else, or no answer)",
      labelNames: ["outcome"],
      registers,
      collect() {
        if (!me.tick) return;
        const { accepted, rejected, errors } = me.tick.totals;
        this.reset();
        this.inc({ outcome: "accepted" }, accepted);
        this.inc({ outcome: "rejected" }, rejected);
        this.inc({ outcome: "error" }, errors);
      },
    });
    new Counter({
      name: "harness_orders_total",
      help: "The harness's orders that reached each stage, as the event stream told it",
      labelNames: ["stage"],
      registers,
      collect() {
        if (!me.tick) return;
        this.reset();
        for (const [stage, n] of Object.entries(me.tick.totals.stages)) this.inc({ stage }, n);
      },
    });
    gauge("harness_dead_letters", "Messages in the dead-letter stream", (t) => t.deadLetters);
    new Gauge({
      name: "harness_fault_active",
      help: "1 while a fault of this kind is active on this target (a fault without a target: target=\"\")",
      labelNames: ["kind", "target"],
      registers,
      collect() {
        this.reset();
        const active = new Map<string, { kind: string; target: string; on: number }>();
        for (const f of me.faults.values()) {
          if (f.error) continue;
          const key = `${f.kind}\u0000${f.target ?? ""}`;
          const on = f.endedAtMs === null ? 1 : 0;
          active.set(key, { kind: f.kind, target: f.target ?? "", on: Math.max(on, active.get(key)?.on ?? 0) });
        }
        for (const { kind, target, on } of active.values()) this.set({ kind, target }, on);
      },
    });
    new Counter({
      name: "harness_faults_total",
      help: "Faults injected, by kind",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const f of me.faults.values()) if (!f.error) this.inc({ kind: f.kind });
      },
    });
  }

  /** The run's HDR histograms as Prometheus histograms (cumulative buckets in seconds). */
  private latencyText(): string {
    const name = "harness_latency_seconds";
    const lines = [
      `# HELP ${name} Latency from each order's scheduled time: to any answer (accept), to a 201 (accept_201), to its ready and completed events, to the failure of a request that got no answer`,
      `# TYPE ${name} histogram`,
    ];
    const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    for (const [kind, label] of LATENCY_KINDS) {
      const h = this.run.metrics.total[kind];
      const { upToMs, counts } = this.run.metrics.distribution(kind);
      const common = `service="harness",instance="harness",kind="${escape(label)}"`;
      for (const le of LATENCY_BUCKETS_S) {
        const n = counts.reduce((sum, c, i) => (upToMs[i] / 1000 <= le ? sum + c : sum), 0);
        lines.push(`${name}_bucket{${common},le="${le}"} ${n}`);
      }
      lines.push(`${name}_bucket{${common},le="+Inf"} ${h.totalCount}`);
      lines.push(`${name}_sum{${common}} ${h.totalCount === 0 ? 0 : (h.mean * h.totalCount) / 1e6}`);
      lines.push(`${name}_count{${common}} ${h.totalCount}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
