/** Issue 13's findings as check() composes them: each fails the verdict on its own. */
import { describe, expect, it } from "vitest";
import { check, type CheckInput, type OrderRecord, type RequestRecord } from "../../src/sim/check/checker.js";
import type { OrderStatus } from "../../src/services/shared/contracts.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const record = (number: string, status: OrderStatus = "completed"): OrderRecord => ({ instance: "order-1", number, request_id: `req-${number}`, status });
const accepted = (number: string): RequestRecord => ({ requestId: `req-${number}`, intendedValid: true, status: 201, orderNumber: number });

/** One completed order A, announced by one subscriber: a valid run to break one thing at a time. */
function cleanRun(): CheckInput {
  return {
    requests: [accepted("A")],
    stream: streamOf(pathOf("A", COMPLETED_PATH)),
    orders: [record("A")],
    notifications: { "notification-1": ["paid", "accepted", "cooking", "ready", "completed"].map((s) => ["A", s] as [string, string]) },
    drained: true,
  };
}

const NEW_KINDS = ["unfinished", "serverErrors", "deadLettered", "poisonUnhandled", "subscribersSilent", "orderInstancesSilent"] as const;

function onlyNew(v: ReturnType<typeof check>, kind: (typeof NEW_KINDS)[number]): void {
  expect(v.valid).toBe(false);
  for (const k of NEW_KINDS) {
    if (k === kind) expect(v[k].length, k).toBeGreaterThan(0);
    else expect(v[k], k).toEqual([]);
  }
}

describe("verdict: what a run may not leave unexplained", () => {
  it("a clean run has none of them and is valid", () => {
    const v = check(cleanRun());
    expect(v.valid).toBe(true);
    for (const k of NEW_KINDS) expect(v[k]).toEqual([]);
  });

  it("serverErrors: a valid request answered 500 fails the verdict, one without an answer does not", () => {
    const run = cleanRun();
    const v = check({ ...run, requests: [...run.requests, { requestId: "r-500", intendedValid: true, status: 500 }, { requestId: "r-0", intendedValid: true, status: 0 }] });
    onlyNew(v, "serverErrors");
    expect(v.serverErrors.map((f) => f.requestId)).toEqual(["r-500"]);
    expect(v.lost).toEqual([]);
  });

  it("deadLettered: a dead letter of a real event the run did not inject", () => {
    const v = check({
      ...cleanRun(),
      deadLetters: { injected: [], consumers: [], letters: [{ consumer: "order_order-1", subject: "pizzeria.order.ready.main.takeout.order-1", streamSeq: 4, reason: "failed 20 times", orderNumber: "A" }] },
    });
    onlyNew(v, "deadLettered");
    expect(v.deadLettered[0].orderNumber).toBe("A");
  });

  it("poisonUnhandled: injected poison that a consumer delivered it never dead-lettered", () => {
    const run = cleanRun();
    const subject = "pizzeria.order.placed.main.takeout.poison";
    const v = check({
      ...run,
      stream: [...run.stream, { seq: 6, event: null, subject }],
      deadLetters: { injected: [{ id: "poison-1-0", seq: 6, subject }], consumers: [{ name: "payment", filter: "pizzeria.order.placed.>" }], letters: [] },
    });
    onlyNew(v, "poisonUnhandled");
  });

  it("subscribersSilent and orderInstancesSilent: instances that did not answer; a silent order instance's orders stay lost", () => {
    const quiet = check({ ...cleanRun(), notifications: {}, silent: [{ service: "notification", instance: "notification-1", error: "TIMEOUT" }] });
    onlyNew(quiet, "subscribersSilent");
    const run = cleanRun();
    const blind = check({ ...run, orders: [], silent: [{ service: "order", instance: "order-1", error: "TIMEOUT" }] });
    onlyNew(blind, "orderInstancesSilent");
    expect(blind.lost.map((f) => f.orderNumber)).toEqual(["A"]);
  });

  it("unfinished: an order still on its way when the drain timed out while orders were finishing, lost when they were not", () => {
    const run = cleanRun();
    const backlog: CheckInput = {
      ...run,
      requests: [...run.requests, accepted("B")],
      stream: streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", ["placed", "paid"])]),
      orders: [record("A"), record("B", "received")],
      notifications: { "notification-1": [...run.notifications["notification-1"], ["B", "paid"]] },
      drained: false,
    };
    const slow = check({ ...backlog, stillFinishing: true });
    onlyNew(slow, "unfinished");
    expect(slow.unfinished.map((f) => f.orderNumber)).toEqual(["B"]);
    expect(slow.lost).toEqual([]);
    // The record lags the stream on the same path: on its way, not in disagreement.
    expect(slow.invalid).toEqual([]);
    const stuck = check({ ...backlog, stillFinishing: false });
    expect(stuck.unfinished).toEqual([]);
    expect(stuck.lost.map((f) => f.orderNumber)).toEqual(["B"]);
    expect(stuck.valid).toBe(false);
  });
});
