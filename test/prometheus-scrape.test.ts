import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { scrapeConfig, PrometheusOutput } from "../src/sim/outputs/prometheus.js";
import { ScenarioRun } from "../src/sim/run.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import { freePort } from "../src/sim/system/broker.js";
import { scratchDir } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { parsePrometheusText, sampleValue, scrape } from "./helpers/prom-text.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const PROMETHEUS = process.env.PIZZERIA_PROMETHEUS ?? "prometheus";

/** A real Prometheus (Debian's package), on a free port with storage of its own, scraping every second. */
async function startPrometheus(dir: string, config: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const file = join(dir, "prometheus.yml");
  writeFileSync(file, config);
  const child = spawn(PROMETHEUS, ["--config.file", file, "--storage.tsdb.path", join(dir, "data"), "--web.listen-address", `127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    return (await fetch(`${url}/-/ready`).catch(() => null))?.status === 200;
  }, "prometheus to be ready");
  return {
    url,
    child,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** One instant query over the HTTP API: its vector as [labels, value] pairs. */
async function query(url: string, promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status).toBe("success");
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** The dashboard's queries (grafana/pizzeria.json), with its variables given values Prometheus can run. */
function dashboardQueries(): string[] {
  const dashboard = JSON.parse(readFileSync(new URL("../grafana/pizzeria.json", import.meta.url), "utf8")) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr.replaceAll("$__rate_interval", "1m").replaceAll("$service", ".*").replaceAll("$instance", ".*")));
}

/** The metric names a query reads (identifiers followed by a selector or a range, or a bare one before `==`). */
function metricNames(expr: string): string[] {
  const names = [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\s*(?=\{|\[|\s*==|\s*$)/g)].map((m) => m[1]);
  return names.map((n) => n.replace(/_bucket$/, ""));
}

describe("a real Prometheus scraping a running system", () => {
  let sys: TestSystem;
  let prom: Awaited<ReturnType<typeof startPrometheus>>;
  let dir: string;
  beforeAll(async () => {
    sys = await startTestSystem({ roster: { payment: { instances: 1, provider: { failureRate: 0, latencyMs: 2 } } } });
    dir = scratchDir("prometheus");
    prom = await startPrometheus(dir, scrapeConfig(sys.launcher.metricsTargets(), undefined, 1));
  });
  afterAll(async () => {
    await prom?.stop();
    await sys?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds every instance up and sees the order counters move, queried over /api/v1/query", async () => {
    const targets = sys.launcher.metricsTargets();
    const up = await waitFor(async () => {
      const r = await query(prom.url, "up");
      return r.length === targets.length && r.every((s) => s.value === 1) ? r : null;
    }, "every target to be scraped and up");
    expect(up.map((s) => `${s.metric.service}/${s.metric.instance}`).sort()).toEqual(targets.map((t) => `${t.service}/${t.instance}`).sort());

    const n = 8;
    const numbers: string[] = [];
    for (let i = 0; i < n; i++) numbers.push((await postOrder(sys.orderUrl, validOrder("takeout"))).body.order_number as string);
    for (const number of numbers) {
      await waitFor(async () => (await getJson(`${sys.trackingUrl}/orders/${number}/status`)).body.current_status === "completed", `${number} to complete`);
    }
    const posted = await waitFor(async () => {
      const r = await query(prom.url, 'sum(http_requests_total{service="order",route="/orders",method="POST",code="201"})');
      return r[0]?.value === n ? r : null;
    }, "Prometheus to see the 201s");
    expect(posted[0].value).toBe(n);
    const cooked = await waitFor(async () => {
      const r = await query(prom.url, 'sum(kitchen_orders_cooked_total{service="kitchen"})');
      return r[0]?.value === n ? r : null;
    }, "Prometheus to see every order cooked");
    expect(cooked[0].value).toBe(n);
    const handled = await waitFor(async () => {
      const r = await query(prom.url, 'consumer_messages_handled_total{service="payment",durable="payment"}');
      return r.length === 1 && r[0].value === n ? r : null;
    }, "Prometheus to see every payment handled");
    expect(handled[0].metric.instance).toBe("payment-1");
  });

  it("runs every query of the Grafana dashboard, each reading metrics the services or the harness serve", async () => {
    const served = new Set<string>();
    for (const t of sys.launcher.metricsTargets()) for (const name of (await scrape(t.url)).keys()) served.add(name);
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    for (const expr of queries) {
      await query(prom.url, expr); // a query Prometheus refuses fails here (status error)
      for (const name of metricNames(expr)) if (!name.startsWith("harness_")) expect(served, `${name} in ${expr}`).toContain(name);
    }
  });
});

describe("the harness's own metrics endpoint and the scrape config it writes", () => {
  it("serves offered rate, requests by outcome and latency histograms while a run goes, and writes prometheus.yml naming every instance", async () => {
    const dir = scratchDir("run-harness-metrics");
    try {
      const scenario = parseScenario("name: harness-metrics\nseed: 3\ncookTime: 20ms\nload:\n  - { duration: 3s, rate: 6 }\n", "harness-metrics.yaml");
      const outputs: PrometheusOutput[] = [];
      const run = new ScenarioRun({ scenario, runDir: dir, outputs });
      const endpoint = new PrometheusOutput(run, { host: "127.0.0.1", port: 0 });
      const url = await endpoint.listen();
      outputs.push(endpoint);
      let accepted = false;
      run.on("tick", (t) => (accepted ||= t.totals.accepted > 0));
      let during: ReturnType<typeof parsePrometheusText> | null = null;
      const scraping = waitFor(async () => (accepted ? (during = await scrape(url)) : null), "a scrape during the run", 60_000);
      await run.run();
      await scraping;
      expect(sampleValue(during!, "harness_offered_rate_per_second")).toBe(6);
      expect(sampleValue(during!, "harness_requests_total", { outcome: "accepted" })).toBeGreaterThan(0);
      expect(sampleValue(during!, "harness_latency_seconds_count", { kind: "accept" })).toBeGreaterThan(0);
      expect(during!.get("harness_latency_seconds")?.type).toBe("histogram");
      for (const expr of dashboardQueries()) for (const name of metricNames(expr)) if (name.startsWith("harness_")) expect([...during!.keys()], expr).toContain(name);

      const file = join(dir, "prometheus.yml");
      expect(existsSync(file)).toBe(true);
      const config = parse(readFileSync(file, "utf8")) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels: Record<string, string> }> }> };
      const jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j]));
      const instances = jobs.get("pizzeria")!.static_configs.map((c) => `${c.labels.service}/${c.labels.instance}`);
      expect(instances).toEqual(expect.arrayContaining(["order/order-1", "payment/payment-1", "kitchen/chef_mario", "tracking/tracking-1", "notification/notification-1", "restaurant/restaurant-1"]));
      expect(jobs.get("pizzeria_harness")!.static_configs[0].targets).toEqual([new URL(url).host]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
