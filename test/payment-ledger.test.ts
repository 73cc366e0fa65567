import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/services/shared/db.js";
import { LEDGER_SCHEMA, PaymentLedger } from "../src/services/payment/payment-ledger.js";
import { PaymentProvider } from "../src/services/payment/payment-provider.js";

describe("the payment provider's ledger", () => {
  it("books each approved charge once, however often the same order is charged (a redelivered OrderPlaced)", async () => {
    const ledger = new PaymentLedger(openDatabase(":memory:", LEDGER_SCHEMA));
    const provider = new PaymentProvider({ latencyMs: 0, failureRate: 0, seed: 1 }, ledger);
    const first = await provider.charge("ORD_20250102_001", 12.99);
    const again = await provider.charge("ORD_20250102_001", 12.99);
    expect(again).toEqual(first);
    expect(ledger.page(0, 10).map((e) => [e.kind, e.payment_id, e.order_number, e.amount])).toEqual([["charge", first.approved ? first.payment_id : "", "ORD_20250102_001", 12.99]]);
  });

  it("books no charge for a decline, and a refund once per payment id", async () => {
    const ledger = new PaymentLedger(openDatabase(":memory:", LEDGER_SCHEMA));
    const provider = new PaymentProvider({ latencyMs: 0, failureRate: 1, seed: 1 }, ledger);
    expect(await provider.charge("ORD_20250102_002", 5)).toEqual({ approved: false, reason: "card declined" });
    expect(ledger.page(0, 10)).toEqual([]);
    provider.refund("pay_x", "ORD_20250102_002", 5);
    provider.refund("pay_x", "ORD_20250102_002", 5);
    expect(ledger.page(0, 10).map((e) => e.kind)).toEqual(["refund"]);
  });
});
