import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeScenario } from "../src/commands/check.js";
import { ConfigError } from "../src/services/shared/errors.js";
import { plannedCount } from "../src/sim/load/arrivals.js";
import { loadScenario, parseScenario, ScenarioError, type Scenario } from "../src/sim/scenario/scenario.js";
import { DEFAULT_ROSTER } from "../src/sim/scenario/roster.js";

const SCENARIOS_DIR = fileURLToPath(new URL("../scenarios/", import.meta.url));

/** The format's reference example, as documented. */
const FULL = `
name: lunch-rush
description: optional text
seed: 42
duration: 60s
timeScale: 20
cookTime: 0
heartbeatInterval: 1s
mode: inprocess
load:
  - { duration: 10s, rate: 5 }
  - { duration: 30s, rate: 5, rampTo: 40 }
  - { duration: 20s, rate: 40, arrival: poisson }
orders:
  types: { dine_in: 0.3, takeout: 0.4, delivery: 0.3 }
  items: { min: 1, max: 5 }
  invalid: 0.02
services:
  order: { instances: 1, maxConcurrent: 50 }
  payment: { instances: 1, failureRate: 0.05, latency: 20ms, concurrency: 64 }
  kitchen:
    - { name: chef_mario, types: [dine_in, takeout, delivery], prefetch: 2 }
    - { name: chef_anna, types: [dine_in] }
  tracking: { instances: 1 }
  notification: { instances: 2 }
chaos:
  - { at: 20s, stop: kitchen/chef_mario, restartAfter: 5s }
  - { at: 35s, restart: broker }
expect:
  lost: 0
  duplicated: 0
  acceptP99: 50ms
  endToEndP95: 3s
  errorRate: 0.01
drainTimeout: 60s
`;

const MINIMAL = "name: tiny\nseed: 1\nload:\n  - { duration: 10s, rate: 5 }\n";
const withExtra = (extra: string) => MINIMAL + extra;

function errorOf(text: string, file = "bad.yaml"): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ScenarioError;
    expect(e.file).toBe(file);
    expect(e.message).toBe(`${file}: ${e.path}: expected ${e.expected}, found ${e.found}`);
    return e;
  }
  throw new Error("expected parseScenario to throw");
}

describe("parseScenario: a valid file", () => {
  it("normalises the reference example", () => {
    const s = parseScenario(FULL, "lunch.yaml");
    expect(s.file).toBe("lunch.yaml");
    expect(s.name).toBe("lunch-rush");
    expect(s.description).toBe("optional text");
    expect(s.seed).toBe(42);
    expect(s.durationMs).toBe(60_000);
    expect(s.timeScale).toBe(20);
    expect(s.cookTimeMs).toBe(0);
    expect(s.heartbeatIntervalMs).toBe(1000);
    expect(s.mode).toBe("inprocess");
    expect(s.drainTimeoutMs).toBe(60_000);
    expect(s.load).toEqual([
      { startMs: 0, durationMs: 10_000, rate: 5, rampTo: 5, arrival: "constant" },
      { startMs: 10_000, durationMs: 30_000, rate: 5, rampTo: 40, arrival: "constant" },
      { startMs: 40_000, durationMs: 20_000, rate: 40, rampTo: 40, arrival: "poisson" },
    ]);
    expect(s.orders.types.dine_in).toBeCloseTo(0.3, 12);
    expect(s.orders.types.takeout).toBeCloseTo(0.4, 12);
    expect(s.orders.types.delivery).toBeCloseTo(0.3, 12);
    expect(s.orders.items).toEqual({ min: 1, max: 5 });
    expect(s.orders.invalid).toBe(0.02);
    expect(s.roster).toEqual({
      order: { instances: 1, maxConcurrent: 50 },
      payment: { instances: 1, provider: { seed: 42, failureRate: 0.05, latencyMs: 20 }, concurrency: 64 },
      restaurant: { instances: 1, restaurants: DEFAULT_ROSTER.restaurant.restaurants, seed: 42 },
      kitchen: [
        { name: "chef_mario", orderTypes: ["dine_in", "takeout", "delivery"], prefetch: 2 },
        { name: "chef_anna", orderTypes: ["dine_in"] },
      ],
      tracking: { instances: 1 },
      notification: { instances: 2 },
      customer: { instances: 1 },
      reporting: { instances: 1 },
    });
    expect(s.chaos).toEqual([
      { at: 20_000, kind: "stop", target: "kitchen/chef_mario", restartAfterMs: 5000, params: {}, source: "chaos[0]" },
      { at: 35_000, kind: "restart", target: "broker", params: {}, source: "chaos[1]" },
    ]);
    expect(s.expect).toEqual({ lost: 0, duplicated: 0, acceptP99Ms: 50, endToEndP95Ms: 3000, errorRate: 0.01 });
  });

  it("fills every default from a minimal file", () => {
    const s = parseScenario(MINIMAL, "tiny.yaml");
    expect(s.durationMs).toBe(10_000);
    expect(s.timeScale).toBe(1);
    expect(s.cookTimeMs).toBeUndefined();
    expect(s.heartbeatIntervalMs).toBe(1000);
    expect(s.mode).toBe("inprocess");
    expect(s.drainTimeoutMs).toBe(60_000);
    expect(s.chaos).toEqual([]);
    expect(s.expect).toEqual({ lost: 0, duplicated: 0, invalid: 0 });
    expect(s.orders).toEqual({ types: { dine_in: 1 / 3, takeout: 1 / 3, delivery: 1 / 3 }, items: { min: 1, max: 3 }, invalid: 0 });
    expect(s.roster.order.instances).toBe(DEFAULT_ROSTER.order.instances);
    expect(s.roster.payment.instances).toBe(DEFAULT_ROSTER.payment.instances);
    expect(s.roster.payment.provider?.seed).toBe(1);
    expect(s.roster.kitchen.map((w) => w.name)).toEqual(DEFAULT_ROSTER.kitchen.map((w) => w.name));
    expect(s.roster.kitchen.map((w) => w.orderTypes)).toEqual(DEFAULT_ROSTER.kitchen.map((w) => w.orderTypes));
    expect(s.roster.notification.instances).toBe(DEFAULT_ROSTER.notification.instances);
    // The default roster itself is not shared with (or changed through) a scenario.
    s.roster.kitchen.push({ name: "extra" });
    expect(DEFAULT_ROSTER.kitchen).toHaveLength(3);
  });

  it("refuses a cluster node as a chaos target when the scenario runs one server", () => {
    const bad = () => parseScenario(withExtra("chaos:\n  - { at: 1s, kill: broker/leader }\n"), "x.yaml");
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/x\.yaml: chaos\[0\]\.kill: expected broker \(one server; broker\/leader and broker\/<n> need cluster: 3\), found "broker\/leader"/);
    expect(parseScenario(withExtra("cluster: 3\nchaos:\n  - { at: 1s, kill: broker/3 }\n"), "x.yaml").cluster).toBe(3);
  });

  it("treats a key with no value as absent and leaves missing type weights at 0", () => {
    const s = parseScenario(withExtra("chaos:\norders:\n  types: { takeout: 2, delivery: 2 }\n"), "x.yaml");
    expect(s.chaos).toEqual([]);
    expect(s.orders.types).toEqual({ dine_in: 0, takeout: 0.5, delivery: 0.5 });
  });

  it("resolves chaos targets to their canonical form and sorts steps by time", () => {
    const s = parseScenario(
      withExtra(`cluster: 3
services:
  order: { instances: 2 }
chaos:
  - { at: 9s, stop: order/2, restartAfter: 1s }
  - { at: 1s, kill: payment }
  - { at: 2s, pause: order/order-1, for: 500ms }
  - { at: 3s, fault: latency, target: tracking/1, for: 2s, latency: 100ms }
  - { at: 3s, fault: slicer, target: kitchen/chef_anna, for: 1s, averageSize: 64, sizeVariation: 16, delay: 2ms }
  - { at: 4s, fault: timeout, target: notification/notification-2, for: 1s }
  - { at: 4s, fault: poison }
  - { at: 5s, fault: slow_kitchen, factor: 3, for: 2s }
  - { at: 5s, fault: payment_outage, for: 2s }
  - { at: 6s, pause: broker/leader, for: 1s }
  - { at: 6s, fault: bandwidth, target: payment/payment-1, rate: 64, for: 1s }
`),
      "x.yaml",
    );
    expect(s.chaos.map((c) => [c.source, c.kind, c.target])).toEqual([
      ["chaos[1]", "kill", "payment/payment-1"],
      ["chaos[2]", "pause", "order/order-1"],
      ["chaos[3]", "latency", "tracking/tracking-1"],
      ["chaos[4]", "slicer", "kitchen/chef_anna"],
      ["chaos[5]", "timeout", "notification/notification-2"],
      ["chaos[6]", "poison", null],
      ["chaos[7]", "slow_kitchen", null],
      ["chaos[8]", "payment_outage", null],
      ["chaos[9]", "pause", "broker/leader"],
      ["chaos[10]", "bandwidth", "payment/payment-1"],
      ["chaos[0]", "stop", "order/order-2"],
    ]);
    const by = (src: string) => s.chaos.find((c) => c.source === src)!;
    expect(by("chaos[2]").forMs).toBe(500);
    expect(by("chaos[3]").params).toEqual({ latencyMs: 100, jitterMs: 0 });
    expect(by("chaos[4]").params).toEqual({ averageSize: 64, sizeVariation: 16, delayMs: 2 });
    expect(by("chaos[5]").params).toEqual({ timeoutMs: 0 });
    expect(by("chaos[6]").params).toEqual({ count: 1 });
    expect(by("chaos[7]").params).toEqual({ factor: 3 });
    expect(by("chaos[10]").params).toEqual({ rate: 64 });
    expect(by("chaos[0]").restartAfterMs).toBe(1000);
  });
});

describe("parseScenario: errors", () => {
  it("reports a YAML syntax error with its line and column", () => {
    const e = errorOf("name: t\nseed: 1\nload:\n  - { duration: 10s, rate: 5\n");
    expect(e.path).toBe("(syntax)");
    expect(e.expected).toBe("valid YAML");
    expect(e.found).toMatch(/at line \d+:\d+$/);
    expect(e.line).toBeGreaterThan(0);
    expect(e.message).toMatch(/line \d+:\d+/);
  });

  it("reports a duplicated key as a syntax error", () => {
    const e = errorOf("name: a\nname: b\nseed: 1\nload: []\n");
    expect(e.path).toBe("(syntax)");
    expect(e.found).toMatch(/unique.*line 2:1/);
  });

  it("refuses an unknown top-level key and lists the allowed ones", () => {
    const e = errorOf(withExtra("colour: red\n"));
    expect(e.path).toBe("colour");
    expect(e.expected).toMatch(/^one of the keys name, description, seed, duration, timeScale, .*drainTimeout$/);
    expect(e.found).toBe('unknown key "colour"');
    expect(e.line).toBe(5);
  });

  it("refuses an unknown nested key", () => {
    const e = errorOf(withExtra("orders:\n  items: { min: 1, maxx: 3 }\n"));
    expect(e.path).toBe("orders.items.maxx");
    expect(e.expected).toBe("one of the keys min, max");
    expect(e.found).toBe('unknown key "maxx"');
    const k = errorOf(withExtra("services:\n  kitchen:\n    - { name: a, colour: red }\n"));
    expect(k.path).toBe("services.kitchen[0].colour");
    expect(k.expected).toBe("one of the keys name, types, prefetch");
  });

  it("refuses a value of the wrong type", () => {
    const e = errorOf(withExtra("timeScale: fast\n"));
    expect(e).toMatchObject({ path: "timeScale", expected: "a number above 0", found: '"fast"' });
    const l = errorOf("name: t\nseed: 1\nload: { duration: 10s, rate: 5 }\n");
    expect(l).toMatchObject({ path: "load", expected: "a list of 1 to 1000 load phases", found: '{"duration":"10s","rate":5}' });
    const t = errorOf(withExtra("services:\n  kitchen:\n    - { name: a, types: [dine_in, pizza] }\n"));
    expect(t).toMatchObject({ path: "services.kitchen[0].types[1]", expected: "one of dine_in, takeout, delivery", found: '"pizza"' });
  });

  it("refuses out-of-range values", () => {
    expect(errorOf("name: t\nseed: 1\nload:\n  - { duration: 10s, rate: 5, rampTo: -1 }\n")).toMatchObject({
      path: "load[0].rampTo",
      expected: "a number from 0 to 100000",
      found: "-1",
    });
    expect(errorOf(withExtra("services:\n  order: { instances: 17 }\n"))).toMatchObject({
      path: "services.order.instances",
      expected: "an integer from 1 to 16",
      found: "17",
    });
    expect(errorOf(withExtra("orders:\n  items: { min: 4, max: 2 }\n"))).toMatchObject({ path: "orders.items.max", expected: "an integer from 4 to 20", found: "2" });
    expect(errorOf(withExtra("orders:\n  invalid: 1.5\n"))).toMatchObject({ path: "orders.invalid", expected: "a number from 0 to 1", found: "1.5" });
    expect(errorOf(withExtra("services:\n  payment: { failureRate: 2 }\n"))).toMatchObject({ path: "services.payment.failureRate", found: "2" });
    expect(errorOf(withExtra("timeScale: 0\n"))).toMatchObject({ path: "timeScale", expected: "a number above 0", found: "0" });
    expect(errorOf(withExtra("orders:\n  types: { dine_in: 0, takeout: 0, delivery: 0 }\n"))).toMatchObject({
      path: "orders.types",
      expected: "weights with a sum above 0",
    });
    expect(errorOf("name: has space\nseed: 1\nload:\n  - { duration: 1s, rate: 1 }\n")).toMatchObject({ path: "name", found: '"has space"' });
  });

  it("names a missing required key with found = nothing", () => {
    expect(errorOf("name: t\nload:\n  - { duration: 10s, rate: 5 }\n")).toMatchObject({ path: "seed", expected: "an integer seed", found: "nothing" });
    expect(errorOf("seed: 1\nload:\n  - { duration: 10s, rate: 5 }\n")).toMatchObject({ path: "name", found: "nothing" });
    expect(errorOf("name: t\nseed: 1\n")).toMatchObject({ path: "load", found: "nothing" });
    expect(errorOf("name: t\nseed: 1\nload: []\n")).toMatchObject({ path: "load", expected: "a list of 1 to 1000 load phases", found: "[]" });
    expect(errorOf("name: t\nseed: 1\nload:\n  - { duration: 10s }\n")).toMatchObject({ path: "load[0].rate", found: "nothing" });
    expect(errorOf("")).toMatchObject({ path: "(root)", found: "an empty document" });
  });

  it("refuses a bad duration string", () => {
    expect(errorOf(withExtra("duration: 10 seconds\n"))).toMatchObject({
      path: "duration",
      expected: "a duration such as 500ms, 10s or 2m",
      found: '"10 seconds"',
    });
    expect(errorOf("name: t\nseed: 1\nload:\n  - { duration: 1 hour, rate: 5 }\n")).toMatchObject({ path: "load[0].duration", found: '"1 hour"' });
    // Hours are a unit (a soak is written in them).
    expect(parseScenario("name: t\nseed: 1\nload:\n  - { duration: 1.5h, rate: 5 }\n", "t.yaml").load[0].durationMs).toBe(5_400_000);
    expect(errorOf(withExtra("chaos:\n  - { at: soon, stop: broker }\n"))).toMatchObject({ path: "chaos[0].at", found: '"soon"' });
  });

  it("refuses a chaos target that does not exist, listing the valid ones", () => {
    const e = errorOf(withExtra("chaos:\n  - { at: 1s, stop: kitchen/chef_bob }\n"));
    expect(e.path).toBe("chaos[0].stop");
    expect(e.found).toBe('"kitchen/chef_bob"');
    expect(e.expected).toBe(
      "one of the targets broker, order/order-1, payment/payment-1, restaurant/restaurant-1, kitchen/chef_mario, kitchen/chef_anna, kitchen/chef_luigi, tracking/tracking-1, notification/notification-1, notification/notification-2, customer/customer-1, reporting/reporting-1",
    );
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, stop: order/2 }\n"))).toMatchObject({ path: "chaos[0].stop", found: '"order/2"' });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, fault: latency, target: broker, for: 1s, latency: 5ms }\n")).expected).toMatch(
      /^a service instance \(network faults cannot target the broker\): one of the targets order\/order-1, /,
    );
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, fault: slow_kitchen, target: payment/payment-1, factor: 2 }\n"))).toMatchObject({
      path: "chaos[0].target",
      expected: "one of the targets kitchen/chef_mario, kitchen/chef_anna, kitchen/chef_luigi",
    });
  });

  it("refuses a bare service target when the service has several instances", () => {
    const e = errorOf(withExtra("chaos:\n  - { at: 1s, kill: notification }\n"));
    expect(e).toMatchObject({
      path: "chaos[0].kill",
      expected: "one instance of notification, which has 2: notification/notification-1, notification/notification-2",
      found: '"notification"',
    });
  });

  it("requires `for` on a pause", () => {
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, pause: payment }\n"))).toMatchObject({
      path: "chaos[0].for",
      expected: "a duration (how long the pause lasts)",
      found: "nothing",
    });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, fault: partition, target: order/1 }\n"))).toMatchObject({ path: "chaos[0].for", found: "nothing" });
  });

  it("refuses restartAfter except on stop or kill, and keys a fault does not take", () => {
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, pause: broker, for: 1s, restartAfter: 2s }\n"))).toMatchObject({
      path: "chaos[0].restartAfter",
      expected: "restartAfter only on a stop or kill step",
    });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, stop: broker, for: 2s }\n"))).toMatchObject({
      path: "chaos[0].for",
      expected: "one of the keys at, stop, restartAfter",
    });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, fault: explode, target: broker }\n"))).toMatchObject({ path: "chaos[0].fault", found: '"explode"' });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s }\n"))).toMatchObject({ path: "chaos[0]", found: '{"at":"1s"}' });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, stop: broker, kill: broker }\n"))).toMatchObject({ path: "chaos[0].kill" });
    expect(errorOf(withExtra("chaos:\n  - { at: 1s, fault: slow_kitchen, factor: 1 }\n"))).toMatchObject({ path: "chaos[0].factor", expected: "a number above 1 and at most 1000" });
  });

  it("refuses a chaos step after the end of the run", () => {
    expect(errorOf(withExtra("chaos:\n  - { at: 11s, stop: payment }\n"))).toMatchObject({
      path: "chaos[0].at",
      expected: "a time within the run (at most 10s)",
      found: '"11s"',
    });
  });

  it("refuses duplicate worker names", () => {
    expect(errorOf(withExtra("services:\n  kitchen:\n    - { name: chef_a }\n    - { name: chef_a }\n"))).toMatchObject({
      path: "services.kitchen[1].name",
      expected: "a worker name not used before (chef_a)",
      found: '"chef_a"',
    });
  });

  it("refuses load phases longer than the duration", () => {
    expect(errorOf(withExtra("duration: 5s\n"))).toMatchObject({
      path: "duration",
      expected: "a duration of at least 10s (the sum of the load phases)",
      found: '"5s"',
    });
  });

  it("refuses an order type that no kitchen worker cooks", () => {
    expect(errorOf(withExtra("services:\n  kitchen:\n    - { name: a, types: [dine_in] }\n"))).toMatchObject({
      path: "services.kitchen",
      expected: "a kitchen worker for every order type with a weight above 0 (takeout has none)",
    });
  });

  it("reports the first error in file-independent, fixed order", () => {
    // seed is checked before load and before the unknown nested key further down.
    const e = errorOf("load:\n  - { duration: 10s, rate: x }\nname: t\nseed: -1\n");
    expect(e).toMatchObject({ path: "seed", expected: "an integer from 0 to 9007199254740991", found: "-1" });
  });

  it("turns an unreadable file into a ScenarioError", () => {
    let caught: unknown;
    try {
      loadScenario("/nonexistent/nope.yaml");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScenarioError);
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ file: "/nonexistent/nope.yaml", path: "(file)", expected: "a readable scenario file" });
    expect((caught as ScenarioError).found).toMatch(/ENOENT/);
  });
});

describe("shipped scenarios", () => {
  const files = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"));

  it("include the documented set", () => {
    expect(files.sort()).toEqual(expect.arrayContaining(["broker-restart.yaml", "flaky-payments.yaml", "kitchen-crash.yaml", "lunch-rush.yaml", "smoke.yaml", "specialists.yaml"]));
  });

  it.each(files)("%s loads, starts with a purpose comment and runs 5-60 s", (f) => {
    const file = join(SCENARIOS_DIR, f);
    expect(readFileSync(file, "utf8")).toMatch(/^# \S/);
    const s = loadScenario(file);
    expect(s.name).toBe(f.replace(/\.ya?ml$/, ""));
    expect(s.durationMs).toBeGreaterThanOrEqual(5_000);
    expect(s.durationMs).toBeLessThanOrEqual(60_000);
    expect(plannedCount(s.load)).toBeGreaterThan(0);
  });

  it("smoke finishes its load in under 8 s with fast cooking", () => {
    const s = loadScenario(join(SCENARIOS_DIR, "smoke.yaml"));
    expect(s.durationMs).toBeLessThan(8_000);
    expect(s.cookTimeMs ?? 12_000 / s.timeScale).toBeLessThanOrEqual(200);
  });

  it("kitchen-crash kills with a restart and broker-restart restarts the broker", () => {
    const crash = loadScenario(join(SCENARIOS_DIR, "kitchen-crash.yaml"));
    expect(crash.chaos.some((c) => c.kind === "kill" && c.target?.startsWith("kitchen/") && c.restartAfterMs !== undefined)).toBe(true);
    const broker = loadScenario(join(SCENARIOS_DIR, "broker-restart.yaml"));
    expect(broker.chaos.some((c) => c.kind === "restart" && c.target === "broker")).toBe(true);
  });

  it("specialists have disjoint order types", () => {
    const s = loadScenario(join(SCENARIOS_DIR, "specialists.yaml"));
    const all = s.roster.kitchen.flatMap((w) => w.orderTypes ?? []);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("describeScenario (pizzeria check)", () => {
  it("summarises name, seed, duration, phases, planned count, services, chaos and thresholds", () => {
    const s: Scenario = parseScenario(FULL, "lunch.yaml");
    const text = describeScenario(s);
    expect(text).toContain("scenario lunch-rush (lunch.yaml)");
    expect(text).toContain("seed 42");
    expect(text).toContain("duration 1m");
    expect(text).toMatch(/1\. 0s-10s\s+5\/s\s+constant\s+~50 orders/);
    expect(text).toMatch(/2\. 10s-40s\s+5 -> 40\/s\s+constant\s+~675 orders/);
    expect(text).toMatch(/3\. 40s-1m\s+40\/s\s+poisson\s+~800 orders/);
    expect(text).toContain("planned orders: ~1525");
    expect(text).toContain("payment       x1, failureRate 0.05, latency 20ms, concurrency 64");
    expect(text).toMatch(/chef_mario\s+dine_in, takeout, delivery; prefetch 2/);
    expect(text).toContain("notification  x2");
    expect(text).toMatch(/20s {2}stop kitchen\/chef_mario, restart after 5s/);
    expect(text).toMatch(/35s {2}restart broker/);
    expect(text).toContain("expect: lost <= 0; duplicated <= 0; acceptP99 <= 50ms; endToEndP95 <= 3s; errorRate <= 1%");
  });

  it("says so when there is no chaos and no threshold", () => {
    const text = describeScenario(parseScenario(withExtra("expect: {}\n"), "x.yaml"));
    expect(text).toContain("chaos: none");
    expect(text).toContain("expect: nothing (no thresholds)");
    expect(text).toContain("planned orders: 50");
  });
});

describe("parseScenario: requestTimeout", () => {
  it("reads how long a request may wait for an answer, and leaves the load runner's default when absent", () => {
    expect(parseScenario(withExtra("requestTimeout: 2s\n"), "x.yaml").requestTimeoutMs).toBe(2_000);
    expect(parseScenario(MINIMAL, "x.yaml").requestTimeoutMs).toBeUndefined();
    const e = errorOf(withExtra("requestTimeout: 0ms\n"));
    expect(e.path).toBe("requestTimeout");
  });
});
