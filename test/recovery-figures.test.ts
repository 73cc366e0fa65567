import { describe, expect, it } from "vitest";
import { recoveryOf } from "../src/sim/telemetry/recovery.js";
import type { FaultRecord, SecondSample } from "../src/sim/telemetry/run-events.js";
import { emptyCauseCounts } from "../src/sim/load/error-causes.js";

const second = (t: number, completed: number): SecondSample => ({
  t, placed: 10, paid: 10, cooking: 10, ready: completed, completed, cancelled: 0,
  sent: 10, accepted: 10, rejected: 0, errors: 0, late: 0, errorCauses: emptyCauseCounts(), acceptP99: 1, accept201P99: 1, failedMax: null, endToEndP99: 1,
});

const fault = (startedAtMs: number, endedAtMs: number, inFlightAtStart: number): FaultRecord => ({
  id: "f1", kind: "kill", target: "kitchen/chef_mario", source: "scenario", startedAtMs, endedAtMs, detail: "kill", inFlightAtStart,
});

describe("recovery figures", () => {
  // 10/s finished for 10 s, nothing for 5 s (the fault from 10 s to 15 s), a catch-up burst, then steady again.
  const series = [...Array.from({ length: 10 }, (_, t) => second(t, 10)), ...Array.from({ length: 5 }, (_, i) => second(10 + i, 0)), second(15, 30), second(16, 10), second(17, 10)];
  const backlog = [
    { atMs: 9_000, inFlight: 3 }, { atMs: 11_000, inFlight: 13 }, { atMs: 14_000, inFlight: 43 },
    { atMs: 15_000, inFlight: 50 }, { atMs: 16_000, inFlight: 20 }, { atMs: 17_000, inFlight: 4 },
  ];
  const touched = new Set(["ORD_1", "ORD_2", "ORD_3"]);

  it("measures throughput back within 10% of the rate before the fault, and the backlog drained", () => {
    const r = recoveryOf(fault(10_000, 15_000, 3), {
      series, backlog, touched: () => touched,
      findings: { lost: [{ orderNumber: "ORD_2", reason: "stuck" }, { orderNumber: "ORD_99", reason: "elsewhere" }], duplicated: [], invalid: [] },
    });
    expect(r.baselinePerSecond).toBe(10);
    expect(r.throughputRecoveredAfterMs).toBe(6_000); // second 15 (ends at 16 s) is the first at >= 9/s
    expect(r.backlogDrainedAfterMs).toBe(7_000); // 4 in flight at 17 s: back to 3 plus one second's arrivals
    expect(r.peakInFlight).toBe(50);
    expect(r.touchedOrders).toBe(3);
    expect(r.findings).toEqual({ lost: 1, duplicated: 0, invalid: 0 });
  });

  it("says never (null) when the rate does not come back or there was no rate to come back to", () => {
    const flat = Array.from({ length: 8 }, (_, t) => second(t, t < 5 ? 10 : 2));
    const r = recoveryOf(fault(5_000, 6_000, 0), { series: flat, backlog: [], touched: () => new Set(), findings: { lost: [], duplicated: [], invalid: [] } });
    expect(r.throughputRecoveredAfterMs).toBeNull();
    expect(r.backlogDrainedAfterMs).toBeNull();
    const idle = recoveryOf(fault(1_000, 2_000, 0), { series: [second(0, 0), second(1, 0), second(2, 0)], backlog: [], touched: () => new Set(), findings: { lost: [], duplicated: [], invalid: [] } });
    expect(idle.baselinePerSecond).toBe(0);
    expect(idle.throughputRecoveredAfterMs).toBeNull();
  });
});
