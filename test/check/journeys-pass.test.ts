import { describe, expect, it } from "vitest";
import type { AnyOrderEvent } from "../../src/services/shared/contracts.js";
import type { JourneyRecord } from "../../src/sim/check/checker-types.js";
import { checkJourneys } from "../../src/sim/check/passes/journeys.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { CANCELLED_PATH, COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

/** An order of customer `customer` made by request id `requestId`, along a path. */
function orderOf(number: string, customer: string, requestId: string, path = COMPLETED_PATH): AnyOrderEvent[] {
  const events = pathOf(number, path, requestId);
  const placed = events[0] as AnyOrderEvent & { kind: "placed" };
  events[0] = { ...placed, data: { ...placed.data, customer_id: customer } };
  return events;
}

const FULL = ["received", "paid", "accepted", "cooking", "ready", "completed"];

function journey(id: string, customer: string, over: Partial<JourneyRecord> = {}): JourneyRecord {
  return { id, kind: "hungry", outcome: "completed", customerId: customer, ...over };
}
const checkedOut = (id: string, customer: string, number: string, seen?: string[][], mode: "subscribe" | "poll" = "subscribe"): JourneyRecord =>
  journey(id, customer, { checkout: { requestId: `${customer}:${id}.checkout`, status: 201, orderNumber: number }, ...(seen ? { track: { mode, seen } } : {}) });

function reasons(events: AnyOrderEvent[], journeys: JourneyRecord[], drained = true) {
  const pass = checkJourneys(journeys, replayStream(streamOf(events)).orders, drained);
  return { ordersWrong: pass.ordersWrong.map((f) => f.reason), trackedWrong: pass.trackedWrong.map((f) => f.reason) };
}

describe("journeys pass", () => {
  it("has nothing to say when each checkout made its order, an abandoned cart none, and each tracking saw the statuses in order", () => {
    const events = [...orderOf("A", "c1", "c1:j1.checkout"), ...orderOf("B", "c2", "c2:j2.checkout", CANCELLED_PATH)];
    const journeys = [
      checkedOut("j1", "c1", "A", [FULL.slice(1)]), // subscribed when it was paid already
      checkedOut("j2", "c2", "B", [["received"], ["cancelled"]], "poll"),
      journey("j3", "c3", { outcome: "abandoned" }),
      journey("j4", "c1", { outcome: "abandoned" }), // a returning customer's abandoned cart, beside its earlier order
    ];
    expect(reasons(events, journeys)).toEqual({ ordersWrong: [], trackedWrong: [] });
    // A subscription cut (tracking restarted) and opened again goes on from where the order stands.
    expect(reasons(events.slice(0, 6), [checkedOut("j1", "c1", "A", [["received", "paid"], ["cooking", "ready", "completed"]])])).toEqual({ ordersWrong: [], trackedWrong: [] });
    expect(reasons([], [])).toEqual({ ordersWrong: [], trackedWrong: [] });
  });

  it("finds an order an abandoned cart made, and a checkout without exactly its one order", () => {
    const abandoned = reasons(orderOf("X", "c3", "c3:other"), [journey("j3", "c3", { outcome: "abandoned" })]);
    expect(abandoned.ordersWrong).toEqual([expect.stringMatching(/order X of customer c3 was made by no checkout of its journeys \(request id c3:other\); its journeys without a checkout: j3 abandoned/)]);
    // Judged once drained only: a system still working may be behind.
    expect(reasons(orderOf("X", "c3", "c3:other"), [journey("j3", "c3", { outcome: "abandoned" })], false).ordersWrong).toEqual([]);

    const none = reasons([], [checkedOut("j1", "c1", "A")]);
    expect(none.ordersWrong).toEqual([expect.stringMatching(/journey j1 \(hungry\) checked out order A, but its checkout made no order on the stream/)]);
    const other = reasons(orderOf("B", "c1", "c1:j1.checkout"), [checkedOut("j1", "c1", "A")]);
    expect(other.ordersWrong).toEqual([expect.stringMatching(/checked out order A, but its checkout made B/)]);
    const refused = reasons(orderOf("A", "c1", "c1:j1.checkout"), [journey("j1", "c1", { outcome: "failed", failedStep: "checkout", checkout: { requestId: "c1:j1.checkout", status: 409 } })]);
    expect(refused.ordersWrong).toEqual([expect.stringMatching(/checkout was refused \(HTTP 409\), yet it made A/)]);
    // An unanswered checkout may have made its order (the service finishes it later): one is fine, two are not.
    const unanswered = journey("j1", "c1", { outcome: "failed", failedStep: "checkout", checkout: { requestId: "c1:j1.checkout", status: 0 } });
    expect(reasons(orderOf("A", "c1", "c1:j1.checkout"), [unanswered]).ordersWrong).toEqual([]);
    expect(reasons([...orderOf("A", "c1", "c1:j1.checkout"), ...orderOf("B", "c1", "c1:j1.checkout")], [unanswered]).ordersWrong).toEqual([expect.stringMatching(/went unanswered \(HTTP 0\) and made 2 orders: A, B/)]);
  });

  it("finds a tracked order not seen to finish, a status skipped by a subscription, or seen out of the stream's order", () => {
    const events = orderOf("A", "c1", "c1:j1.checkout");
    const never = reasons(events, [{ ...checkedOut("j1", "c1", "A", [["received", "paid"]]), outcome: "failed", failedStep: "track" }]);
    expect(never.trackedWrong).toEqual([expect.stringMatching(/followed order A by subscription and never saw it finish \(saw received>paid\); the stream has received>paid>accepted>cooking>ready>completed/)]);
    const skipped = reasons(events, [checkedOut("j1", "c1", "A", [["paid", "accepted", "ready", "completed"]])]);
    expect(skipped.trackedWrong).toEqual([expect.stringMatching(/after accepted it saw ready where the stream has cooking/)]);
    // Polling may miss a status between two polls, not see them out of order.
    expect(reasons(events, [checkedOut("j1", "c1", "A", [["received", "cooking", "completed"]], "poll")]).trackedWrong).toEqual([]);
    const backwards = reasons(events, [checkedOut("j1", "c1", "A", [["cooking", "paid", "completed"]], "poll")]);
    expect(backwards.trackedWrong).toEqual([expect.stringMatching(/paid is not in the history after cooking/)]);
    const second = reasons(events, [checkedOut("j1", "c1", "A", [["cooking"], ["paid", "accepted", "cooking", "ready", "completed"]])]);
    expect(second.trackedWrong).toEqual([expect.stringMatching(/paid is not in the history after cooking/)]);
    const ended = reasons(events, [checkedOut("j1", "c1", "A", [["received", "paid", "accepted", "cooking", "ready"]])]);
    expect(ended.trackedWrong).toEqual([expect.stringMatching(/ended at ready; the stream leaves it completed/)]);
    const unknown = reasons(events, [checkedOut("j1", "c1", "A", [["rejected", "cancelled"]])]);
    expect(unknown.trackedWrong).toEqual([expect.stringMatching(/rejected is not in the history/)]);
  });
});
