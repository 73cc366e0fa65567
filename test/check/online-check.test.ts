import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Reports } from "../../src/services/reporting/figures.js";
import type { AnyOrderEvent, EventKind } from "../../src/services/shared/contracts.js";
import { check, type CheckInput, type RequestRecord, type StreamRecord, type Verdict } from "../../src/sim/check/checker.js";
import { checkOnline, checkStreamed } from "../../src/sim/check/online-end.js";
import { expectedHistory } from "../../src/sim/check/passes/read-models.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { RunRecorder } from "../../src/sim/telemetry/recorded.js";
import { CANCELLED_PATH, COMPLETED_PATH, REJECTED_PATH, eventOf, pathOf } from "./stream.js";
import { scratchDir } from "../helpers/nats.js";

const body = JSON.stringify({ customer_name: "Jane", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }] });
const number = (i: number) => `ORD_${String(i).padStart(5, "0")}`;
const PATHS: EventKind[][] = [COMPLETED_PATH, COMPLETED_PATH, COMPLETED_PATH, CANCELLED_PATH, REJECTED_PATH];

/**
 * A run of `n` orders, about 20 of them open at any moment (each order's events spread over the
 * stream among the others'), with its requests and every service's account as a clean run has
 * them; `broken` adds a fault of each kind the passes judge across orders or after an order ended.
 */
function run(n: number, broken: boolean): CheckInput {
  const keyed: Array<[number, AnyOrderEvent | null]> = [];
  const requestOf = (i: number) => (broken && i === n - 10 ? `req-${number(10)}` : broken && i === 30 ? "req-nobody" : `req-${number(i)}`);
  for (let i = 0; i < n; i++) pathOf(number(i), PATHS[i % PATHS.length], requestOf(i)).forEach((e, j) => keyed.push([i + j * 4, e]));
  if (broken) {
    keyed.push([n / 2, null]); // poison
    keyed.push([n * 10, eventOf(number(5), "completed")]); // an effect twice, long after the order ended
    keyed.push([n * 10 + 1, eventOf(number(45), "cooking", { from: "completed" })]); // a history that goes on after its end
  }
  keyed.sort((a, b) => a[0] - b[0]);
  const stream: StreamRecord[] = keyed.map(([, event], i) => ({ seq: i + 1, event, subject: event ? `pizzeria.order.${event.kind}.main.takeout.order-1` : "pizzeria.order.placed.main.takeout.order-1" }));
  const replayed = replayStream(stream).orders;
  const requests: RequestRecord[] = [];
  for (let i = 0; i < n; i++) requests.push({ requestId: `req-${number(i)}`, intendedValid: true, status: broken && i === 80 ? 0 : 201, ...(broken && i === 80 ? {} : { orderNumber: broken && i === 21 ? number(20) : number(i) }), body });
  requests.push({ requestId: "bad-1", intendedValid: false, status: 400 });
  const orders = [...replayed.values()].map((st) => ({ instance: "order-1", number: st.number, request_id: st.requestIds[0], status: st.status! }));
  const said = () => [...replayed.values()].flatMap((st) => st.events.filter((e) => e.from !== null && e.to !== null).map((e): [string, string] => [st.number, e.to!]));
  const notifications = { "notification-1": said(), "notification-2": said() };
  const printedOf = (list: Array<[string, string]>) => list.map(([o, to]) => ({ orderNumber: o, to, from: replayed.get(o)!.events.find((e) => e.to === to && e.from !== null)!.from!, by: "test" }));
  const printed: CheckInput["printed"] = { "notification-1": printedOf(notifications["notification-1"]) };
  const trackingOrders = [...replayed.values()].map((st) => ({ number: st.number, status: st.status!, history: expectedHistory(st) }));
  const ready = [...replayed.values()].filter((st) => st.events.some((e) => e.kind === "ready")).length;
  const input: CheckInput = { requests, stream, orders, notifications, printed, readModels: [{ source: "tracking/tracking-1", orders: trackingOrders, workers: [{ name: "w1", ordersCooked: ready }] }], roster: [{ name: "w1", types: ["takeout"] }], drained: true };
  if (!broken) return input;
  orders.find((r) => r.number === number(40))!.status = "received";
  orders.push({ instance: "order-2", number: number(41), request_id: `req-${number(41)}`, status: "completed" }, { instance: "order-1", number: "ORD_GHOST", request_id: "req-ghost", status: "received" });
  requests.push({ requestId: "req-ghost", intendedValid: true, status: 201, orderNumber: "ORD_GHOST" }, { requestId: "bad-2", intendedValid: false, status: 201, orderNumber: "ORD_NOWHERE" });
  notifications["notification-1"] = notifications["notification-1"].filter(([o, s]) => !(o === number(50) && s === "paid"));
  notifications["notification-1"].push(["ORD_STRANGER", "paid"]);
  notifications["notification-2"].push([number(60), "completed"]);
  printed["notification-1"].push({ line: "not a notification" }, { orderNumber: number(61), from: "cooking", to: "ready", by: "someone" });
  const tracking = input.readModels![0];
  tracking.orders = tracking.orders!.filter((o) => o.number !== number(70)).concat([{ number: "ORD_UNKNOWN", status: "received", history: [] }]);
  tracking.orders.find((o) => o.number === number(71))!.history.reverse();
  tracking.workers = [{ name: "w1", ordersCooked: ready - 3 }, { name: "w9", ordersCooked: 1 }];
  input.ledger = [
    { instance: "payment-1", kind: "charge", paymentId: "pay_1", orderNumber: number(0), amount: 12.99, at: "t" },
    { instance: "payment-1", kind: "charge", paymentId: "pay_x", orderNumber: "ORD_UNPLACED", amount: 5, at: "t" },
    { instance: "payment-1", kind: "refund", paymentId: "pay_y", orderNumber: number(4), amount: 1, at: "t" },
  ];
  input.reports = [{ source: "reporting/reporting-1", reports: { restaurants: [], workers: [], daily: [], customers: [] } as unknown as Reports }];
  return input;
}

/** The verdict with each list of findings in one order: the online check lists a kind's findings in the order their orders ended. */
function sorted(v: Verdict): unknown {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) {
      const items = x.map(walk);
      return items.every((i) => typeof i === "object" && i !== null && !Array.isArray(i)) ? items.map((i) => JSON.stringify(i)).sort() : items;
    }
    if (typeof x === "object" && x !== null) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v);
}

describe("the online check (orders judged as they end) gives check()'s verdict", () => {
  for (const broken of [false, true]) {
    it(`${broken ? "a run with a fault of every kind" : "a clean run"}: the same verdict, whatever the batch`, () => {
      const input = run(1_200, broken);
      const today = check(input);
      expect(today.valid).toBe(!broken);
      for (const batch of [1, 7, 500]) expect(sorted(checkOnline(input, batch).verdict)).toEqual(sorted(today));
      if (broken) {
        const v = today;
        // Each fault found, so the comparison covers each kind.
        for (const list of [v.lost, v.duplicated, v.invalid, v.unexpected, v.notifications.missing, v.notifications.duplicated, v.printed.wrong, v.printed.duplicated, v.readModels.stale, v.readModels.wrong, v.payments.chargeWrong, v.payments.chargedUnknown, v.payments.refundUnmatched, v.reports.wrong, v.poisonUnhandled]) {
          expect(list.length).toBeGreaterThan(0);
        }
        expect(v.indeterminate).toBe(1);
      }
    });
  }

  it("holds only the orders still open and one batch, however many orders finished", () => {
    const held: number[] = [];
    for (const n of [1_000, 8_000]) {
      const { verdict, online } = checkOnline(run(n, false), 50);
      expect(verdict.valid).toBe(true);
      expect(verdict.counts.completed + verdict.counts.cancelled).toBe(n);
      expect(online.held).toBe(0);
      held.push(online.maxHeld);
    }
    // About 20 orders open at a time (see run()) and at most 49 ended ones waiting for their batch.
    expect(held[0]).toBeLessThanOrEqual(20 + 50);
    expect(held[1]).toBe(held[0]);
  });
});

describe("the online check from the run's files (RunRecorder)", () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it("reads the stream from disk twice, a message at a time, and gives the verdict of check() on the stream in memory", async () => {
    dir = scratchDir("online-check");
    const recorder = new RunRecorder(dir, (err) => {
      throw err;
    });
    const { stream, ...accounts } = run(600, true);
    for (const r of stream) {
      const data = r.event ? JSON.stringify(r.event) : "{poison";
      recorder.orderEvent({ seq: r.seq, subject: r.subject, data }, r.event ? r : { ...r, event: null }, r.seq);
    }
    const back = await recorder.readForCheck(recorder.streamLength, (m) => {
      throw new Error(m);
    });
    const { verdict, online } = await checkStreamed(accounts, back.stream);
    expect(sorted(verdict)).toEqual(sorted(check({ ...accounts, stream })));
    expect(online.maxHeld).toBeLessThan(600);
    await recorder.end();
  });
});
