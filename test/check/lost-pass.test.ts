import { describe, expect, it } from "vitest";
import { findLost, findOpenOrders, type LostInput } from "../../src/sim/check/passes/lost.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { OrderRecord, RequestRecord } from "../../src/sim/check/checker-types.js";
import type { AnyOrderEvent, OrderStatus } from "../../src/services/shared/contracts.js";
import { CANCELLED_PATH, COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const record = (number: string, status: OrderStatus, instance = "order-1"): OrderRecord => ({ instance, number, request_id: `req-${number}`, status });

function inputOf(x: { tracked: string[]; events?: AnyOrderEvent[]; records?: OrderRecord[]; requests?: RequestRecord[]; ordersByRequest?: Map<string, string[]>; drained?: boolean; stillFinishing?: boolean }): LostInput {
  const recordsByNumber = new Map<string, OrderRecord[]>();
  for (const r of x.records ?? []) recordsByNumber.set(r.number, [...(recordsByNumber.get(r.number) ?? []), r]);
  return {
    requests: x.requests ?? [],
    ordersByRequest: x.ordersByRequest ?? new Map(),
    tracked: x.tracked,
    replayed: replayStream(streamOf(x.events ?? [])).orders,
    recordsByNumber,
    drained: x.drained ?? true,
    ...(x.stillFinishing !== undefined ? { stillFinishing: x.stillFinishing } : {}),
  };
}

describe("lost pass", () => {
  it("has nothing to say when every tracked order ended on the stream and in its record", () => {
    const lost = findLost(inputOf({ tracked: ["A", "B"], events: [...pathOf("A", COMPLETED_PATH), ...pathOf("B", CANCELLED_PATH)], records: [record("A", "completed"), record("B", "cancelled")] }));
    expect(lost).toEqual([]);
  });

  it("finds a tracked order the stream leaves short of the end", () => {
    const lost = findLost(inputOf({ tracked: ["A"], events: pathOf("A", ["placed", "paid", "accepted", "cooking"]), records: [record("A", "cooking")] }));
    expect(lost).toEqual([
      { orderNumber: "A", requestId: "req-A", reason: "the stream leaves it at cooking; the record at order-1 is still cooking", history: ["received", "paid", "accepted", "cooking"] },
    ]);
  });

  it("finds a tracked order never placed and held by no instance", () => {
    expect(findLost(inputOf({ tracked: ["Z"] }))).toEqual([{ orderNumber: "Z", reason: "never placed on the stream; no order-service instance holds a record of it" }]);
  });

  it("finds a tracked order whose stream ended but whose record did not", () => {
    const lost = findLost(inputOf({ tracked: ["A"], events: pathOf("A", COMPLETED_PATH), records: [record("A", "completed", "order-1"), record("A", "ready", "order-2")] }));
    expect(lost.map((f) => f.reason)).toEqual(["the record at order-2 is still ready"]);
  });

  it("finds a 201 without an order number whose request made no order, before the tracked orders", () => {
    const lost = findLost(
      inputOf({
        tracked: ["Z"],
        requests: [
          { requestId: "r1", intendedValid: true, status: 201 },
          { requestId: "r2", intendedValid: true, status: 201 },
          { requestId: "bad", intendedValid: false, status: 201 },
        ],
        ordersByRequest: new Map([["r2", ["B"]]]),
      }),
    );
    expect(lost.map((f) => f.requestId ?? f.orderNumber)).toEqual(["r1", "Z"]);
    expect(lost[0].reason).toBe("request r1 was accepted (201) but no order with its request id exists");
  });

  it("says so on each lost order when the system did not drain", () => {
    const lost = findLost(inputOf({ tracked: ["A"], events: pathOf("A", ["placed"]), records: [record("A", "received")], drained: false }));
    expect(lost[0].reason).toBe("the stream leaves it at received; the record at order-1 is still received (the system did not drain)");
  });

  it("looks only at tracked orders", () => {
    expect(findLost(inputOf({ tracked: [], events: pathOf("A", ["placed"]), records: [record("A", "received")] }))).toEqual([]);
  });

  describe("slow is not lost (issue 13)", () => {
    const backlog = {
      tracked: ["A", "B", "C", "D", "E"],
      // A paid, its record lagging; B done on the stream, its instance behind; C still in its
      // instance's outbox; D held by nobody; E cancelled by its record while the stream has it accepted.
      events: [...pathOf("A", ["placed", "paid"]), ...pathOf("B", COMPLETED_PATH), ...pathOf("D", ["placed"]), ...pathOf("E", ["placed", "paid", "accepted"])],
      records: [record("A", "received"), record("B", "ready"), record("C", "received"), record("E", "cancelled")],
      drained: false,
    };

    it("calls orders that can still finish unfinished when the drain timed out while orders were still finishing", () => {
      const open = findOpenOrders(inputOf({ ...backlog, stillFinishing: true }));
      expect(open.unfinished.map((f) => f.orderNumber)).toEqual(["A", "B", "C"]);
      expect(open.unfinished[0].reason).toBe("the stream leaves it at paid; the record at order-1 is still received (still on its way when the drain timed out)");
      // What cannot finish stays lost: nobody holds D; E's record and the stream went separate ways.
      expect(open.lost.map((f) => f.orderNumber)).toEqual(["D", "E"]);
      expect(open.lost[0].reason).toMatch(/no order-service instance holds a record of it \(the system did not drain\)$/);
    });

    it("calls them all lost when nothing finished in the drain's last stretch", () => {
      const open = findOpenOrders(inputOf({ ...backlog, stillFinishing: false }));
      expect(open.unfinished).toEqual([]);
      expect(open.lost.map((f) => f.orderNumber)).toEqual(["A", "B", "C", "D", "E"]);
      expect(findLost(inputOf(backlog)).map((f) => f.orderNumber)).toEqual(["A", "B", "C", "D", "E"]);
    });

    it("ignores stillFinishing when the system drained", () => {
      const open = findOpenOrders(inputOf({ ...backlog, drained: true, stillFinishing: true }));
      expect(open.unfinished).toEqual([]);
      expect(open.lost).toHaveLength(5);
    });
  });
});
