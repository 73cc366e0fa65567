import { describe, expect, it } from "vitest";
import { STREAMS } from "../src/services/shared/contracts.js";
import { ensureStreams, resolveTopology } from "../src/services/shared/nats.js";
import { idempotencyWindowMs, WINDOW_MARGIN_MS } from "../src/services/shared/idempotency-window.js";
import { parseSize, retentionTopology, runRetention, UP_RETENTION } from "../src/sim/scenario/retention.js";
import { parseScenario, ScenarioError, upScenario } from "../src/sim/scenario/scenario.js";
import { DEFAULT_ROSTER } from "../src/sim/scenario/roster.js";
import { useTestNats } from "./helpers/nats.js";

const MIN = 60_000;

describe("the ORDERS stream's retention, as the broker applies it (real nats-server)", () => {
  const t = useTestNats({ streams: false });

  it("a bounded topology gives ORDERS its age and size limits; the dead letters keep theirs unlimited", async () => {
    await ensureStreams(t.jsm, resolveTopology({ ordersMaxAgeMs: 10 * MIN, ordersMaxBytes: 64 * 1024 ** 2 }));
    const orders = await t.jsm.streams.info(STREAMS.orders);
    expect(orders.config.max_age).toBe(10 * MIN * 1e6);
    expect(orders.config.max_bytes).toBe(64 * 1024 ** 2);
    expect(orders.config.duplicate_window).toBe(5 * MIN * 1e6);
    const dlq = await t.jsm.streams.info(STREAMS.deadLetters);
    expect(dlq.config.max_age).toBe(0);
    expect(dlq.config.max_bytes).toBe(-1);
    // What the services read back as the window past which their idempotency entries go.
    expect(idempotencyWindowMs(orders.config)).toBe(10 * MIN + WINDOW_MARGIN_MS);
  });

  it("a retention shorter than the duplicate window shortens the window (the broker refuses a longer one)", async () => {
    await t.jsm.streams.delete(STREAMS.orders);
    await t.jsm.streams.delete(STREAMS.deadLetters);
    await ensureStreams(t.jsm, resolveTopology({ ordersMaxAgeMs: 2 * MIN }));
    const orders = await t.jsm.streams.info(STREAMS.orders);
    expect(orders.config.max_age).toBe(2 * MIN * 1e6);
    expect(orders.config.duplicate_window).toBe(2 * MIN * 1e6);
    expect(orders.config.max_bytes).toBe(-1);
  });

  it("the default topology (a service on its own) keeps everything", async () => {
    await t.jsm.streams.delete(STREAMS.orders);
    await t.jsm.streams.delete(STREAMS.deadLetters);
    await ensureStreams(t.jsm, resolveTopology(undefined));
    const orders = await t.jsm.streams.info(STREAMS.orders);
    expect(orders.config.max_age).toBe(0);
    expect(orders.config.max_bytes).toBe(-1);
    expect(idempotencyWindowMs(orders.config)).toBeNull();
  });
});

describe("retention settings: the scenario key, up's default, a run's default", () => {
  const base = "name: r\nseed: 1\nload:\n  - { duration: 10s, rate: 5 }\n";

  it("reads `retention: { maxAge, maxBytes }` and carries it to the topology", () => {
    const s = parseScenario(`${base}retention: { maxAge: 20m, maxBytes: 512MiB }\n`, "r.yaml");
    expect(s.retention).toEqual({ maxAgeMs: 20 * MIN, maxBytes: 512 * 1024 ** 2 });
    expect(retentionTopology(s.retention!)).toEqual({ ordersMaxAgeMs: 20 * MIN, ordersMaxBytes: 512 * 1024 ** 2 });
  });

  it("a key left out is the run's default, which covers the run", () => {
    const s = parseScenario(`${base}retention: { maxBytes: 100MB }\n`, "r.yaml");
    expect(s.retention).toEqual({ maxAgeMs: runRetention(s.durationMs, s.drainTimeoutMs).maxAgeMs, maxBytes: 100e6 });
    expect(parseScenario(base, "r.yaml").retention).toBeUndefined();
    const long = runRetention(3 * 60 * MIN, MIN);
    expect(long.maxAgeMs).toBe(2 * (3 * 60 * MIN + MIN));
    expect(runRetention(10_000, 60_000)).toEqual({ maxAgeMs: 60 * MIN, maxBytes: 0 });
  });

  it("a bad size names the key and what was expected", () => {
    let err: unknown;
    try {
      parseScenario(`${base}retention: { maxBytes: lots }\n`, "r.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).path).toBe("retention.maxBytes");
    expect((err as ScenarioError).expected).toMatch(/size such as 512MiB/);
    expect(() => parseScenario(`${base}retention: { keep: 1 }\n`, "r.yaml")).toThrow(/maxAge, maxBytes/);
  });

  it("up is bounded by default", () => {
    const s = upScenario({ timeScale: 1, heartbeatIntervalMs: 5_000, mode: "inprocess", cluster: 1, roster: DEFAULT_ROSTER });
    expect(s.retention).toEqual(UP_RETENTION);
    expect(UP_RETENTION.maxAgeMs).toBeGreaterThan(0);
    expect(UP_RETENTION.maxBytes).toBeGreaterThan(0);
  });

  it("parses sizes as people write them", () => {
    expect(parseSize("1GiB")).toBe(1024 ** 3);
    expect(parseSize("64 KiB")).toBe(65_536);
    expect(parseSize("100MB")).toBe(100e6);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize("0")).toBe(0);
    expect(parseSize("-1")).toBeNull();
    expect(parseSize("big")).toBeNull();
  });
});
