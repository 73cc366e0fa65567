import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { diskScenario, expectSlowDiskWindow, runLog } from "./helpers/disk-runs.js";
import { runScenarioText } from "./helpers/scenario-run.js";

const scenario = (chaos: string, extra = "") => diskScenario(chaos, { extra });

const findings = (r: RunReport) => JSON.stringify(r.verdict.findings).slice(0, 2000);

describe("disk faults during load", () => {
  it("disk_full on the order service: 503 storage_full while full, nothing accepted is lost, accepting again after (checker valid)", async () => {
    const report = await runScenarioText("disk-full-order", scenario("  - { at: 2s, fault: disk_full, target: order/1, for: 2s }\n  - { at: 1s, fault: slow_disk, target: payment/1, delay: 50ms, for: 1s }"), { keepDir: true });
    const said = runLog(report.dir);
    rmSync(report.dir, { recursive: true, force: true });
    expect(report.verdict, findings(report)).toMatchObject({ valid: true, lost: 0, duplicated: 0, invalid: 0, unexpected: 0, serverErrors: 0, drained: true });
    const fault = report.faults.find((f) => f.kind === "disk_full")!;
    expect(fault, JSON.stringify(report.faults)).toMatchObject({ target: "order/order-1", endedAtMs: expect.any(Number) });
    expect(fault.error).toBeUndefined();
    // Refused while full: answered 503, never 201 for what could not be stored, and no 500.
    expect(report.errors.byCause.status503).toBeGreaterThan(0);
    expect(report.errors.byCause.status5xx).toBe(0);
    const seconds = report.throughput.perSecond;
    const refusedIn = (from: number, to: number) => seconds.filter((s) => s.t >= from && s.t < to).reduce((n, s) => n + s.errorCauses.status503, 0);
    const acceptedIn = (from: number, to: number) => seconds.filter((s) => s.t >= from && s.t < to).reduce((n, s) => n + s.accepted, 0);
    const [start, end] = [Math.floor(fault.startedAtMs / 1000), Math.ceil(fault.endedAtMs! / 1000)];
    // Every 503 was in flight while the database was held (serverErrors 0 above: each explained by
    // the window, which the checker judges by when it was sent and answered), and some were sent in it.
    expect(refusedIn(start, end + 1)).toBeGreaterThan(0);
    expect(acceptedIn(0, start)).toBeGreaterThan(0);
    expect(acceptedIn(end, 8)).toBeGreaterThan(0); // taking orders again once it may grow
    // Said once that it was full, once that it took writes again (not at every page freed and taken meanwhile).
    expect(said.filter((m) => /^order\/order-1: database \S+order-order-1\.db is full \(SQLITE_FULL/.test(m)), said.join("\n")).toHaveLength(1);
    expect(said.filter((m) => /^order\/order-1: database \S+ takes writes again after/.test(m)), said.join("\n")).toHaveLength(1);
    // Every order that was answered 201 finished.
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
    expect(fault.recovery).toMatchObject({ findings: { lost: 0, duplicated: 0, invalid: 0 } });
    expect(fault.recovery!.touchedOrders).toBeGreaterThan(0);
    // In-process a slow commit waits on a timer, not the thread (slow-disk.test.ts): applied and released beside the full disk.
    expect(report.faults.find((f) => f.kind === "slow_disk"), JSON.stringify(report.faults)).toMatchObject({ target: "payment/payment-1", endedAtMs: expect.any(Number) });
    expect(report.faults.find((f) => f.kind === "slow_disk")!.error).toBeUndefined();
  });

  it("slow_disk on the order service (its own process): every commit in the window waits, which the latency figures and the fault's recovery figures show", async () => {
    const report = await runScenarioText("slow-disk-order", scenario("  - { at: 2s, fault: slow_disk, target: order/1, delay: 150ms, for: 2s }", "mode: processes\n"), { keepDir: true });
    const said = runLog(report.dir);
    rmSync(report.dir, { recursive: true, force: true });
    expect(report.mode).toBe("processes");
    // The service process said it (on its stderr, read by the harness into the run's log), once each way.
    expect(said.filter((m) => /^order\/order-1: slow_disk: every commit of \S+order-order-1\.db takes 150 ms longer$/.test(m)), said.join("\n")).toHaveLength(1);
    expect(said.filter((m) => /^order\/order-1: slow_disk over: /.test(m)), said.join("\n")).toHaveLength(1);
    expect(report.verdict, findings(report)).toMatchObject({ valid: true, lost: 0, duplicated: 0, drained: true });
    const fault = report.faults.find((f) => f.kind === "slow_disk")!;
    expect(fault, JSON.stringify(report.faults)).toMatchObject({ target: "order/order-1", endedAtMs: expect.any(Number) });
    expect(fault.error).toBeUndefined();
    expect(fault.detail).toContain("delayMs=150");
    expectSlowDiskWindow(report, fault, 150);
    expect(fault.recovery!.peakInFlight).toBeGreaterThanOrEqual(fault.inFlightAtStart ?? 0);
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
  });

  it("disk_full on the payment service, a kitchen worker and a notification subscriber at once: nothing lost, charged or printed twice", async () => {
    const chaos = [
      "  - { at: 1500ms, fault: disk_full, target: payment/1, for: 2s }",
      "  - { at: 2s, fault: disk_full, target: kitchen/chef_mario, for: 2500ms }",
      "  - { at: 2500ms, fault: disk_full, target: notification/1, for: 2s }",
    ].join("\n");
    const report = await runScenarioText("disk-full-consumers", scenario(chaos), { keepDir: true });
    const said = runLog(report.dir);
    rmSync(report.dir, { recursive: true, force: true });
    // A line printed inside a batch that was not stored would be printed again when the batch comes back.
    expect(report.verdict, findings(report)).toMatchObject({ valid: true, lost: 0, duplicated: 0, deadLettered: 0, printedDuplicated: 0, chargedTwice: 0, drained: true });
    expect(report.faults.filter((f) => f.kind === "disk_full" && f.endedAtMs !== null && !f.error)).toHaveLength(3);
    expect(said.some((m) => / is full \(SQLITE_FULL/.test(m)), said.join("\n")).toBe(true);
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
  });

  it("disk_full on a consumer (tracking): its messages are held, not acked nor dead-lettered, and applied once it may grow", async () => {
    const report = await runScenarioText("disk-full-tracking", scenario("  - { at: 1500ms, fault: disk_full, target: tracking/1, for: 2500ms }"), { keepDir: true });
    try {
      expect(report.verdict, findings(report)).toMatchObject({ valid: true, lost: 0, duplicated: 0, deadLettered: 0, readModelsStale: 0, drained: true });
      expect(report.deadLetters).toBe(0);
      expect(report.faults.find((f) => f.kind === "disk_full")).toMatchObject({ target: "tracking/tracking-1", endedAtMs: expect.any(Number) });
      // The service said once that its database was full (naming the file), and once that it took writes again.
      const said = runLog(report.dir).filter((m) => m.startsWith("tracking/tracking-1: database "));
      expect(said.filter((m) => /tracking-tracking-1\.db is full \(SQLITE_FULL/.test(m)), said.join("\n")).toHaveLength(1);
      expect(said.filter((m) => /takes writes again after/.test(m)), said.join("\n")).toHaveLength(1);
    } finally {
      rmSync(report.dir, { recursive: true, force: true });
    }
  });
});
