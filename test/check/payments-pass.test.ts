import { describe, expect, it } from "vitest";
import { checkPayments } from "../../src/sim/check/passes/payments.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { LedgerEntry } from "../../src/sim/check/checker-types.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

// Order A is paid with payment pay_1 (the helper's OrderPaid) for its total 12.99; B was declined.
const replayed = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", ["placed", "payment_failed", "cancelled"])])).orders;
const entry = (kind: LedgerEntry["kind"], paymentId: string, orderNumber: string, amount = 12.99): LedgerEntry => ({ instance: "payment-1", kind, paymentId, orderNumber, amount, at: "2025-01-02T03:04:05.000Z" });
const NONE = { chargedTwice: [], chargedUnknown: [], chargeWrong: [], refundUnmatched: [] };

describe("payments pass", () => {
  it("has nothing to say when each paid order was charged once for its total", () => {
    expect(checkPayments([entry("charge", "pay_1", "A")], replayed)).toEqual(NONE);
  });

  it("finds an order charged twice (two payment ids, one OrderPaid), unless the second was refunded", () => {
    const twice = checkPayments([entry("charge", "pay_1", "A"), entry("charge", "pay_2", "A")], replayed);
    expect(twice.chargedTwice).toEqual([
      { orderNumber: "A", reason: "charged 2 times: pay_1 (12.99 at payment/payment-1), pay_2 (12.99 at payment/payment-1)", history: ["received", "paid", "accepted", "cooking", "ready", "completed"] },
    ]);
    expect(checkPayments([entry("charge", "pay_1", "A"), entry("charge", "pay_2", "A"), entry("refund", "pay_2", "A")], replayed)).toEqual(NONE);
  });

  it("finds a charge for an order never placed", () => {
    expect(checkPayments([entry("charge", "pay_1", "A"), entry("charge", "pay_9", "Z", 5)], replayed).chargedUnknown.map((f) => f.reason)).toEqual([
      "payment pay_9 charged 5.00 for order Z, which was never placed",
    ]);
  });

  it("finds a charge of another amount, a paid order without a charge, and a charge of an order that was not paid", () => {
    expect(checkPayments([entry("charge", "pay_1", "A", 13)], replayed).chargeWrong.map((f) => f.reason)).toEqual(["payment pay_1 charged 13.00; the order's total is 12.99"]);
    expect(checkPayments([], replayed).chargeWrong.map((f) => f.reason)).toEqual(["OrderPaid names payment pay_1, which the provider never charged"]);
    expect(checkPayments([entry("charge", "pay_1", "A"), entry("charge", "pay_b", "B")], replayed).chargeWrong.map((f) => f.reason)).toEqual([
      "charged (pay_b) but the stream has no OrderPaid for it",
    ]);
  });

  it("finds refunds that match no charge: never charged, another order, more than charged, twice", () => {
    const pass = checkPayments(
      [entry("charge", "pay_1", "A"), entry("refund", "pay_x", "A"), entry("refund", "pay_1", "B"), entry("refund", "pay_1", "A", 20), entry("refund", "pay_1", "A"), entry("refund", "pay_1", "A")],
      replayed,
    );
    expect(pass.refundUnmatched.map((f) => f.reason)).toEqual([
      "refund of 12.99 for payment pay_x, which was never charged",
      "refund of payment pay_1 names order B; the charge was for A",
      "refund of 20.00 for payment pay_1, which charged 12.99",
      "payment pay_1 refunded twice",
    ]);
  });
});
