/**
 * Issue 13 end to end: real runs in which something the verdict used to miss happens, and the
 * verdict names it and fails.
 */
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { INVALID_KINDS } from "../src/sim/load/order-generator.js";
import { ScenarioRun } from "../src/sim/run.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import { featuresOf } from "../src/services/shared/server-features.js";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { scratchDir } from "./helpers/nats.js";
import { runScenarioText } from "./helpers/scenario-run.js";

const findings = (report: RunReport) => JSON.stringify(report.verdict.findings).slice(0, 2000);

describe("what a run may not leave unexplained", () => {
  it("deadLettered and poisonUnhandled: a malformed event published mid-run outside a poison fault; and every invalid kind sent once", async () => {
    const dir = scratchDir("run-junk");
    const scenario = parseScenario(
      `name: junk
seed: 5
cookTime: 60ms
heartbeatInterval: 300ms
load:
  - { duration: 3s, rate: 10 }
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
  invalid: 0.02
services:
  payment: { failureRate: 0, latency: 5ms }
drainTimeout: 20s
`,
      "junk.yaml",
    );
    const run = new ScenarioRun({ scenario, runDir: dir });
    let published: Promise<void> | null = null;
    run.on("start", (start) => {
      // Another client of the same broker, not the poison fault: the run did not inject this.
      published = (async () => {
        const nc = await connect({ servers: start.broker.urls });
        await jetstream(nc).publish(subjects.orderEvent("placed", "main", "takeout", "order-1"), "{not json", { msgID: "junk-1" });
        await nc.close();
      })();
    });
    try {
      const report = await run.run();
      await published;
      expect(report.verdict.valid, findings(report)).toBe(false);
      expect(report.verdict.drained).toBe(true);
      expect(report.verdict.poisonUnhandled).toBe(1);
      expect(report.verdict.findings["poisonUnhandled"][0].reason).toMatch(/did not inject/);
      // Every consumer delivered it gave up on it: payment, tracking, reporting, two subscribers, the customers' read model;
      // on 2.9 also order-1 (its origin; VERSION-DEPENDENT: 2.10+ does not deliver it an OrderPlaced, durables.ts).
      const delivered = featuresOf(report.broker.version).filterSubjects
        ? ["customer_customer-1", "notification_notification-1", "notification_notification-2", "payment", "reporting_reporting-1", "tracking_tracking-1"]
        : ["customer_customer-1", "notification_notification-1", "notification_notification-2", "order_order-1", "payment", "reporting_reporting-1", "tracking_tracking-1"];
      expect(report.verdict.deadLettered).toBe(delivered.length);
      expect(report.verdict.findings["deadLettered"].map((f) => f.consumer).sort()).toEqual(delivered);
      expect(report.verdict).toMatchObject({ lost: 0, duplicated: 0, invalid: 0, unexpected: 0, rejectedNot4xx: 0 });
      expect(report.exitCode).toBe(1);
      // 30 requests at 2% would be one invalid request; every kind is sent instead.
      expect(report.orders.rejected).toBe(INVALID_KINDS.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("unfinished, not lost: a flood through one slow kitchen with a short drainTimeout", async () => {
    const report = await runScenarioText(
      "flood",
      `cookTime: 100ms
heartbeatInterval: 300ms
load:
  - { duration: 2s, rate: 100 }
orders:
  types: { takeout: 1 }
services:
  payment: { failureRate: 0, latency: 1ms }
  kitchen:
    - { name: chef_solo, types: [dine_in, takeout, delivery], prefetch: 1 }
drainTimeout: 3s
`,
    );
    expect(report.verdict.drained).toBe(false);
    expect(report.verdict.valid).toBe(false);
    // One cook at a time, 10 a second, was still finishing orders when the drain gave up.
    expect(report.verdict.unfinished, findings(report)).toBeGreaterThan(0);
    expect(report.verdict.lost, findings(report)).toBe(0);
    expect(report.verdict.invalid, findings(report)).toBe(0);
    expect(report.verdict.unfinished).toBe(report.orders.accepted - report.orders.completed - report.orders.cancelled);
    expect(report.verdict.findings["unfinished"][0].reason).toMatch(/still on its way when the drain timed out/);
  });

  it("serverErrors: valid requests answered 503 by an order service past its maxConcurrent", async () => {
    const report = await runScenarioText(
      "overload",
      `cookTime: 10ms
heartbeatInterval: 300ms
load:
  - { duration: 1s, rate: 400, arrival: poisson }
orders:
  types: { takeout: 1 }
services:
  order: { instances: 1, maxConcurrent: 1 }
  payment: { failureRate: 0, latency: 1ms }
drainTimeout: 30s
`,
    );
    expect(report.verdict.serverErrors, findings(report)).toBeGreaterThan(0);
    expect(report.verdict.findings["serverErrors"][0].reason).toBe("valid request was answered 503");
    expect(report.verdict.valid).toBe(false);
    // An answer, not silence: these are not the unknowns of status 0, and nothing was lost.
    expect(report.verdict.lost).toBe(0);
  });

  it("subscribersSilent and orderInstancesSilent: instances that cannot be asked for their account", async () => {
    const report = await runScenarioText(
      "silent",
      `cookTime: 60ms
heartbeatInterval: 300ms
load:
  - { duration: 2s, rate: 10 }
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
services:
  order: { instances: 2 }
  payment: { failureRate: 0, latency: 5ms }
  notification: { instances: 2 }
chaos:
  - { at: 1s, kill: notification/2 }
  - { at: 1s, kill: order/2 }
drainTimeout: 2s
`,
    );
    expect(report.verdict.valid).toBe(false);
    expect(report.verdict.findings["subscribersSilent"].map((f) => f.instance)).toEqual(["notification-2"]);
    expect(report.verdict.findings["orderInstancesSilent"].map((f) => f.instance)).toEqual(["order-2"]);
    // The silent order instance's orders have no record: lost, as before, and now with the reason named.
    expect(report.verdict.lost, findings(report)).toBeGreaterThan(0);
    expect(report.verdict.findings["lost"].some((f) => /no order-service instance holds a record/.test(f.reason))).toBe(true);
  });
});
