import { describe, expect, it } from "vitest";
import { OrderLedger } from "../../src/sim/telemetry/order-ledger.js";
import { COMPLETED_PATH, pathOf } from "../check/stream.js";

/** Every event of an order along the completed path, at these load offsets. */
function complete(ledger: OrderLedger, number: string, startMs: number): void {
  pathOf(number, COMPLETED_PATH).forEach((e, i) => ledger.event(e, startMs + i * 10));
}

describe("OrderLedger: holds what is open, not every order of the run", () => {
  it("forgets a finished order but keeps counting it; a late 201 or a repeated event does not reopen it", () => {
    const ledger = new OrderLedger();
    ledger.planned("req-ORD_1", 0);
    ledger.accepted("ORD_1", "req-ORD_1", 5);
    expect(ledger.inFlight).toBe(1);
    complete(ledger, "ORD_1", 10);
    expect([ledger.inFlight, ledger.finished, ledger.known]).toEqual([0, 1, 1]);
    expect(ledger.aliveDuring(0, 100).size).toBe(0); // forgotten: no fault needed it
    ledger.accepted("ORD_1", "req-ORD_1", 200); // the 201 came after the order's end
    expect(ledger.event(pathOf("ORD_1", ["completed"])[0], 210)).toEqual({ stage: "completed", sinceScheduledMs: null });
    expect([ledger.inFlight, ledger.finished, ledger.known]).toEqual([0, 1, 1]);
  });

  it("in observe mode an adopted order is told once, and not adopted again by a repeated OrderPlaced after its end", () => {
    const adopted: string[] = [];
    const ledger = new OrderLedger(true, { onAdopt: (_rid, number) => adopted.push(number) });
    complete(ledger, "ORD_1", 0);
    ledger.event(pathOf("ORD_1", ["placed"])[0], 500);
    expect(adopted).toEqual(["ORD_1"]);
    expect(ledger.adopted).toBe(1);
    expect(ledger.inFlight).toBe(0);
  });

  it("tells an open order placed elsewhere (adopted) from one of its own requests, until it ends", () => {
    const ledger = new OrderLedger(true);
    const [placedOwn] = pathOf("ORD_1", ["placed"]);
    ledger.planned("req-ORD_1", 0); // pathOf's request id for ORD_1
    ledger.event(placedOwn, 5);
    const [placedElsewhere] = pathOf("ORD_2", ["placed"]);
    ledger.event(placedElsewhere, 6);
    expect([ledger.placedElsewhere("ORD_1"), ledger.placedElsewhere("ORD_2"), ledger.placedElsewhere("ORD_3")]).toEqual([false, true, false]);
    for (const e of pathOf("ORD_2", COMPLETED_PATH).slice(1)) ledger.event(e, 20);
    expect(ledger.placedElsewhere("ORD_2")).toBe(false); // ended: forgotten
    expect(ledger.adopted).toBe(1);
  });

  it("keeps a finished order a fault window overlaps, for the orders the fault touched", () => {
    const faults: Array<{ startedAtMs: number; endedAtMs: number | null }> = [];
    const ledger = new OrderLedger(false, { faults: () => faults });
    for (const n of ["ORD_1", "ORD_2", "ORD_3"]) ledger.planned(`req-${n}`, 0);
    ledger.accepted("ORD_1", "req-ORD_1", 0);
    complete(ledger, "ORD_1", 0); // finished at 40, before any fault
    faults.push({ startedAtMs: 100, endedAtMs: null });
    ledger.accepted("ORD_2", "req-ORD_2", 50);
    complete(ledger, "ORD_2", 150); // alive while the fault is on
    faults[0].endedAtMs = 300;
    ledger.accepted("ORD_3", "req-ORD_3", 400);
    complete(ledger, "ORD_3", 400); // created after the fault ended
    expect([...ledger.aliveDuring(100, 300)]).toEqual(["ORD_2"]);
    expect(ledger.finished).toBe(3);
  });
});
