import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { CONSUMERS, ORDER_TYPES, subjects } from "../src/services/shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../src/services/shared/menus.js";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { closeServer, createJsonServer, listen, routePattern, sendJson } from "../src/services/shared/http.js";
import { createLogger } from "../src/services/shared/logger.js";
import { bindMetrics, ServiceMetrics } from "../src/services/shared/metrics.js";
import { scratchDir } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { parsePrometheusText, sampleValue, scrape, type Family } from "./helpers/prom-text.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

describe("the strict Prometheus text parser of the tests", () => {
  it("reads families, labels with escapes and histograms", () => {
    const f = parsePrometheusText(
      [
        "# HELP a_total A counter.",
        "# TYPE a_total counter",
        'a_total{x="q\\"uote",y="back\\\\slash"} 3',
        "# TYPE h_seconds histogram",
        'h_seconds_bucket{le="0.1"} 1',
        'h_seconds_bucket{le="+Inf"} 2',
        "h_seconds_sum 0.3",
        "h_seconds_count 2",
        "",
      ].join("\n"),
    );
    expect(sampleValue(f, "a_total", { x: 'q"uote', y: "back\\slash" })).toBe(3);
    expect(sampleValue(f, "h_seconds_count")).toBe(2);
  });

  it("refuses what Prometheus would refuse or our conventions forbid", () => {
    const bad = {
      "no TYPE before a sample": "x 1\n",
      "duplicate series": "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",
      "a family split in two": "# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# TYPE x gauge\n",
      "a bad value": "# TYPE x gauge\nx one\n",
      "a bad label": "# TYPE x gauge\nx{1a=\"v\"} 1\n",
      "buckets not cumulative": '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      "+Inf bucket not the count": '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      "no final newline": "# TYPE x gauge\nx 1",
    };
    for (const [what, text] of Object.entries(bad)) expect(() => parsePrometheusText(text), what).toThrow();
  });
});

describe("routePattern: the route label is the pattern, never the raw path", () => {
  it("names captures by position and keeps alternatives", () => {
    expect(routePattern(/^\/orders\/?$/)).toBe("/orders");
    expect(routePattern(/^\/orders\/([^/]+)\/status\/?$/)).toBe("/orders/:1/status");
    expect(routePattern(/^\/restaurants\/([^/]+)\/orders\/([^/]+)\/(accept|reject)\/?$/)).toBe("/restaurants/:1/orders/:2/(accept|reject)");
  });
});

describe("a new service's HTTP server is measured without being told", () => {
  it("serves GET /metrics and counts its routes when its logger is bound to its metrics (openRuntime binds every service's)", async () => {
    const dir = scratchDir("bound-metrics");
    const { log, close } = createLogger({ service: "order", instance: "new-1", file: join(dir, "new.log") });
    bindMetrics(new ServiceMetrics("order", "new-1"), log);
    const server = createJsonServer([{ method: "GET", path: /^\/reports\/([^/]+)\/?$/, handler: (_req, res) => sendJson(res, 200, {}) }], log);
    const port = await listen(server, 0, "127.0.0.1");
    try {
      expect((await fetch(`http://127.0.0.1:${port}/reports/daily`)).status).toBe(200);
      const families = await scrape(`http://127.0.0.1:${port}/metrics`);
      expect(sampleValue(families, "http_requests_total", { route: "/reports/:1", method: "GET", code: "200", service: "order", instance: "new-1" })).toBe(1);
    } finally {
      await closeServer(server);
      close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("GET /metrics of every service of a running system", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ roster: { payment: { instances: 1, provider: { failureRate: 0, latencyMs: 2 } } } });
  });
  afterAll(() => sys?.close());

  const scrapeAll = async () => {
    const targets = sys.launcher.metricsTargets();
    return new Map(await Promise.all(targets.map(async (t) => [`${t.service}/${t.instance}`, await scrape(t.url)] as const)));
  };
  const sum = (all: Map<string, Map<string, Family>>, prefix: string, name: string, labels: Record<string, string> = {}) =>
    [...all].filter(([id]) => id.startsWith(prefix)).reduce((n, [, f]) => n + sampleValue(f, name, labels), 0);

  it("has a target per instance, each parsing strictly, labelled with its service and instance, with Node's default metrics", async () => {
    const targets = sys.launcher.metricsTargets();
    expect(targets.map((t) => `${t.service}/${t.instance}`).sort()).toEqual(
      ["kitchen/chef_anna", "kitchen/chef_luigi", "kitchen/chef_mario", "notification/notification-1", "notification/notification-2", "order/order-1", "payment/payment-1", "restaurant/restaurant-1", "tracking/tracking-1"].sort(),
    );
    const all = await scrapeAll();
    for (const [id, families] of all) {
      const [service, instance] = id.split("/");
      for (const f of families.values()) for (const s of f.samples) expect(s.labels, `${s.name} of ${id}`).toMatchObject({ service, instance });
      expect(families.get("process_cpu_user_seconds_total")?.type, id).toBe("counter");
      expect(families.get("nodejs_heap_size_used_bytes")?.type, id).toBe("gauge");
      expect(families.get("nodejs_eventloop_lag_seconds")?.type, id).toBe("gauge");
      // prom-client's monitorEventLoopDelay set is left out: it runs a timer while idle.
      expect(families.has("nodejs_eventloop_lag_p99_seconds"), id).toBe(false);
      for (const name of families.keys()) expect(name, id).toMatch(/^[a-z_:][a-z0-9_:]*$/);
      for (const f of families.values()) if (f.type === "counter") expect(f.name, id).toMatch(/_total$/);
    }
    expect(sampleValue(all.get("payment/payment-1")!, "payment_circuit_breaker_state", { state: "closed" })).toBe(1);
    expect(sampleValue(all.get("payment/payment-1")!, "payment_circuit_breaker_state", { state: "open" })).toBe(0);
    expect(all.get("kitchen/chef_anna")!.get("kitchen_stove_busy")?.type).toBe("gauge");
    expect(all.get("order/order-1")!.get("outbox_backlog_messages")?.type).toBe("gauge");
  });

  it("moves its counters as orders flow: HTTP by route pattern, each consumer's handled messages, the kitchens' cooked orders", async () => {
    const before = await scrapeAll();
    const n = 12;
    const numbers: string[] = [];
    for (let i = 0; i < n; i++) {
      const answer = await postOrder(sys.orderUrl, validOrder(i % 2 === 0 ? "dine_in" : "takeout"));
      expect(answer.status).toBe(201);
      numbers.push(answer.body.order_number as string);
    }
    expect((await postOrder(sys.orderUrl, { customer_name: "" })).status).toBe(400);
    expect((await getJson(`${sys.orderUrl}/orders/ORD_NOPE_1`)).status).toBe(404);
    expect((await getJson(`${sys.orderUrl}/no/such/path`)).status).toBe(404);
    for (const number of numbers) {
      await waitFor(async () => (await getJson(`${sys.trackingUrl}/orders/${number}/status`)).body.current_status === "completed", `${number} to complete`);
    }
    // Every service counted its part (the notifications come after tracking's completed: wait for them).
    const after = await waitFor(async () => {
      const all = await scrapeAll();
      const counted = ["notification-1", "notification-2"].map((i) => sum(all, `notification/${i}`, "consumer_messages_handled_total") - sum(before, `notification/${i}`, "consumer_messages_handled_total"));
      return counted.every((c) => c >= n * 6) ? all : null;
    }, "the notification subscriber to count every event");
    const moved = (prefix: string, name: string, labels: Record<string, string> = {}) => sum(after, prefix, name, labels) - sum(before, prefix, name, labels);

    expect(moved("order/", "http_requests_total", { route: "/orders", method: "POST", code: "201" })).toBe(n);
    expect(moved("order/", "http_requests_total", { route: "/orders", method: "POST", code: "400" })).toBe(1);
    expect(moved("order/", "http_requests_total", { route: "/orders/:1", method: "GET", code: "404" })).toBe(1);
    expect(moved("order/", "http_requests_total", { route: "unmatched", method: "GET", code: "404" })).toBe(1);
    expect(moved("order/", "http_request_duration_seconds_count", { route: "/orders", method: "POST", code: "201" })).toBe(n);
    // No series names a raw path.
    for (const s of after.get("order/order-1")!.get("http_requests_total")!.samples) expect(s.labels.route).not.toMatch(/ORD_|no\/such/);

    expect(moved("payment/", "consumer_messages_handled_total", { durable: "payment" })).toBe(n);
    expect(moved("restaurant/", "consumer_messages_handled_total", { durable: "restaurant" })).toBe(n);
    expect(moved("kitchen/", "kitchen_orders_cooked_total")).toBe(n);
    expect(moved("kitchen/", "kitchen_stove_busy_seconds_total")).toBeGreaterThan(0);
    // Tracking and the order service see every event of each order (6 of them: placed to completed).
    expect(moved("tracking/", "consumer_messages_handled_total", { durable: "tracking_tracking-1" })).toBeGreaterThanOrEqual(n * 6);
    expect(moved("order/", "consumer_message_handling_duration_seconds_count", { durable: "order_order-1" })).toBeGreaterThanOrEqual(n);
    expect(moved("payment/", "consumer_messages_dead_lettered_total")).toBe(0);
    // Pending per durable, read from the server at scrape time: all caught up once the notifications are counted.
    expect(sampleValue(after.get("payment/payment-1")!, "consumer_pending_messages", { durable: "payment" })).toBe(0);
    expect(sampleValue(after.get("payment/payment-1")!, "consumer_ack_pending_messages", { durable: "payment" })).toBe(0);
    expect(after.get("kitchen/chef_mario")!.get("consumer_pending_messages")!.samples.map((s) => s.labels.durable).sort()).toEqual(
      ORDER_TYPES.map((type) => CONSUMERS.kitchen(DEFAULT_RESTAURANT_ID, type)).sort(),
    );
    expect(sampleValue(after.get("order/order-1")!, "outbox_backlog_messages")).toBe(0);
  });

  it("counts poison as failed and dead-lettered per durable, and a provider outage's retries", async () => {
    const before = await scrapeAll();
    const nc = await connect({ servers: sys.natsUrl });
    const js = jetstream(nc);
    await js.publish(subjects.orderEvent("placed", DEFAULT_RESTAURANT_ID, "takeout", "order-1"), "{not json", { msgID: "metrics-poison-1" });
    await js.publish(subjects.orderEvent("accepted", DEFAULT_RESTAURANT_ID, "dine_in", "order-1"), "[]", { msgID: "metrics-poison-2" });
    const outage = await nc.request(subjects.control("payment", "payment-1", "provider"), JSON.stringify({ outageMs: 600 }), { timeout: 5_000 });
    expect(outage.json<{ inOutage: boolean }>().inOutage).toBe(true);
    await nc.close();
    const answer = await postOrder(sys.orderUrl, validOrder("takeout"));
    await waitFor(async () => (await getJson(`${sys.trackingUrl}/orders/${answer.body.order_number}/status`)).body.current_status === "completed", "an order to complete after the outage");

    const after = await waitFor(async () => {
      const all = await scrapeAll();
      const letters = (prefix: string) => sum(all, prefix, "consumer_messages_dead_lettered_total") - sum(before, prefix, "consumer_messages_dead_lettered_total");
      return letters("kitchen/") >= 1 && letters("payment/") >= 1 ? all : null;
    }, "the kitchen and payment to dead-letter their poison");
    const moved = (prefix: string, name: string, labels: Record<string, string> = {}) => sum(after, prefix, name, labels) - sum(before, prefix, name, labels);
    const payment = { durable: CONSUMERS.payment };
    expect(moved("payment/", "consumer_messages_dead_lettered_total", payment)).toBe(1);
    expect(moved("payment/", "consumer_messages_failed_total", payment)).toBe(1);
    expect(moved("payment/", "consumer_messages_retried_total", payment)).toBeGreaterThanOrEqual(1);
    expect(moved("payment/", "consumer_messages_handled_total", payment)).toBe(1);
    expect(moved("tracking/", "consumer_messages_dead_lettered_total", { durable: CONSUMERS.tracking("tracking-1") })).toBe(2);
    expect(moved("kitchen/", "consumer_messages_dead_lettered_total", { durable: CONSUMERS.kitchen(DEFAULT_RESTAURANT_ID, "dine_in") })).toBe(1);
    expect(moved("kitchen/", "consumer_messages_failed_total")).toBe(1);
  });

  it("keeps a crashed and restarted worker's metrics at the same URL, in a fresh registry of its own", async () => {
    const id = "kitchen/chef_luigi";
    const url = sys.launcher.get(id)!.metricsUrl!;
    const cooked = sampleValue(await scrape(url), "kitchen_orders_cooked_total");
    await sys.launcher.crashInstance(id);
    await expect(fetch(url)).rejects.toThrow();
    await sys.launcher.startInstance(id);
    expect(sys.launcher.get(id)!.metricsUrl).toBe(url);
    const again = await scrape(url);
    // What it cooked is in its database; the process-wide counters of the new incarnation start at zero.
    expect(sampleValue(again, "kitchen_orders_cooked_total")).toBe(cooked);
    expect(sampleValue(again, "kitchen_stove_busy", { instance: "chef_luigi" })).toBe(0);
  });
});
