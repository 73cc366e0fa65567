import { describe, expect, it } from "vitest";
import { serveControl } from "../src/services/shared/control.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { collectAccounts } from "../src/sim/check/collect.js";
import { collectEvidence } from "../src/sim/check/collect-evidence.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";

/** More records than a spread's arguments fit on the call stack: what a 30-minute soak at 100/s leaves. */
const N = 200_000;
const number = (i: number) => `ORD_20261202_${String(i + 1).padStart(6, "0")}`;

describe("collecting a long run's accounts (real NATS, the services' control verbs answered from memory)", () => {
  const t = useTestNats({ streams: false });

  it("takes every one of 200,000 orders and ledger entries, without overflowing the call stack", async () => {
    const log = silentLogger();
    const order = serveControl(t.nc, "order", "order-1", log, {
      orders(req: { after?: string | null; limit?: number }) {
        const from = req.after ? Number(req.after.slice(-6)) : 0;
        const orders = [];
        for (let i = from; i < Math.min(N, from + (req.limit ?? 5_000)); i++) orders.push({ number: number(i), request_id: `req-${i}`, status: "completed" });
        return { orders };
      },
    });
    const payment = serveControl(t.nc, "payment", "payment-1", log, {
      ledger(req: { after?: number; limit?: number }) {
        const from = req.after ?? 0;
        const entries = [];
        for (let i = from; i < Math.min(N, from + (req.limit ?? 5_000)); i++) entries.push({ seq: i + 1, kind: "charge", payment_id: `pay_${i}`, order_number: number(i), amount: 12.99, at: "2026-12-02T00:00:00.000Z" });
        return { entries, next: entries.length > 0 ? entries[entries.length - 1].seq : null };
      },
    });
    try {
      const complaints: string[] = [];
      const instances = [{ id: "order/order-1", service: "order", instance: "order-1" }, { id: "payment/payment-1", service: "payment", instance: "payment-1" }];
      const accounts = await collectAccounts(t.nc, instances, (m) => complaints.push(m));
      expect(accounts.silent).toEqual([]);
      expect(accounts.orders).toHaveLength(N);
      expect(accounts.orders[N - 1]).toEqual({ instance: "order-1", number: number(N - 1), request_id: `req-${N - 1}`, status: "completed" });
      const evidence = await collectEvidence(t.nc, instances, scratchDir("collect"), (m) => complaints.push(m));
      expect(evidence.ledger).toHaveLength(N);
      expect(complaints).toEqual([]);
    } finally {
      order.stop();
      payment.stop();
    }
  }, 60_000);
});
