import { describe, expect, it } from "vitest";
import type { AnyOrderEvent } from "../../src/services/shared/contracts.js";
import type { LedgerEntry } from "../../src/sim/check/checker-types.js";
import { checkRestaurants } from "../../src/sim/check/passes/restaurants.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { COMPLETED_PATH, eventOf, pathOf, REJECTED_PATH, streamOf } from "./stream.js";

const ROSTER = [{ name: "w1", restaurant: "main" }, { name: "sofia", restaurant: "napoli" }];
const refund = (orderNumber: string, paymentId = "pay_1"): LedgerEntry => ({ instance: "payment-1", kind: "refund", paymentId, orderNumber, amount: 12.99, at: "t" });
const pass = (events: AnyOrderEvent[], ledger?: LedgerEntry[], drained = true) => checkRestaurants({ replayed: replayStream(streamOf(events)).orders, roster: ROSTER, ledger, drained });

/** The events of an order of another restaurant (the hand-made ones are all main's). */
const at = (restaurant: string, events: AnyOrderEvent[]) => events.map((e) => ({ ...e, restaurant }));

describe("restaurants pass", () => {
  it("has nothing to say when each kitchen cooks its own orders and each rejection is refunded once", () => {
    const events = [...pathOf("A", COMPLETED_PATH), ...pathOf("B", REJECTED_PATH)];
    expect(pass(events, [refund("B")])).toEqual({ cookedElsewhere: [], refundsWrong: [] });
    // Without a ledger (not collected) the stream alone decides.
    expect(pass(events)).toEqual({ cookedElsewhere: [], refundsWrong: [] });
  });

  it("finds an order cooked by another restaurant's worker", () => {
    const napoli = at("napoli", pathOf("A", COMPLETED_PATH)); // cooked by w1, main's worker
    const found = pass(napoli).cookedElsewhere;
    expect(found.map((f) => f.reason)).toEqual(["OrderCooking by w1 of main's kitchen for an order of napoli", "OrderReady by w1 of main's kitchen for an order of napoli"]);
    expect(found[0].history).toEqual(["received", "paid", "accepted", "cooking", "ready", "completed"]);
  });

  it("finds a rejected order refunded twice, never refunded, or cooked anyway, and a refund of an order never rejected", () => {
    const twice = [...pathOf("A", REJECTED_PATH), eventOf("A", "refunded")];
    expect(pass(twice, [refund("A"), refund("A", "pay_1_again")]).refundsWrong.map((f) => f.reason)).toEqual([
      "refunded 2 times on the stream; the provider's ledger has 2 refunds of it",
    ]);
    const never = pathOf("B", ["placed", "paid", "rejected"]);
    expect(pass(never).refundsWrong.map((f) => f.reason)).toEqual(["rejected by its restaurant but never refunded"]);
    // Not drained: the refund may still be on its way.
    expect(pass(never, undefined, false).refundsWrong).toEqual([]);
    const cooked = [...pathOf("C", ["placed", "paid", "rejected"]), eventOf("C", "cooking", { from: "rejected" }), eventOf("C", "refunded")];
    expect(pass(cooked, [refund("C")]).refundsWrong.map((f) => f.reason)).toEqual(["cooked (cooking) although its restaurant rejected it"]);
    const unasked = [...pathOf("D", ["placed", "paid", "accepted"]), eventOf("D", "refunded", { from: "accepted" })];
    expect(pass(unasked, [refund("D")]).refundsWrong.map((f) => f.reason)).toEqual(["refunded although its restaurant never rejected it"]);
    expect(pass(pathOf("E", COMPLETED_PATH), [refund("E")]).refundsWrong).toEqual([
      { orderNumber: "E", source: "payment", reason: "the provider refunded it 1 time(s) with no OrderRefunded on the stream" },
    ]);
  });
});
