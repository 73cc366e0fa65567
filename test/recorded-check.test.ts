import { rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AnyOrderEvent } from "../src/services/shared/contracts.js";
import { check, type CheckInput, type RequestRecord, type StreamRecord } from "../src/sim/check/checker.js";
import { decodeTapped } from "../src/sim/telemetry/event-tap.js";
import { requestRecords } from "../src/sim/check/fault-refusals.js";
import { RunRecorder } from "../src/sim/telemetry/recorded.js";
import { CANCELLED_PATH, COMPLETED_PATH, eventOf, pathOf } from "./check/stream.js";
import { scratchDir } from "./helpers/nats.js";

/** What the tap is handed for each message: a valid event's JSON, or a poison message's text. */
type Raw = { seq: number; subject: string; data: string };

function rawOf(events: Array<AnyOrderEvent | string>): Raw[] {
  return events.map((e, i) => (typeof e === "string" ? { seq: i + 1, subject: "pizzeria.order.placed.takeout.order-1", data: e } : { seq: i + 1, subject: `pizzeria.order.${e.kind}.takeout.order-1`, data: JSON.stringify(e) }));
}

const body = (n: number) => JSON.stringify({ customer_name: "Jane", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }], n });

interface Fixture {
  name: string;
  raw: Raw[];
  requests: RequestRecord[];
  rest: Omit<CheckInput, "stream" | "requests">;
  valid: boolean;
}

function fixtures(): Fixture[] {
  const notificationsOf = (events: AnyOrderEvent[]) => events.filter((e) => e.from !== null && e.to !== null).map((e) => [e.order_number, e.to!] as [string, string]);
  // A clean run: two completed orders, one cancelled, their requests with bodies, records and announcements.
  const clean = [...pathOf("ORD_1", COMPLETED_PATH), ...pathOf("ORD_2", COMPLETED_PATH), ...pathOf("ORD_3", CANCELLED_PATH)];
  const cleanRequests: RequestRecord[] = ["ORD_1", "ORD_2", "ORD_3"].map((n, i) => ({ requestId: `req-${n}`, intendedValid: true, status: 201, orderNumber: n, body: body(i) }));
  cleanRequests.push({ requestId: "bad-1", intendedValid: false, status: 400 });
  const cleanRecords = [
    { instance: "order-1", number: "ORD_1", request_id: "req-ORD_1", status: "completed" as const },
    { instance: "order-1", number: "ORD_2", request_id: "req-ORD_2", status: "completed" as const },
    { instance: "order-1", number: "ORD_3", request_id: "req-ORD_3", status: "cancelled" as const },
  ];
  // A broken run: a duplicate effect, a history that skips back, a poison message, an order no request made, a 5xx, an unanswered request whose order exists.
  const broken: Array<AnyOrderEvent | string> = [
    ...pathOf("ORD_1", COMPLETED_PATH),
    eventOf("ORD_1", "completed"),
    "{not an event",
    ...pathOf("ORD_2", ["placed", "paid", "cooking"]),
    eventOf("ORD_2", "paid", { from: "cooking" }),
    ...pathOf("ORD_3", COMPLETED_PATH, "req-nobody"),
    ...pathOf("ORD_4", COMPLETED_PATH),
  ];
  const brokenRequests: RequestRecord[] = [
    { requestId: "req-ORD_1", intendedValid: true, status: 201, orderNumber: "ORD_1", body: body(1) },
    { requestId: "req-ORD_2", intendedValid: true, status: 201, orderNumber: "ORD_2" },
    { requestId: "req-5xx", intendedValid: true, status: 503 },
    { requestId: "req-ORD_4", intendedValid: true, status: 0 },
    { requestId: "bad-2", intendedValid: false, status: 201, orderNumber: "ORD_9" },
  ];
  const valid = (events: Array<AnyOrderEvent | string>) => events.filter((e): e is AnyOrderEvent => typeof e !== "string");
  return [
    { name: "clean", raw: rawOf(clean), requests: cleanRequests, rest: { orders: cleanRecords, notifications: { "notification-1": notificationsOf(clean) }, drained: true }, valid: true },
    {
      name: "broken",
      raw: rawOf(broken),
      requests: brokenRequests,
      rest: { orders: [{ instance: "order-1", number: "ORD_1", request_id: "req-ORD_1", status: "completed" }], notifications: { "notification-1": notificationsOf(valid(broken)).slice(2) }, drained: false, stillFinishing: true },
      valid: false,
    },
  ];
}

describe("the check from what the run kept on disk (RunRecorder) is the check from memory", () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  for (const f of fixtures()) {
    it(`gives the same verdict: ${f.name}`, async () => {
      dir = scratchDir("recorded");
      const recorder = new RunRecorder(dir, (err) => {
        throw err;
      });
      // What the harness held before: every tapped message, every request, in the order it saw them.
      const inMemory: StreamRecord[] = [];
      recorder.timeline.write("log", { message: "lines of other kinds are on the timeline too" });
      for (const raw of f.raw) {
        const tapped = decodeTapped(raw);
        inMemory.push(tapped);
        recorder.orderEvent(raw, tapped, raw.seq * 10);
        if (raw.seq % 3 === 0) recorder.timeline.write("tick", { elapsedMs: raw.seq });
      }
      for (const r of f.requests) recorder.request({ requestId: r.requestId, valid: r.intendedValid, status: r.status, ...(r.orderNumber ? { orderNumber: r.orderNumber } : {}), ...(r.body ? { body: r.body } : {}) });

      const complaints: string[] = [];
      const back = await recorder.readBack(recorder.streamLength, (m) => complaints.push(m));
      expect(complaints).toEqual([]);
      expect(back.stream).toEqual(inMemory);
      const requests = requestRecords(back.requests, []);
      expect(requests).toEqual(f.requests);
      const full = check({ ...f.rest, stream: inMemory, requests: f.requests });
      expect(check({ ...f.rest, stream: back.stream, requests })).toEqual(full);
      expect(full.valid).toBe(f.valid);
      await recorder.end();
    });
  }

  it("reads the stream as it stood when asked: messages recorded after are left out", async () => {
    dir = scratchDir("recorded");
    const recorder = new RunRecorder(dir, (err) => {
      throw err;
    });
    const raw = rawOf([...pathOf("ORD_1", COMPLETED_PATH), ...pathOf("ORD_2", COMPLETED_PATH)]);
    for (const r of raw.slice(0, 5)) recorder.orderEvent(r, decodeTapped(r), 0);
    const length = recorder.streamLength;
    for (const r of raw.slice(5)) recorder.orderEvent(r, decodeTapped(r), 0);
    const stream = await recorder.readStream(length);
    expect(stream.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await recorder.readStream(recorder.streamLength)).map((s) => s.event?.order_number)).toEqual([...Array(COMPLETED_PATH.length).fill("ORD_1"), ...Array(COMPLETED_PATH.length).fill("ORD_2")]);
    await recorder.end();
  });

  it("keeps in memory what a file refused (a full disk): the check still gets every message and every request", async () => {
    dir = scratchDir("recorded-full");
    symlinkSync("/dev/full", join(dir, "timeline.ndjson"));
    symlinkSync("/dev/full", join(dir, "requests.ndjson"));
    const refused: string[] = [];
    const recorder = new RunRecorder(dir, (_err, path) => refused.push(path));
    const raw = rawOf([...pathOf("ORD_1", COMPLETED_PATH), ...pathOf("ORD_2", CANCELLED_PATH)]);
    for (const r of raw) recorder.orderEvent(r, decodeTapped(r), 0);
    recorder.request({ requestId: "r1", valid: true, status: 201, orderNumber: "ORD_1" });
    await recorder.timeline.flushed();
    // Written after the files failed: held too.
    recorder.request({ requestId: "r2", valid: false, status: 400 });
    const complaints: string[] = [];
    const back = await recorder.readBack(recorder.streamLength, (m) => complaints.push(m));
    expect(refused).toContain(join(dir, "timeline.ndjson"));
    expect(back.stream.map((r) => r.seq)).toEqual(raw.map((r) => r.seq));
    expect(back.requests.map((r) => r.requestId)).toEqual(["r1", "r2"]);
    expect(complaints).toHaveLength(1);
    expect(complaints[0]).toMatch(/did not take all of the stream and the requests \(ENOSPC/);
    await recorder.end();
  });
});
