import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { FaultRecord, RunReport } from "../../src/sim/telemetry/run-events.js";

/** A steady load with quick cooking, long enough for a disk fault in the middle and a tail after it. */
export function diskScenario(chaos: string, options: { extra?: string; seconds?: number } = {}): string {
  return `cookTime: 40ms
heartbeatInterval: 300ms
${options.extra ?? ""}load:
  - { duration: ${options.seconds ?? 8}s, rate: 25 }
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
  items: { min: 3, max: 5 }
services:
  payment: { failureRate: 0, latency: 2ms }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 30s
chaos:
${chaos}`;
}

/** The messages of a run's log (its timeline's `log` lines). */
export function runLog(dir: string): string[] {
  return readFileSync(join(dir, "timeline.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; data: { message?: string } })
    .filter((e) => e.type === "log")
    .map((e) => e.data.message ?? "");
}

/**
 * A slow_disk window of `delayMs` on the order service, as the figures show it: every order
 * answered inside it waited for its commit's delay (a bound the mechanism sets: no answer there
 * comes sooner, not a threshold on the machine's speed), and its recovery figures are the
 * window's, with no finding among the orders it touched.
 */
export function expectSlowDiskWindow(report: RunReport, fault: FaultRecord, delayMs: number): void {
  const inside = report.throughput.perSecond.filter((s) => s.t * 1000 >= fault.startedAtMs + 200 && (s.t + 1) * 1000 <= fault.endedAtMs! && s.accepted > 0);
  expect(inside.length, JSON.stringify(report.throughput.perSecond)).toBeGreaterThan(0);
  for (const s of inside) expect(s.accept201P99, `second ${s.t}`).toBeGreaterThanOrEqual(delayMs);
  expect(report.latency.accept201.max).toBeGreaterThanOrEqual(delayMs);
  expect(fault.recovery).toMatchObject({ findings: { lost: 0, duplicated: 0, invalid: 0 } });
  expect(fault.recovery!.touchedOrders).toBeGreaterThan(0);
}
