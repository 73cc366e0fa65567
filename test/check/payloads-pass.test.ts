import { describe, expect, it } from "vitest";
import type { AnyOrderEvent, OrderType } from "../../src/services/shared/contracts.js";
import { checkPayloads } from "../../src/sim/check/passes/payloads.js";
import { checkRequests } from "../../src/sim/check/passes/requests.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { RequestRecord } from "../../src/sim/check/checker-types.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

/** The body the helper's OrderPlaced (takeout, one Margherita at 12.99, customer Jane) was made from. */
const BODY = JSON.stringify({ customer_name: "Jane", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }] });
const request = (body = BODY): RequestRecord => ({ requestId: "req-A", intendedValid: true, status: 201, orderNumber: "A", body });
const ROSTER: Array<{ name: string; types: OrderType[] }> = [{ name: "w1", types: ["takeout"] }];

function findings(events: AnyOrderEvent[], requests: RequestRecord[] = [request()], roster = ROSTER) {
  return checkPayloads({ requestsById: checkRequests(requests).byId, replayed: replayStream(streamOf(events)).orders, roster }).map((f) => f.reason);
}

describe("payloads pass", () => {
  it("has nothing to say when every event carries what the request sent and agrees with the order", () => {
    expect(findings(pathOf("A", COMPLETED_PATH))).toEqual([]);
  });

  it("finds an OrderPlaced that differs from the request that made it", () => {
    const other = JSON.stringify({ customer_name: "Joan", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 2, price: 12.99 }] });
    expect(findings(pathOf("A", COMPLETED_PATH), [request(other)])).toEqual([
      'OrderPlaced has customer "Jane", the request sent "Joan"; OrderPlaced has items [["Margherita Pizza",1,12.99]], the request sent [["Margherita Pizza",2,12.99]]',
    ]);
  });

  it("finds a total that is not the sum of the items and a priority that does not follow the total", () => {
    const events = pathOf("A", COMPLETED_PATH);
    const placed = events[0] as AnyOrderEvent & { kind: "placed" };
    events[0] = { ...placed, priority: 5, data: { ...placed.data, total_amount: 25.98 } };
    expect(findings(events, [])).toEqual([
      "OrderPlaced: its total is 25.98 but its items add up to 12.99; OrderPlaced: its priority is 5 but a total of 25.98 has priority 1; " +
        "paid at 2025-01-02T03:04:05.000Z has priority 1, the order has 5; paid at 2025-01-02T03:04:05.000Z has amount 12.99, the order's total is 25.98; " +
        "accepted at 2025-01-02T03:04:05.000Z has priority 1, the order has 5; cooking at 2025-01-02T03:04:05.000Z has priority 1, the order has 5; ready at 2025-01-02T03:04:05.000Z has priority 1, the order has 5; completed at 2025-01-02T03:04:05.000Z has priority 1, the order has 5",
    ]);
  });

  it("finds a later event of another type or amount than its order", () => {
    const events = pathOf("A", COMPLETED_PATH);
    events[1] = { ...(events[1] as AnyOrderEvent & { kind: "paid" }), data: { amount: 25.98, payment_id: "pay_1" } };
    events[5] = { ...events[5], order_type: "delivery" };
    expect(findings(events)).toEqual([
      "paid at 2025-01-02T03:04:05.000Z has amount 25.98, the order's total is 12.99; completed at 2025-01-02T03:04:05.000Z has type delivery, the order is takeout",
    ]);
  });

  it("finds a worker who cooked a type it does not handle; a worker off the roster is not judged", () => {
    expect(findings(pathOf("A", COMPLETED_PATH), [request()], [{ name: "w1", types: ["dine_in"] }])).toEqual([
      "cooking at 2025-01-02T03:04:05.000Z has worker w1 handles dine_in, not takeout; ready at 2025-01-02T03:04:05.000Z has worker w1 handles dine_in, not takeout",
    ]);
    expect(findings(pathOf("A", COMPLETED_PATH), [request()], [])).toEqual([]);
  });
});
