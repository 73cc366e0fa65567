import { describe, expect, it } from "vitest";
import { checkReadModels, expectedHistory } from "../../src/sim/check/passes/read-models.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { ReadModelOrder } from "../../src/sim/check/checker-types.js";
import { COMPLETED_PATH, eventOf, pathOf, streamOf } from "./stream.js";

// A completed order A, an order B that is paid, a cancelled order C (PaymentFailed moves no status).
const replayed = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", ["placed", "paid"]), ...pathOf("C", ["placed", "payment_failed", "cancelled"])])).orders;

/** The order as a faithful read model holds it. */
const faithful = (number: string): ReadModelOrder => {
  const history = expectedHistory(replayed.get(number)!);
  return { number, status: history[history.length - 1].to, history };
};
const ALL = ["A", "B", "C"].map(faithful);
const SRC = "tracking/tracking-1";

describe("read-models pass", () => {
  it("has nothing to say when the read model holds every order as the stream has it, and each worker's count", () => {
    expect(faithful("C").history.map((h) => h.to)).toEqual(["received", "cancelled"]);
    const pass = checkReadModels([{ source: SRC, orders: ALL, workers: [{ name: "w1", ordersCooked: 1 }] }], replayed, true);
    expect(pass).toEqual({ stale: [], wrong: [], orders: 3 });
  });

  it("finds an order moved back to cooking: the status the stream contradicts (the planted tracking bug)", () => {
    const a = { ...faithful("A"), status: "cooking" as const };
    const pass = checkReadModels([{ source: SRC, orders: [a, faithful("B"), faithful("C")] }], replayed, true);
    expect(pass.stale).toEqual([]);
    expect(pass.wrong).toEqual([
      {
        orderNumber: "A",
        source: SRC,
        reason: `${SRC} says cooking but its own history ends at completed and the stream at completed`,
        history: ["received", "paid", "accepted", "cooking", "ready", "completed"],
      },
    ]);
  });

  it("finds a history that differs from the stream's (a step by someone else) as wrong", () => {
    const a = faithful("A");
    const history = a.history.map((h) => (h.to === "cooking" ? { ...h, by: "chef_nobody" } : h));
    const pass = checkReadModels([{ source: SRC, orders: [{ ...a, history }, faithful("B"), faithful("C")] }], replayed, true);
    expect(pass.wrong).toHaveLength(1);
    expect(pass.wrong[0].reason).toMatch(/has the history received by test, paid by test, accepted by test, cooking by chef_nobody, .* the stream's is received by test, paid by test, accepted by test, cooking by test/);
  });

  it("finds a read model that is behind (a beginning of the history) or lacks an order as stale", () => {
    const a = faithful("A");
    const behind = { number: "A", status: "cooking" as const, history: a.history.slice(0, 4) };
    const pass = checkReadModels([{ source: SRC, orders: [behind, faithful("C")] }], replayed, true);
    expect(pass.wrong).toEqual([]);
    expect(pass.stale.map((f) => [f.orderNumber, f.reason])).toEqual([
      ["A", `${SRC} is behind: it says cooking (history received by test, paid by test, accepted by test, cooking by test) but the stream ends at completed`],
      ["B", `${SRC} does not know order B, which the stream leaves at paid`],
    ]);
  });

  it("finds an order the stream never carried, unless the stream was read from the middle", () => {
    const ghost: ReadModelOrder = { number: "Z", status: "received", history: [{ from: null, to: "received", by: "order-1" }] };
    expect(checkReadModels([{ source: SRC, orders: [...ALL, ghost] }], replayed, true).wrong.map((f) => f.reason)).toEqual([
      `${SRC} holds order Z (received), which the stream never carried`,
    ]);
    expect(checkReadModels([{ source: SRC, orders: [...ALL, ghost] }], replayed, false).wrong).toEqual([]);
  });

  it("compares each worker's count with the OrderReady events that name it: short is stale, more than every ready order is wrong", () => {
    const two = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), eventOf("D", "placed"), eventOf("D", "paid")])).orders;
    expect(checkReadModels([{ source: SRC, workers: [{ name: "w1", ordersCooked: 0 }] }], two, true).stale.map((f) => f.reason)).toEqual([
      `${SRC} says worker w1 cooked 0 orders; the stream's OrderReady events name it for 1`,
    ]);
    const more = checkReadModels([{ source: SRC, workers: [{ name: "w1", ordersCooked: 2 }, { name: "w2", ordersCooked: 3 }] }], two, true);
    expect(more.wrong.map((f) => f.reason)).toEqual([
      `${SRC} says worker w1 cooked 2 orders; the stream's OrderReady events name it for 1`,
      `${SRC} says worker w2 cooked 3 orders; the stream's OrderReady events name it for 0`,
    ]);
    expect(checkReadModels([{ source: SRC, workers: [] }], two, true).stale.map((f) => f.reason)).toEqual([`${SRC} does not know worker w1, who cooked 1 orders on the stream`]);
    // w2 cooked one of them too after a redelivery, its OrderReady deduplicated away: within every ready order, not wrong.
    const redone = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", COMPLETED_PATH)])).orders;
    const again = checkReadModels([{ source: SRC, workers: [{ name: "w1", ordersCooked: 2 }, { name: "w2", ordersCooked: 1 }] }], redone, true);
    expect(again.wrong.concat(again.stale)).toEqual([]);
  });

  it("judges each read model on its own: one input per service", () => {
    const pass = checkReadModels([{ source: SRC, orders: ALL }, { source: "reporting/reporting-1", orders: [faithful("A")] }], replayed, true);
    expect(pass.stale.map((f) => [f.source, f.orderNumber])).toEqual([
      ["reporting/reporting-1", "B"],
      ["reporting/reporting-1", "C"],
    ]);
  });
});
