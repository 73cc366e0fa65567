import { describe, expect, it } from "vitest";
import { attributeOrders, type AttributionInput } from "../../src/sim/check/passes/attribution.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { OrderRecord, RequestRecord } from "../../src/sim/check/checker-types.js";
import type { AnyOrderEvent, OrderStatus } from "../../src/services/shared/contracts.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const request = (requestId: string, status: number, opts: { valid?: boolean; orderNumber?: string } = {}): RequestRecord => ({
  requestId,
  intendedValid: opts.valid ?? true,
  status,
  ...(opts.orderNumber ? { orderNumber: opts.orderNumber } : {}),
});
const record = (number: string, request_id: string, status: OrderStatus = "completed"): OrderRecord => ({ instance: "order-1", number, request_id, status });

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}

/** The pass's input from hand-made requests, stream events and records (the stream through the real replay). */
function inputOf(requests: RequestRecord[], events: AnyOrderEvent[], records: OrderRecord[]): AttributionInput {
  return {
    requests,
    requestsById: groupBy(requests, (r) => r.requestId),
    replayed: replayStream(streamOf(events)).orders,
    records,
    recordsByNumber: groupBy(records, (r) => r.number),
  };
}

describe("attribution pass", () => {
  it("tracks each order a valid request made, and links requests to their orders", () => {
    const a = attributeOrders(inputOf([request("r1", 201, { orderNumber: "A" }), request("r2", 503)], [...pathOf("A", COMPLETED_PATH, "r1"), ...pathOf("B", ["placed"], "r2")], [record("A", "r1")]));
    expect([...a.tracked]).toEqual(["A", "B"]);
    expect(a.ordersByRequest).toEqual(new Map([["r1", ["A"]], ["r2", ["B"]]]));
    expect(a.duplicated).toEqual([]);
    expect(a.unexpected).toEqual([]);
    expect(a.lost).toEqual([]);
    expect(a.indeterminate).toBe(0);
  });

  it("finds orders no request made or a deliberately invalid, refused or unsent request made, and does not track them", () => {
    const a = attributeOrders(
      inputOf(
        [request("bad", 400, { valid: false }), request("refused", 422), request("unsent", -1)],
        [...pathOf("A", ["placed"], "nobody"), ...pathOf("B", ["placed"], "bad"), ...pathOf("C", ["placed"], "refused"), ...pathOf("D", ["placed"], "unsent")],
        [record("E", "bad", "received")],
      ),
    );
    expect(a.unexpected.map((f) => [f.orderNumber, f.reason])).toEqual([
      ["A", "no request has the request id nobody"],
      ["B", "made by deliberately invalid request bad"],
      ["C", "made by request refused, which was refused with 422"],
      ["D", "made by request unsent, which was never sent"],
      ["E", "made by deliberately invalid request bad"],
    ]);
    expect(a.unexpected[0].history).toEqual(["received"]);
    expect(a.unexpected[4]).not.toHaveProperty("history");
    expect(a.tracked.size).toBe(0);
  });

  it("finds a request that made two orders, on the stream and in the records", () => {
    const a = attributeOrders(inputOf([request("r1", 201, { orderNumber: "A" })], [...pathOf("A", ["placed"], "r1"), ...pathOf("B", ["placed"], "r1")], [record("C", "r1")]));
    expect(a.duplicated).toEqual([{ requestId: "r1", reason: "request r1 made 3 orders: A, B, C" }]);
  });

  it("finds a 201 naming an order the stream never carried, and one naming another request's order", () => {
    const a = attributeOrders(inputOf([request("r1", 201, { orderNumber: "Z" }), request("r2", 201, { orderNumber: "A" }), request("r3", 201)], pathOf("A", ["placed"], "r3"), []));
    expect(a.unexpected.map((f) => [f.requestId, f.reason])).toEqual([["r1", "a 201 answer named order Z, which never appears on the stream"]]);
    // Issue 13: a 201 naming another request's order is lost for the request that got it.
    expect(a.lost).toEqual([
      { orderNumber: "A", requestId: "r2", reason: "a 201 answer to request r2 named order A, which request r3 made: request r2 was never given an order of its own", history: ["received"] },
    ]);
    // An order a 201 named is owed an ending whatever else is wrong with it.
    expect([...a.tracked]).toEqual(["A", "Z"]);
  });

  it("counts a request without an answer whose order was created as indeterminate", () => {
    const a = attributeOrders(inputOf([request("r1", 0), request("r2", 0)], pathOf("A", ["placed"], "r1"), []));
    expect(a.indeterminate).toBe(1);
    expect([...a.tracked]).toEqual(["A"]);
  });
});
