/** check() with the read models, printed lines, ledger and request bodies: each kind of finding makes the verdict invalid. */
import { describe, expect, it } from "vitest";
import { check, type CheckInput } from "../../src/sim/check/checker.js";
import { notificationLine } from "../../src/services/notification/index.js";
import { expectedHistory } from "../../src/sim/check/passes/read-models.js";
import { parsePrintedText } from "../../src/sim/check/passes/printed.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const events = pathOf("A", COMPLETED_PATH);
const stream = streamOf(events);
const history = expectedHistory(replayStream(stream).orders.get("A")!);
const LINES = events.filter((e) => e.from !== null).map(notificationLine);
const BODY = JSON.stringify({ customer_name: "Jane", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }] });

function input(): CheckInput {
  return {
    requests: [{ requestId: "req-A", intendedValid: true, status: 201, orderNumber: "A", body: BODY }],
    stream,
    orders: [{ instance: "order-1", number: "A", request_id: "req-A", status: "completed" }],
    notifications: { "notification-1": events.filter((e) => e.from !== null).map((e) => [e.order_number, e.to!]) },
    drained: true,
    readModels: [{ source: "tracking/tracking-1", orders: [{ number: "A", status: "completed", history }], workers: [{ name: "w1", ordersCooked: 1 }] }],
    printed: { "notification-1": parsePrintedText(LINES.join("\n")) },
    ledger: [{ instance: "payment-1", kind: "charge", paymentId: "pay_1", orderNumber: "A", amount: 12.99, at: "t" }],
    roster: [{ name: "w1", types: ["takeout"] }],
  };
}

describe("check() with every input", () => {
  it("is valid when they all agree, and says how much of each it had", () => {
    const v = check(input());
    expect(v.valid).toBe(true);
    expect(v.collected).toEqual({ readModelOrders: 1, printedLines: 5, ledgerEntries: 1, requestBodies: 1 });
  });

  it.each([
    ["a read model that says another status", (x: CheckInput) => (x.readModels![0].orders![0].status = "cooking"), (v: ReturnType<typeof check>) => v.readModels.wrong],
    ["a read model that lacks an order", (x: CheckInput) => (x.readModels![0].orders = []), (v: ReturnType<typeof check>) => v.readModels.stale],
    ["a change recorded but never printed", (x: CheckInput) => (x.printed!["notification-1"] = x.printed!["notification-1"].slice(1)), (v: ReturnType<typeof check>) => v.printed.missing],
    ["a line printed twice", (x: CheckInput) => x.printed!["notification-1"].push(x.printed!["notification-1"][0]), (v: ReturnType<typeof check>) => v.printed.duplicated],
    ["a garbled line", (x: CheckInput) => x.printed!["notification-1"].push({ line: "?" }), (v: ReturnType<typeof check>) => v.printed.wrong],
    ["a second charge", (x: CheckInput) => x.ledger!.push({ ...x.ledger![0], paymentId: "pay_2" }), (v: ReturnType<typeof check>) => v.payments.chargedTwice],
    ["a charge for an order never placed", (x: CheckInput) => x.ledger!.push({ ...x.ledger![0], paymentId: "pay_z", orderNumber: "Z" }), (v: ReturnType<typeof check>) => v.payments.chargedUnknown],
    ["a charge of another amount", (x: CheckInput) => (x.ledger![0].amount = 1), (v: ReturnType<typeof check>) => v.payments.chargeWrong],
    ["a refund without a charge", (x: CheckInput) => x.ledger!.push({ ...x.ledger![0], kind: "refund", paymentId: "pay_q" }), (v: ReturnType<typeof check>) => v.payments.refundUnmatched],
    ["a request that sent something else", (x: CheckInput) => (x.requests[0].body = BODY.replace("Jane", "Joan")), (v: ReturnType<typeof check>) => v.payloadsWrong],
    ["a worker who cooked a type it does not handle", (x: CheckInput) => (x.roster = [{ name: "w1", types: ["dine_in"] }]), (v: ReturnType<typeof check>) => v.payloadsWrong],
  ])("is invalid with %s", (_what, spoil, findingsOf) => {
    const x = input();
    spoil(x);
    const v = check(x);
    expect(findingsOf(v).length).toBeGreaterThan(0);
    expect(v.valid).toBe(false);
  });
});
