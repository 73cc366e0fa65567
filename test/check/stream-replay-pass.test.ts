import { describe, expect, it } from "vitest";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { CANCELLED_PATH, COMPLETED_PATH, eventOf, pathOf, REJECTED_PATH, streamOf } from "./stream.js";

describe("stream replay pass", () => {
  it("follows clean histories to their end and counts how the orders ended", () => {
    const replay = replayStream(streamOf([...pathOf("A", COMPLETED_PATH, "r1"), null, ...pathOf("B", CANCELLED_PATH, "r2"), ...pathOf("C", ["placed", "paid"], "r3")]));
    expect(replay.invalid).toEqual([]);
    expect(replay.duplicated).toEqual([]);
    expect({ completed: replay.completed, cancelled: replay.cancelled, inFlight: replay.inFlight, events: replay.events, poison: replay.poison }).toEqual({
      completed: 1,
      cancelled: 1,
      inFlight: 1,
      events: 11,
      poison: 1,
    });
    expect([...replay.orders.keys()]).toEqual(["A", "B", "C"]);
    expect(replay.orders.get("A")).toMatchObject({ status: "completed", requestIds: ["r1"], index: 0 });
    expect(replay.orders.get("C")).toMatchObject({ status: "paid", requestIds: ["r3"], index: 2 });
  });

  it("finds a history that skips a step, with the order's whole history", () => {
    const replay = replayStream(streamOf([eventOf("A", "placed"), eventOf("A", "paid"), eventOf("A", "ready", { from: "paid" }), eventOf("A", "completed")]));
    expect(replay.invalid).toEqual([
      { orderNumber: "A", reason: "OrderReady at stream seq 3: the transition paid -> ready is not allowed", history: ["received", "paid", "ready", "completed"] },
    ]);
    // Followed past the skipped step, so the one fault is reported once and the order still ends.
    expect(replay.completed).toBe(1);
  });

  it("finds an order going backwards, an event after the terminal state and a history not starting with OrderPlaced", () => {
    const replay = replayStream(
      streamOf([
        ...pathOf("A", ["placed", "paid", "accepted", "cooking", "ready"]),
        eventOf("A", "cooking", { from: "ready" }),
        ...pathOf("B", COMPLETED_PATH),
        eventOf("B", "cancelled", { from: "completed" }),
        eventOf("C", "paid"),
      ]),
    );
    expect(replay.invalid.map((f) => [f.orderNumber, f.reason])).toEqual([
      ["A", "OrderCooking at stream seq 6: it goes backwards from ready to cooking"],
      ["B", "OrderCancelled after the terminal state completed at stream seq 13"],
      ["C", "OrderPaid at stream seq 14: the history does not start with OrderPlaced (from is received); paid cannot be the first status"],
    ]);
    expect(replay.orders.get("A")!.status).toBe("ready");
  });

  it("finds an order both paid and failed, after the walk's own findings", () => {
    const replay = replayStream(streamOf([eventOf("A", "placed"), eventOf("A", "paid"), eventOf("A", "payment_failed", { from: "received" })]));
    expect(replay.invalid.map((f) => f.reason)).toEqual([
      "PaymentFailed from received while the order was paid at stream seq 3",
      "both OrderPaid and PaymentFailed",
    ]);
  });

  it("finds an effect that happened twice, and does not replay the repeat as a new step", () => {
    const replay = replayStream(streamOf([...pathOf("A", ["placed", "paid", "accepted", "cooking"]), eventOf("A", "cooking"), ...pathOf("A", ["ready", "completed"])]));
    expect(replay.duplicated).toEqual([
      { orderNumber: "A", reason: "OrderCooking appears 2 times on the stream", history: ["received", "paid", "accepted", "cooking", "cooking", "ready", "completed"] },
    ]);
    expect(replay.invalid).toEqual([]);
    expect(replay.completed).toBe(1);
  });

  it("follows a rejected order through its refund to cancelled, and finds a refund or a cancellation out of place", () => {
    const clean = replayStream(streamOf(pathOf("A", REJECTED_PATH)));
    expect(clean.invalid).toEqual([]);
    expect(clean.cancelled).toBe(1);
    expect(clean.orders.get("A")!.status).toBe("cancelled");

    const wrong = replayStream(
      streamOf([
        ...pathOf("B", ["placed", "paid", "accepted"]),
        eventOf("B", "refunded", { from: "accepted" }),
        ...pathOf("C", ["placed", "paid", "rejected"]),
        eventOf("C", "cancelled", { from: "rejected" }),
        ...pathOf("D", ["placed", "paid"]),
        eventOf("D", "cooking", { from: "paid" }),
      ]),
    );
    expect(wrong.invalid.map((f) => [f.orderNumber, f.reason])).toEqual([
      ["B", "OrderRefunded from accepted while the order was accepted at stream seq 4"],
      ["C", "OrderCancelled at stream seq 8: cancelled without a PaymentFailed or an OrderRefunded before it"],
      ["D", "OrderCooking at stream seq 11: the transition paid -> cooking is not allowed"],
    ]);
  });

  it("counts poison messages and nothing else of them", () => {
    const replay = replayStream(streamOf([null, null]));
    expect(replay).toMatchObject({ events: 0, poison: 2, completed: 0, cancelled: 0, inFlight: 0 });
    expect(replay.orders.size).toBe(0);
  });
});
