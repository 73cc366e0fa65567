/**
 * The fault and threshold tables are what everything reads: every row is taken by each reader,
 * so adding a row cannot leave one of them behind.
 */
import { describe, expect, it } from "vitest";
import { describeScenario } from "../src/commands/check.js";
import { FAULT_ACTIONS, toxicSpec } from "../src/sim/faults/fault-actions.js";
import { normalizeToxic, TOXIC_TYPES } from "../src/sim/faults/toxics.js";
import { dashboardFaultKeys, FAULT_KIND_ROWS, FAULT_KINDS, NETWORK_FAULTS, type FaultKind, type FaultParam } from "../src/sim/scenario/fault-kinds.js";
import { resolveTarget } from "../src/sim/scenario/fault-targets.js";
import { RUN_MODES } from "../src/sim/scenario/run-mode.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import { THRESHOLDS, type ThresholdUnit } from "../src/sim/scenario/thresholds.js";
import { evaluateThresholds } from "../src/sim/telemetry/report.js";
import { ThresholdWatch } from "../src/sim/telemetry/run-views.js";
import type { LatencySummary, ThresholdLimits } from "../src/sim/telemetry/run-events.js";
import { HELP_LINES } from "../src/tui/components/Help.js";
import { faultGlyph } from "../src/tui/sparkline.js";
import { formatThresholdValue } from "../src/tui/summary.js";
import { LEVEL_RULES, thresholdLevel } from "../src/tui/thresholds.js";
import { runCli } from "./helpers/cli.js";

const SCENARIO = (extra: string) => `name: vocabulary\nseed: 1\nload:\n  - { duration: 10s, rate: 5 }\n${extra}`;

/** A value each param accepts: its smallest one (above its minimum when that is excluded). */
function paramValue(p: FaultParam): string | number {
  const min = (p.min ?? 0) + (p.above ? 1 : 0);
  return p.type === "duration" ? `${min}ms` : min;
}

/** A step for a kind, written from its row alone. */
function stepFor(kind: FaultKind): string {
  const row = FAULT_KIND_ROWS[kind];
  const parts = ["at: 1s", `fault: ${kind}`];
  const { target } = row;
  if (target.need === "required") parts.push(`target: ${target.of === "instance or broker" || target.of === "instance" ? "order/1" : target.of}`);
  if (row.for === "required") parts.push("for: 1s");
  if (row.restartAfter) parts.push("restartAfter: 2s");
  for (const p of row.params) if (p.default === undefined) parts.push(`${p.key}: ${paramValue(p)}`);
  return `{ ${parts.join(", ")} }`;
}

describe("the fault table", () => {
  it("every kind is a step the scenario reader accepts, with the row's defaults", () => {
    for (const kind of FAULT_KINDS) {
      const s = parseScenario(SCENARIO(`chaos:\n  - ${stepFor(kind)}\n`), `${kind}.yaml`);
      const step = s.chaos[0];
      expect(step.kind).toBe(kind);
      for (const p of FAULT_KIND_ROWS[kind].params) if (p.default !== undefined) expect(step.params[p.out], `${kind}.${p.key}`).toBeDefined();
    }
  });

  it("the shorthand kinds, and only those, may be written { at, <kind>: <target> }", () => {
    for (const kind of FAULT_KINDS) {
      const row = FAULT_KIND_ROWS[kind];
      const text = SCENARIO(`chaos:\n  - { at: 1s, ${kind}: broker${row.for === "required" ? ", for: 1s" : ""} }\n`);
      if (row.shorthand) expect(parseScenario(text, "f.yaml").chaos[0].kind).toBe(kind);
      else expect(() => parseScenario(text, "f.yaml")).toThrow(/a chaos step with one of the keys/);
    }
  });

  it("every kind has an action, and one on the broker exactly when its targets include the broker", () => {
    expect(Object.keys(FAULT_ACTIONS).sort()).toEqual([...FAULT_KINDS].sort());
    for (const kind of FAULT_KINDS) {
      expect(typeof FAULT_ACTIONS[kind].instances, kind).toBe("function");
      const { target } = FAULT_KIND_ROWS[kind];
      expect(FAULT_ACTIONS[kind].broker !== undefined, kind).toBe(target.need !== "none" && target.of === "instance or broker");
    }
  });

  it("every network kind maps to a toxic the proxy accepts, from the defaults of a fault injected without params", () => {
    expect([...TOXIC_TYPES]).toEqual(NETWORK_FAULTS.map((k) => FAULT_KIND_ROWS[k].toxic!.type));
    for (const kind of NETWORK_FAULTS) {
      const spec = toxicSpec(kind, {});
      expect(spec.type).toBe(FAULT_KIND_ROWS[kind].toxic!.type);
      expect(() => normalizeToxic(spec), kind).not.toThrow();
    }
  });

  it("every kind has a mark under the sparklines, and every dashboard key a help line", () => {
    for (const kind of FAULT_KINDS) expect(faultGlyph(kind)).toBe(FAULT_KIND_ROWS[kind].dashboard.mark);
    const helpKeys = HELP_LINES.map(([key]) => key);
    for (const key of dashboardFaultKeys()) expect(helpKeys).toContain(key.key);
  });

  it("pizzeria chaos offers every kind, and a flag for every param", async () => {
    const cli = runCli(["chaos", "--help"]);
    expect((await cli.exited).code).toBe(0);
    const help = cli.stdout().replace(/\s+/g, " ");
    expect(help).toContain(`[choices: ${FAULT_KINDS.map((k) => `"${k}"`).join(", ")}]`);
    for (const kind of FAULT_KINDS) {
      for (const p of FAULT_KIND_ROWS[kind].params) expect(help).toContain(`--${p.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
  });
});

describe("the threshold table", () => {
  const LIMIT: Record<ThresholdUnit, { written: string; parsed: number }> = {
    count: { written: "2", parsed: 2 },
    ms: { written: "250ms", parsed: 250 },
    ratio: { written: "0.05", parsed: 0.05 },
    "orders/s": { written: "3", parsed: 3 },
  };
  const latency = (ms: number): LatencySummary => ({ count: 10, p50: ms, p95: ms, p99: ms, max: ms, mean: ms });
  const verdict = { lost: [], duplicated: [], invalid: [], unexpected: [], notifications: { missing: [], duplicated: [] }, rejections: { not4xx: [] } } as never;

  it("every row parses from expect:, is judged in the report, has a colour and is said by check and the summary", () => {
    const expectText = THRESHOLDS.map((t) => `${t.name}: ${LIMIT[t.unit].written}`).join(", ");
    const scenario = parseScenario(SCENARIO(`expect: { ${expectText} }\n`), "f.yaml");
    const limits = scenario.expect as ThresholdLimits;
    const results = evaluateThresholds(limits, { verdict, accept: latency(100), endToEnd: latency(100), errorRate: 0.01, throughput: 10 });
    expect(results.map((r) => r.name)).toEqual(THRESHOLDS.map((t) => t.name));
    const checked = describeScenario(scenario);
    for (const t of THRESHOLDS) {
      expect(limits[t.limitKey as keyof ThresholdLimits], t.name).toBe(LIMIT[t.unit].parsed);
      expect(results.find((r) => r.name === t.name)!.passed, t.name).toBe(true);
      expect(LEVEL_RULES[t.bound], t.name).toBeTypeOf("function");
      expect(thresholdLevel(t, LIMIT[t.unit].parsed * (t.bound === "at most" ? 10 : 0.1), limits), t.name).toBe("bad");
      expect(checked).toContain(t.checkLabel ?? t.name);
      expect(formatThresholdValue(t.name, LIMIT[t.unit].parsed)).not.toBe("–");
    }
  });

  it("the live watch follows every row it is told to, and says so once each way", () => {
    const watched = THRESHOLDS.filter((t) => t.latency?.watch);
    const limits = Object.fromEntries(watched.map((t) => [t.limitKey, 100])) as ThresholdLimits;
    const said: string[] = [];
    const watch = new ThresholdWatch(limits, (level, message) => said.push(`${level} ${message}`));
    watch.update({ accept: latency(500), endToEnd: latency(500) });
    watch.update({ accept: latency(500), endToEnd: latency(500) });
    watch.update({ accept: latency(50), endToEnd: latency(50) });
    expect(said).toHaveLength(2 * watched.length);
    for (const t of watched) {
      expect(said).toContain(`warn ${t.latency!.watch!.label} 500 ms is over its threshold of 100 ms`);
      expect(said).toContain(`info ${t.latency!.watch!.label} 50 ms is back within 100 ms`);
    }
  });
});

describe("the one target resolver", () => {
  const ids = ["order/order-1", "order/order-2", "payment/payment-1", "kitchen/1"];
  it("canonicalises what the reader and Chaos both accept, and says what was expected otherwise", () => {
    expect(resolveTarget("order/2", ids, "instance")).toEqual({ target: "order/order-2" });
    expect(resolveTarget("payment", ids, "payment")).toEqual({ target: "payment/payment-1" });
    expect(resolveTarget("kitchen/1", ids, "instance or broker")).toEqual({ target: "kitchen/1" });
    expect(resolveTarget("broker/leader", ids, "instance or broker")).toEqual({ target: "broker/leader" });
    expect(resolveTarget("broker", ids, "instance")).toEqual({ expected: expect.stringContaining("network faults cannot target the broker") });
    expect(resolveTarget("order", ids, "instance or broker")).toEqual({ expected: "one instance of order, which has 2: order/order-1, order/order-2" });
  });
});

describe("the run mode", () => {
  it("every mode is one a scenario may name", () => {
    for (const mode of RUN_MODES) expect(parseScenario(SCENARIO(`mode: ${mode}\n`), "f.yaml").mode).toBe(mode);
  });
});
