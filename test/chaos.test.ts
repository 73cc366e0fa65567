import { describe, expect, it } from "vitest";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { runScenarioText } from "./helpers/scenario-run.js";

/** A short, steady load with quick cooking: long enough for a fault in the middle. */
const base = (extra: string, load = "  - { duration: 4s, rate: 8 }") => `cookTime: 60ms
heartbeatInterval: 300ms
load:
${load}
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
services:
  payment: { failureRate: 0.05, latency: 5ms }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 30s
${extra}`;

function expectSurvived(report: RunReport, kind: string): void {
  expect(report.verdict, JSON.stringify(report.verdict.findings).slice(0, 2000)).toMatchObject({ valid: true, lost: 0, duplicated: 0, invalid: 0, unexpected: 0, drained: true });
  const fault = report.faults.find((f) => f.kind === kind);
  expect(fault, `a ${kind} fault in ${JSON.stringify(report.faults)}`).toBeDefined();
  expect(fault!.error).toBeUndefined();
  expect(fault!.endedAtMs).not.toBeNull();
  expect(fault!.recovery).toBeDefined();
  expect(report.orders.accepted).toBeGreaterThan(20);
  expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
}

describe("faults injected during load, in-process: the checker finds nothing lost or duplicated", () => {
  it.each([
    ["stop", "chaos:\n  - { at: 1500ms, stop: kitchen/chef_mario, restartAfter: 1s }"],
    ["kill", "chaos:\n  - { at: 1500ms, kill: kitchen/chef_mario, restartAfter: 1s }"],
    ["restart", "chaos:\n  - { at: 1500ms, restart: payment }"],
    ["payment_outage", "chaos:\n  - { at: 1s, fault: payment_outage, for: 1500ms }"],
    ["slow_kitchen", "chaos:\n  - { at: 1s, fault: slow_kitchen, factor: 5, for: 1500ms }"],
  ])("%s", async (kind, chaos) => {
    expectSurvived(await runScenarioText(`chaos-${kind}`, base(chaos)), kind);
  });

  it("poison: malformed events land in the dead-letter stream and nothing else is disturbed", async () => {
    const report = await runScenarioText("chaos-poison", base("chaos:\n  - { at: 1s, fault: poison, count: 2 }"));
    expectSurvived(report, "poison");
    // payment, tracking, reporting, two notification subscribers and the customers' read model each gave up on each of the two.
    expect(report.deadLetters).toBe(12);
    expect(report.deadLetterSamples).toHaveLength(12);
    expect(report.deadLetterSamples!.every((l) => /^poison: body is not JSON/.test(l.reason))).toBe(true);
  });

  it.each([
    ["kill", "chaos:\n  - { at: 1500ms, kill: broker, restartAfter: 1s }"],
    ["stop", "chaos:\n  - { at: 1500ms, stop: broker, restartAfter: 1s }"],
    ["restart", "chaos:\n  - { at: 1500ms, restart: broker }"],
    ["pause", "chaos:\n  - { at: 1500ms, pause: broker, for: 1500ms }"],
  ])("broker %s", async (kind, chaos) => {
    const report = await runScenarioText(`chaos-broker-${kind}`, base(chaos));
    expectSurvived(report, kind);
    expect(report.faults[0].target).toBe("broker");
  });

  it.each([
    ["latency", "target: kitchen/chef_mario, latency: 150ms, jitter: 50ms"],
    ["bandwidth", "target: tracking/1, rate: 2"],
    ["timeout", "target: notification/1, timeout: 0"],
    ["reset_peer", "target: payment/1"],
    ["slicer", "target: kitchen/chef_luigi, averageSize: 16, sizeVariation: 8, delay: 1ms"],
  ])("network %s between one service and NATS", async (kind, params) => {
    expectSurvived(await runScenarioText(`chaos-net-${kind}`, base(`chaos:\n  - { at: 1s, fault: ${kind}, ${params}, for: 1500ms }`)), kind);
  });

  it("a partition of the order service from NATS: orders keep being accepted into its outbox, which catches up", async () => {
    const report = await runScenarioText("chaos-partition", base("chaos:\n  - { at: 1s, fault: partition, target: order/1, for: 2s }"));
    expectSurvived(report, "partition");
    // Orders accepted during the cut all completed once it healed.
    const during = report.throughput.perSecond.slice(1, 3).reduce((n, s) => n + s.accepted, 0);
    expect(during).toBeGreaterThan(8);
    expect(report.faults[0].recovery!.touchedOrders).toBeGreaterThanOrEqual(during);
    expect(report.faults[0].recovery!.findings).toEqual({ lost: 0, duplicated: 0, invalid: 0 });
  });

  it("refuses pausing an in-process service with a clear reason, recorded in the report", async () => {
    const report = await runScenarioText("chaos-refused", base("chaos:\n  - { at: 1s, pause: kitchen/chef_anna, for: 1s }"));
    expect(report.faults[0].error).toMatch(/needs its own process: run with --mode processes/);
    expect(report.verdict.valid).toBe(true);
  });
});
