import { describe, expect, it } from "vitest";
import { check, type CheckInput, type RequestRecord, type StreamRecord, type OrderRecord, type Verdict } from "../src/sim/check/checker.js";
import type { AnyOrderEvent, EventData, EventKind, OrderStatus, OrderType } from "../src/services/shared/contracts.js";
import { orderEvent } from "../src/services/shared/events.js";
import { AT, CANCELLED_PATH, COMPLETED_PATH, dataFor, NATURAL_FROM } from "./check/stream.js";

// ---------------------------------------------------------------------------------------------
// A small builder of hand-made runs, with the real event envelope
// ---------------------------------------------------------------------------------------------

class Run {
  readonly requests: RequestRecord[] = [];
  readonly stream: StreamRecord[] = [];
  readonly orders: OrderRecord[] = [];
  readonly notifications: Record<string, Array<[string, string]>> = {};
  /** Event ids each subscriber announced, as it dedupes by id. */
  private readonly announced = new Map<string, Set<string>>();
  private seq = 0;
  private n = 0;

  constructor(readonly subscribers: string[] = ["notification-1", "notification-2"]) {
    for (const s of subscribers) {
      this.notifications[s] = [];
      this.announced.set(s, new Set());
    }
  }

  nextNumber(): string {
    this.n++;
    return `ORD_20250102_${String(this.n).padStart(3, "0")}`;
  }

  request(requestId: string, status: number, opts: { valid?: boolean; orderNumber?: string } = {}): RequestRecord {
    const r: RequestRecord = { requestId, intendedValid: opts.valid ?? true, status, ...(opts.orderNumber !== undefined ? { orderNumber: opts.orderNumber } : {}) };
    this.requests.push(r);
    return r;
  }

  /** Put one event on the stream; subscribers announce it (once per event id) unless told not to. */
  emit(number: string, kind: EventKind, opts: { from?: OrderStatus | null; requestId?: string; announce?: boolean; type?: OrderType } = {}): AnyOrderEvent {
    const from = opts.from === undefined ? NATURAL_FROM[kind] : opts.from;
    const type = opts.type ?? "takeout";
    const msg = orderEvent(kind, { order_number: number, order_type: type, priority: 1, restaurant: "main", origin: "order-1" }, from, "test", dataFor(kind, opts.requestId ?? `req-${number}`), AT);
    const event = msg.payload as AnyOrderEvent;
    this.stream.push({ seq: ++this.seq, event, subject: msg.subject });
    if (opts.announce !== false && event.from !== null && event.to !== null) {
      for (const s of this.subscribers) {
        const ids = this.announced.get(s)!;
        if (ids.has(event.id)) continue;
        ids.add(event.id);
        this.notifications[s].push([number, event.to]);
      }
    }
    return event;
  }

  poison(): void {
    this.stream.push({ seq: ++this.seq, event: null, subject: "pizzeria.order.placed.main.takeout.order-1" });
  }

  record(number: string, requestId: string, status: OrderStatus, instance = "order-1"): void {
    this.orders.push({ instance, number, request_id: requestId, status });
  }

  /**
   * A whole accepted order: a 201 request, its events along `path`, and the order-service record
   * at the status the path ends in.
   */
  order(path: EventKind[] = COMPLETED_PATH, opts: { requestId?: string; status?: number; recordStatus?: OrderStatus; withRecord?: boolean } = {}): { number: string; requestId: string } {
    const number = this.nextNumber();
    const requestId = opts.requestId ?? `req-${number}`;
    const status = opts.status ?? 201;
    this.request(requestId, status, status === 201 ? { orderNumber: number } : {});
    let last: OrderStatus = "received";
    for (const kind of path) {
      const e = this.emit(number, kind, { requestId });
      if (e.to) last = e.to;
    }
    if (opts.withRecord !== false) this.record(number, requestId, opts.recordStatus ?? last);
    return { number, requestId };
  }

  input(drained = true): CheckInput {
    return { requests: this.requests, stream: this.stream, orders: this.orders, notifications: this.notifications, drained };
  }

  check(drained = true): Verdict {
    return check(this.input(drained));
  }
}

function reasons(findings: Array<{ reason: string }>): string {
  return findings.map((f) => f.reason).join(" | ");
}

/** Everything except the named categories is empty. */
function onlyFindingsIn(v: Verdict, ...keys: Array<"lost" | "duplicated" | "invalid" | "unexpected" | "missing" | "dupNotes" | "not4xx">): void {
  const all = {
    lost: v.lost,
    duplicated: v.duplicated,
    invalid: v.invalid,
    unexpected: v.unexpected,
    missing: v.notifications.missing,
    dupNotes: v.notifications.duplicated,
    not4xx: v.rejections.not4xx,
  };
  for (const [k, list] of Object.entries(all)) {
    if (keys.includes(k as never)) expect(list.length, `${k} should have findings`).toBeGreaterThan(0);
    else expect(list, `${k} should be empty`).toEqual([]);
  }
}

// ---------------------------------------------------------------------------------------------

describe("check: clean runs", () => {
  it("accepts a run of completed and cancelled orders announced by two subscribers, with correct counts", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    run.order(COMPLETED_PATH);
    run.order(CANCELLED_PATH);
    run.request("bad-1", 400, { valid: false });
    run.request("bad-2", 422, { valid: false });
    const v = run.check();
    expect(v.valid).toBe(true);
    onlyFindingsIn(v);
    expect(v.indeterminate).toBe(0);
    expect(v.rejections.total).toBe(2);
    expect(v.counts).toEqual({ requested: 5, accepted: 3, rejected: 2, completed: 2, cancelled: 1, inFlight: 0, events: 15, poison: 0 });
    // The subscribers announced: 5 changes per completed order, 1 per cancelled one.
    expect(run.notifications["notification-1"]).toHaveLength(11);
  });

  it("is valid for an empty run that drained", () => {
    const v = check({ requests: [], stream: [], orders: [], notifications: {}, drained: true });
    expect(v.valid).toBe(true);
    expect(v.counts.requested).toBe(0);
  });
});

describe("check: lost orders", () => {
  it("finds an accepted order stuck at cooking", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    const { number } = run.order(["placed", "paid", "accepted", "cooking"]);
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "lost");
    expect(v.lost).toHaveLength(1);
    expect(v.lost[0].orderNumber).toBe(number);
    expect(v.lost[0].history).toEqual(["received", "paid", "accepted", "cooking"]);
    expect(v.lost[0].reason).toMatch(/stream leaves it at cooking/);
    expect(v.lost[0].reason).toMatch(/record at order-1 is still cooking/);
    expect(v.counts.inFlight).toBe(1);
  });

  it("finds an accepted order that was never placed on the stream", () => {
    const run = new Run();
    const { number } = run.order([], { recordStatus: "received" });
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.lost.map((f) => f.orderNumber)).toEqual([number]);
    expect(v.lost[0].reason).toMatch(/never placed on the stream/);
    // The 201 named a number the stream never carried.
    expect(v.unexpected.map((f) => f.orderNumber)).toEqual([number]);
    expect(v.unexpected[0].reason).toMatch(/never appears on the stream/);
  });

  it("finds a 201 without an order number whose request made no order", () => {
    const run = new Run();
    run.request("req-x", 201);
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.lost).toHaveLength(1);
    expect(v.lost[0].requestId).toBe("req-x");
  });

  it("finds an order whose stream ended but whose record is not terminal", () => {
    const run = new Run();
    const { number } = run.order(COMPLETED_PATH, { recordStatus: "ready" });
    const v = run.check();
    expect(v.lost.map((f) => f.orderNumber)).toEqual([number]);
    expect(v.lost[0].reason).toMatch(/record at order-1 is still ready/);
    expect(v.invalid.map((f) => f.orderNumber)).toEqual([number]);
  });

  it("fails a run that did not drain, reporting each unfinished order as lost", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    const a = run.order(["placed", "paid"]);
    const b = run.order(["placed"]);
    const v = run.check(false);
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "lost");
    expect(v.lost.map((f) => f.orderNumber).sort()).toEqual([a.number, b.number].sort());
    expect(reasons(v.lost)).toMatch(/did not drain/);
    expect(v.counts.inFlight).toBe(2);
  });

  it("fails a run that did not drain even with nothing unfinished", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    const v = run.check(false);
    expect(v.valid).toBe(false);
    expect(v.lost).toEqual([]);
  });
});

describe("check: duplicates", () => {
  it("finds an order cooked twice", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid", "accepted", "cooking"], { withRecord: false });
    run.emit(number, "cooking", { requestId });
    run.emit(number, "ready", { requestId });
    run.emit(number, "completed", { requestId });
    run.record(number, requestId, "completed");
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "duplicated");
    expect(v.duplicated).toHaveLength(1);
    expect(v.duplicated[0].orderNumber).toBe(number);
    expect(v.duplicated[0].reason).toMatch(/OrderCooking appears 2 times/);
    expect(v.duplicated[0].history).toEqual(["received", "paid", "accepted", "cooking", "cooking", "ready", "completed"]);
  });

  it("finds an order completed twice", () => {
    const run = new Run();
    const { number, requestId } = run.order(COMPLETED_PATH);
    run.emit(number, "completed", { requestId });
    const v = run.check();
    onlyFindingsIn(v, "duplicated");
    expect(v.duplicated[0].reason).toMatch(/OrderCompleted appears 2 times/);
  });

  it("finds two order numbers for one request id on the stream", () => {
    const run = new Run();
    const { requestId } = run.order(COMPLETED_PATH);
    const second = run.nextNumber();
    for (const kind of COMPLETED_PATH) run.emit(second, kind, { requestId });
    run.record(second, requestId, "completed", "order-2");
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "duplicated");
    expect(v.duplicated).toHaveLength(1);
    expect(v.duplicated[0].requestId).toBe(requestId);
    expect(v.duplicated[0].reason).toMatch(/made 2 orders/);
  });

  it("finds two order numbers for one request id in the order records only", () => {
    const run = new Run();
    const { requestId } = run.order(COMPLETED_PATH);
    run.record(run.nextNumber(), requestId, "completed", "order-2");
    const v = run.check();
    expect(v.duplicated.some((f) => f.requestId === requestId && /made 2 orders/.test(f.reason))).toBe(true);
  });

  it("finds one order number held by two order records", () => {
    const run = new Run();
    const { number, requestId } = run.order(COMPLETED_PATH);
    run.record(number, requestId, "completed", "order-2");
    const v = run.check();
    onlyFindingsIn(v, "duplicated");
    expect(v.duplicated).toHaveLength(1);
    expect(v.duplicated[0].orderNumber).toBe(number);
    expect(v.duplicated[0].reason).toMatch(/2 order records/);
  });
});

describe("check: invalid histories", () => {
  it("finds paid -> ready skipping cooking", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid"], { withRecord: false });
    run.emit(number, "ready", { requestId, from: "paid" });
    run.emit(number, "completed", { requestId });
    run.record(number, requestId, "completed");
    const v = run.check();
    onlyFindingsIn(v, "invalid");
    expect(v.invalid).toHaveLength(1);
    expect(v.invalid[0].reason).toMatch(/paid -> ready is not allowed/);
    expect(v.invalid[0].history).toEqual(["received", "paid", "ready", "completed"]);
  });

  it("finds an event whose from is not the previous status", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid"], { withRecord: false });
    run.emit(number, "cooking", { requestId, from: "received" });
    for (const kind of ["ready", "completed"] as const) run.emit(number, kind, { requestId });
    run.record(number, requestId, "completed");
    const v = run.check();
    onlyFindingsIn(v, "invalid");
    expect(v.invalid).toHaveLength(1);
    expect(v.invalid[0].reason).toMatch(/its from is received but the order was paid/);
  });

  it("finds an event after completed", () => {
    const run = new Run();
    const { number, requestId } = run.order(COMPLETED_PATH);
    run.emit(number, "cancelled", { requestId, from: "completed" });
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.invalid.some((f) => f.orderNumber === number && /after the terminal state completed/.test(f.reason))).toBe(true);
    // The order stays completed: nothing is lost and the record agrees.
    expect(v.lost).toEqual([]);
    expect(v.counts.completed).toBe(1);
  });

  it("finds an order both paid and failed", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid"], { withRecord: false });
    run.emit(number, "payment_failed", { requestId, from: "received" });
    for (const kind of ["cooking", "ready", "completed"] as const) run.emit(number, kind, { requestId });
    run.record(number, requestId, "completed");
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.invalid.some((f) => /both OrderPaid and PaymentFailed/.test(f.reason))).toBe(true);
    expect(v.invalid.some((f) => /PaymentFailed from received while the order was paid/.test(f.reason))).toBe(true);
  });

  it("finds an order going backwards from ready to cooking", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid", "accepted", "cooking", "ready"], { withRecord: false });
    run.emit(number, "cooking", { requestId, from: "ready" });
    run.emit(number, "completed", { requestId });
    run.record(number, requestId, "completed");
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.invalid).toHaveLength(1);
    expect(v.invalid[0].reason).toMatch(/goes backwards from ready to cooking/);
    // A second cooking event is also a duplicate effect.
    expect(v.duplicated.map((f) => f.reason)).toEqual([expect.stringMatching(/OrderCooking appears 2 times/)]);
    expect(v.lost).toEqual([]);
  });

  it("finds an order cancelled without a payment failure", () => {
    const run = new Run();
    run.order(["placed", "cancelled"]);
    const v = run.check();
    onlyFindingsIn(v, "invalid");
    expect(v.invalid[0].reason).toMatch(/cancelled without a PaymentFailed/);
    expect(v.counts.cancelled).toBe(1);
  });

  it("finds an order cancelled after it was paid", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid"], { withRecord: false });
    run.emit(number, "cancelled", { requestId, from: "paid" });
    run.record(number, requestId, "cancelled");
    const v = run.check();
    expect(reasons(v.invalid)).toMatch(/paid -> cancelled is not allowed/);
    expect(reasons(v.invalid)).toMatch(/cancelled without a PaymentFailed/);
  });

  it("finds an order record whose status differs from the stream", () => {
    const run = new Run();
    const { number } = run.order(CANCELLED_PATH, { recordStatus: "completed" });
    const v = run.check();
    onlyFindingsIn(v, "invalid");
    expect(v.invalid).toHaveLength(1);
    expect(v.invalid[0].orderNumber).toBe(number);
    expect(v.invalid[0].reason).toMatch(/record at order-1 says completed but the stream ends at cancelled/);
  });

  it("finds a history that does not start with OrderPlaced", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
    const orphan = run.nextNumber();
    run.emit(orphan, "paid", { requestId });
    const v = run.check();
    expect(v.invalid.some((f) => f.orderNumber === orphan && /does not start with OrderPlaced/.test(f.reason))).toBe(true);
    expect(v.invalid.some((f) => f.orderNumber === number)).toBe(false);
  });
});

describe("check: unexpected orders", () => {
  it("finds an order whose request id nobody sent", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    const ghost = run.nextNumber();
    for (const kind of COMPLETED_PATH) run.emit(ghost, kind, { requestId: "nobody" });
    run.record(ghost, "nobody", "completed");
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "unexpected");
    expect(v.unexpected).toHaveLength(1);
    expect(v.unexpected[0]).toMatchObject({ orderNumber: ghost, requestId: "nobody" });
    expect(v.unexpected[0].reason).toMatch(/no request has the request id nobody/);
  });

  it("finds an order made by a deliberately invalid request (refused or not)", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    run.request("bad", 400, { valid: false });
    const n = run.nextNumber();
    for (const kind of CANCELLED_PATH) run.emit(n, kind, { requestId: "bad" });
    run.record(n, "bad", "cancelled");
    const v = run.check();
    onlyFindingsIn(v, "unexpected");
    expect(v.unexpected[0].reason).toMatch(/deliberately invalid request bad/);
  });

  it("finds an order that exists only in a record, made by an invalid request", () => {
    const run = new Run();
    run.request("bad", 400, { valid: false });
    run.record(run.nextNumber(), "bad", "received");
    const v = run.check();
    onlyFindingsIn(v, "unexpected");
    expect(v.lost).toEqual([]);
  });

  it("finds a 201 whose order number never appears on the stream", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    run.request("r-phantom", 201, { orderNumber: "ORD_20250102_999" });
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.unexpected).toHaveLength(1);
    expect(v.unexpected[0]).toMatchObject({ orderNumber: "ORD_20250102_999", requestId: "r-phantom" });
    expect(v.lost.map((f) => f.orderNumber)).toEqual(["ORD_20250102_999"]);
  });

  it("finds a 201 that named another request's order", () => {
    const run = new Run();
    const { number } = run.order(COMPLETED_PATH);
    run.request("r-other", 201, { orderNumber: number });
    const v = run.check();
    // Issue 13: lost for the request that got it (it never learnt an order of its own), not unexpected.
    expect(reasons(v.lost)).toMatch(/named order .* which request req-.* made/);
    expect(v.lost.map((f) => f.requestId)).toEqual(["r-other"]);
    expect(v.unexpected).toEqual([]);
    expect(v.valid).toBe(false);
  });
});

describe("check: notifications", () => {
  it("finds a status change one subscriber never announced", () => {
    const run = new Run();
    const { number } = run.order(COMPLETED_PATH);
    run.order(CANCELLED_PATH);
    const list = run.notifications["notification-2"];
    list.splice(list.findIndex(([n, s]) => n === number && s === "cooking"), 1);
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "missing");
    expect(v.notifications.missing).toEqual([
      { orderNumber: number, subscriber: "notification-2", reason: "notification-2 never announced cooking", history: ["paid", "accepted", "ready", "completed"] },
    ]);
  });

  it("finds a subscriber that announced nothing for an order", () => {
    const run = new Run();
    const { number } = run.order(CANCELLED_PATH);
    run.notifications["notification-1"] = [];
    const v = run.check();
    onlyFindingsIn(v, "missing");
    expect(v.notifications.missing[0]).toMatchObject({ orderNumber: number, subscriber: "notification-1" });
  });

  it("finds a status change one subscriber announced twice", () => {
    const run = new Run();
    const { number } = run.order(COMPLETED_PATH);
    run.notifications["notification-1"].push([number, "ready"]);
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "dupNotes");
    expect(v.notifications.duplicated).toHaveLength(1);
    expect(v.notifications.duplicated[0]).toMatchObject({ orderNumber: number, subscriber: "notification-1" });
    expect(v.notifications.duplicated[0].reason).toMatch(/announced ready 2 times/);
  });

  it("finds announcements of changes the stream never carried", () => {
    const run = new Run();
    const { number } = run.order(CANCELLED_PATH);
    run.notifications["notification-1"].push([number, "paid"], ["ORD_20250102_777", "paid"]);
    const v = run.check();
    onlyFindingsIn(v, "dupNotes");
    expect(v.notifications.duplicated).toHaveLength(2);
    expect(reasons(v.notifications.duplicated)).toMatch(/announced paid, which is not a status change on the stream/);
    expect(reasons(v.notifications.duplicated)).toMatch(/order the stream never carried/);
  });

  it("does not expect placed or payment_failed to be announced, and counts a stream duplicate's announcement once", () => {
    const run = new Run(["solo"]);
    const { number, requestId } = run.order(COMPLETED_PATH);
    run.emit(number, "completed", { requestId }); // announced once: the subscriber dedupes by event id
    const v = run.check();
    expect(v.notifications.missing).toEqual([]);
    expect(v.notifications.duplicated).toEqual([]);
    expect(run.notifications.solo.map(([, s]) => s)).toEqual(["paid", "accepted", "cooking", "ready", "completed"]);
  });
});

describe("check: rejections of invalid requests", () => {
  it("flags an invalid request answered 201", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    run.request("bad", 201, { valid: false, orderNumber: "ORD_20250102_500" });
    const v = run.check();
    expect(v.valid).toBe(false);
    onlyFindingsIn(v, "not4xx");
    expect(v.rejections).toEqual({ total: 1, not4xx: [{ requestId: "bad", orderNumber: "ORD_20250102_500", reason: "deliberately invalid request was answered 201, not a 4xx" }] });
  });

  it("flags an invalid request that got no answer or was never sent, and accepts 4xx", () => {
    const run = new Run();
    run.request("bad-0", 0, { valid: false });
    run.request("bad-1", -1, { valid: false });
    run.request("bad-2", 413, { valid: false });
    run.request("bad-3", 500, { valid: false });
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.rejections.total).toBe(4);
    expect(v.rejections.not4xx.map((f) => f.requestId)).toEqual(["bad-0", "bad-1", "bad-3"]);
    expect(v.counts.rejected).toBe(1);
  });
});

describe("check: indeterminate requests", () => {
  it("accepts a request with no answer whose order completed", () => {
    const run = new Run();
    run.order(COMPLETED_PATH);
    run.order(COMPLETED_PATH, { status: 0 });
    run.request("timed-out-no-effect", 0);
    const v = run.check();
    expect(v.valid).toBe(true);
    expect(v.indeterminate).toBe(1);
    expect(v.counts).toMatchObject({ requested: 3, accepted: 1, completed: 2 });
  });

  it("reports as lost a request with no answer whose order is stuck", () => {
    const run = new Run();
    const { number, requestId } = run.order(["placed", "paid"], { status: 0 });
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.indeterminate).toBe(1);
    onlyFindingsIn(v, "lost");
    expect(v.lost[0]).toMatchObject({ orderNumber: number, requestId });
  });

  it("finds an order made by a valid request that was refused with a 4xx", () => {
    const run = new Run();
    run.order(COMPLETED_PATH, { status: 400 });
    const v = run.check();
    onlyFindingsIn(v, "unexpected");
    expect(v.unexpected[0].reason).toMatch(/refused with 400/);
  });

  it("expects an order made by a request answered 5xx to finish, without calling it indeterminate", () => {
    const run = new Run();
    run.order(COMPLETED_PATH, { status: 503 });
    const stuck = run.order(["placed"], { status: 500 });
    const v = run.check();
    expect(v.indeterminate).toBe(0);
    onlyFindingsIn(v, "lost");
    expect(v.lost.map((f) => f.orderNumber)).toEqual([stuck.number]);
  });

  it("finds an order made by a request that was never sent", () => {
    const run = new Run();
    run.order(COMPLETED_PATH, { status: -1 });
    const v = run.check();
    onlyFindingsIn(v, "unexpected");
    expect(v.unexpected[0].reason).toMatch(/never sent/);
  });
});

describe("check: poison", () => {
  const POISON_SUBJECT = "pizzeria.order.placed.main.takeout.order-1";
  it("counts poison records and tolerates them when the run injected them and each was dead-lettered once", () => {
    const run = new Run();
    run.poison();
    run.order(COMPLETED_PATH);
    run.poison();
    run.order(CANCELLED_PATH);
    const v = check({
      ...run.input(),
      deadLetters: {
        injected: [{ id: "poison-1-0", seq: 1, subject: POISON_SUBJECT }, { id: "poison-1-1", seq: 8, subject: POISON_SUBJECT }],
        consumers: [{ name: "payment", filter: "pizzeria.order.placed.>" }],
        letters: [1, 8].map((seq) => ({ consumer: "payment", subject: POISON_SUBJECT, streamSeq: seq, reason: "poison: body is not JSON" })),
      },
    });
    expect(v.valid).toBe(true);
    expect(v.counts.poison).toBe(2);
    expect(v.counts.events).toBe(9);
  });

  it("fails on poison the run did not inject (issue 13)", () => {
    const run = new Run();
    run.poison();
    run.order(COMPLETED_PATH);
    const v = run.check();
    expect(v.valid).toBe(false);
    expect(v.poisonUnhandled.map((f) => f.streamSeq)).toEqual([1]);
    onlyFindingsIn(v);
  });
});

describe("check: scale", () => {
  it("checks a 100k-order run", () => {
    const orders = 100_000;
    const subscribers = ["notification-1", "notification-2"];
    const requests: RequestRecord[] = [];
    const stream: StreamRecord[] = [];
    const records: OrderRecord[] = [];
    const notifications: Record<string, Array<[string, string]>> = { "notification-1": [], "notification-2": [] };
    const header = { order_type: "delivery" as const, priority: 1, restaurant: "main", origin: "order-1" };
    let seq = 0;
    // Interleave orders the way a busy stream does: placements of many orders, then their progress.
    const numbers: string[] = [];
    for (let i = 0; i < orders; i++) {
      const number = `ORD_20250102_${String(i + 1).padStart(6, "0")}`;
      const requestId = `r${i}`;
      numbers.push(number);
      requests.push({ requestId, intendedValid: true, status: 201, orderNumber: number });
      const e = orderEvent("placed", { ...header, order_number: number }, null, "order-1", dataFor("placed", requestId) as EventData["placed"], AT);
      stream.push({ seq: ++seq, event: e.payload, subject: e.subject });
    }
    const stuck = numbers[4242];
    for (let i = 0; i < orders; i++) {
      const number = numbers[i];
      const cancelled = i % 10 === 0;
      const path: EventKind[] = cancelled ? ["payment_failed", "cancelled"] : ["paid", "accepted", "cooking", "ready", "completed"];
      const upTo = number === stuck ? 3 : path.length;
      for (const kind of path.slice(0, upTo)) {
        const e = orderEvent(kind, { ...header, order_number: number }, NATURAL_FROM[kind], "w", dataFor(kind, ""), AT);
        stream.push({ seq: ++seq, event: e.payload as AnyOrderEvent, subject: e.subject });
        if (e.payload.from !== null && e.payload.to !== null) for (const s of subscribers) notifications[s].push([number, e.payload.to]);
      }
      records.push({ instance: "order-1", number, request_id: `r${i}`, status: number === stuck ? "cooking" : cancelled ? "cancelled" : "completed" });
    }
    for (let i = 0; i < 1000; i++) requests.push({ requestId: `bad${i}`, intendedValid: false, status: 400 });

    const v = check({ requests, stream, orders: records, notifications, drained: true });
    expect(v.valid).toBe(false);
    expect(v.lost.map((f) => f.orderNumber)).toEqual([stuck]);
    expect(v.duplicated).toEqual([]);
    expect(v.invalid).toEqual([]);
    expect(v.unexpected).toEqual([]);
    expect(v.notifications).toEqual({ missing: [], duplicated: [] });
    expect(v.payloadsWrong).toEqual([]);
    expect(v.rejections.total).toBe(1000);
    expect(v.counts).toEqual({
      requested: 101_000,
      accepted: 100_000,
      rejected: 1000,
      completed: 89_999,
      cancelled: 10_000,
      inFlight: 1,
      events: 100_000 + 90_000 * 5 + 10_000 * 2 - 2,
      poison: 0,
    });
  });
});
