import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start as startKitchen } from "../src/services/kitchen/index.js";
import { DEFAULT_ROSTER } from "../src/sim/scenario/roster.js";
import { InProcessLauncher } from "../src/sim/system/in-process-launcher.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { scratchDir, startTestBroker, type TestBroker } from "./helpers/nats.js";
import { TEST_TOPOLOGY } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

type Line = Record<string, unknown> & { level: string; action: string; service: string };

/** Seed 002's log actions: which service writes each, and what else its line must carry. */
const SEED_ACTIONS: Array<[action: string, service: string, level: string, fields: string[]]> = [
  ["db_connected", "order", "INFO", []],
  ["broker_connected", "order", "INFO", []],
  ["order_received", "order", "INFO", ["order_number", "request_id"]],
  ["order_published", "order", "INFO", ["order_number", "request_id"]],
  ["validation_failed", "order", "INFO", ["request_id"]],
  ["worker_registered", "kitchen", "INFO", []],
  ["worker_registration_failed", "kitchen", "ERROR", ["error"]],
  ["order_processing_started", "kitchen", "INFO", ["order_number", "request_id"]],
  ["order_completed", "kitchen", "INFO", ["order_number", "request_id"]],
  ["heartbeat_sent", "kitchen", "DEBUG", []],
  ["graceful_shutdown", "kitchen", "INFO", []],
  ["request_received", "tracking", "INFO", ["request_id"]],
  ["notification_received", "notification", "INFO", ["order_number", "request_id"]],
];

// A short system with every service's log at DEBUG: one order placed with a request id, looked up
// while it cooks, a bad order, a worker whose name is taken; then a graceful stop. Every line of
// every service's log is read back.
describe("the services' logs follow seed 002's contract", () => {
  let broker: TestBroker;
  let launcher: InProcessLauncher;
  const runDir = scratchDir("logs");
  const lines: Line[] = [];
  let number = "";
  let estimate: { at: string; updated: string } | null = null;

  beforeAll(async () => {
    broker = await startTestBroker();
    launcher = new InProcessLauncher({ nats: { servers: broker.url }, topology: TEST_TOPOLOGY, runDir, cookTimeMs: 1_500, heartbeatIntervalMs: 200, logLevel: "debug" });
    await launcher.startRoster({ ...DEFAULT_ROSTER, kitchen: [{ name: "chef_mario" }], notification: { instances: 1 } });
    const orderUrl = launcher.urls("order")[0];
    const trackingUrl = launcher.urls("tracking")[0];
    const placed = await postOrder(orderUrl, validOrder("takeout"), { "x-request-id": "req-log-1" });
    expect(placed.status).toBe(201);
    number = placed.body.order_number as string;
    const cooking = await waitFor(async () => {
      const s = await getJson(`${trackingUrl}/orders/${number}/status`);
      return s.body.current_status === "cooking" ? s.body : null;
    }, "the order to cook");
    estimate = { at: cooking.estimated_completion, updated: cooking.updated_at };
    expect((await postOrder(orderUrl, validOrder("takeout", { customer_name: "" }), { "x-request-id": "req-log-bad" })).status).toBe(400);
    await expect(startKitchen({ nats: { servers: broker.url }, name: "chef_mario", dbFile: join(runDir, "twin.db"), logFile: join(runDir, "logs", "kitchen-twin.log"), topology: TEST_TOPOLOGY })).rejects.toThrow();
    await waitFor(async () => (await getJson(`${trackingUrl}/orders/${number}/status`)).body.current_status === "completed", "the order to complete");
    await launcher.stopAll();
    for (const file of readdirSync(join(runDir, "logs")).filter((f) => f.endsWith(".log"))) {
      for (const text of readFileSync(join(runDir, "logs", file), "utf8").split("\n")) if (text) lines.push(JSON.parse(text) as Line);
    }
  }, 60_000);
  afterAll(async () => {
    await launcher?.stopAll();
    await broker?.cleanup();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("every line has the seed's fields, its level in upper case and a snake_case action", () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      expect(Object.keys(l), JSON.stringify(l)).toEqual(expect.arrayContaining(["timestamp", "level", "service", "action", "message", "hostname"]));
      expect(["DEBUG", "INFO", "WARN", "ERROR"], JSON.stringify(l)).toContain(l.level);
      expect(l.action, JSON.stringify(l)).toMatch(/^[a-z]+(_[a-z]+)*$/);
      if (l.level === "ERROR" && l.error !== undefined) expect(l.error, JSON.stringify(l)).toMatchObject({ msg: expect.any(String) });
    }
  });

  it.each(SEED_ACTIONS)("%s is written by the %s service at %s with its fields", (action, service, level, fields) => {
    const found = lines.filter((l) => l.action === action && l.service === service);
    expect(found.length, `${action} in the ${service} log`).toBeGreaterThan(0);
    expect(found[0].level).toBe(level);
    for (const f of fields) expect(found.some((l) => l[f] !== undefined), `${action} with ${f}`).toBe(true);
  });

  it("every line about the order carries the request id it was placed with", () => {
    const about = lines.filter((l) => l.order_number === number);
    expect(new Set(about.map((l) => l.service))).toEqual(new Set(["order", "payment", "restaurant", "kitchen", "notification"]));
    for (const l of about) expect(l.request_id, JSON.stringify(l)).toBe("req-log-1");
    expect(lines.find((l) => l.action === "validation_failed")?.request_id).toBe("req-log-bad");
    expect(lines.find((l) => l.action === "request_received" && l.service === "tracking")?.request_id).toEqual(expect.any(String));
  });

  it("tracking estimates completion from the cooking worker's own cook time", () => {
    expect(Date.parse(estimate!.at) - Date.parse(estimate!.updated)).toBe(1_500);
  });
});
