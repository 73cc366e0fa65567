import { CONSUMERS, subjects, type OrderEvent } from "../shared/contracts.js";
import { runConsumer, type ConsumerRunner } from "../shared/consumer.js";
import { immediate } from "../shared/db.js";
import { decodeOrderEvent, headerOf, orderEvent } from "../shared/events.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { ensureConsumer } from "../shared/nats.js";
import type { Outbox } from "../shared/outbox.js";
import type { ServiceLifecycle } from "../shared/service-lifecycle.js";
import type { PaymentProvider } from "./payment-provider.js";

export interface RefundOptions {
  life: ServiceLifecycle;
  provider: PaymentProvider;
  outbox: Outbox;
  instance: string;
  /** TEST-ONLY (PIZZERIA_MUTANT=refund-twice, shared/mutants.ts): refund every other rejected order twice. Never in production. */
  refundTwice?: boolean;
}

/** The refund of a payment: named after it, so the same charge always gets the same refund id. */
export function refundIdFor(paymentId: string): string {
  return `ref_${paymentId.replace(/^pay_/, "")}`;
}

/**
 * The compensation for a rejection: every OrderRejected of a paid order is refunded once. The
 * refund's row, the provider's ledger entry and OrderRefunded's outbox row are one transaction
 * (the ledger lives in this service's SQLite), so a redelivered OrderRejected finds the refund
 * made and adds nothing. Its own durable: JetStream 2.9 has one filter per consumer.
 */
export async function runRefunds(o: RefundOptions): Promise<ConsumerRunner> {
  const { log, js, jsm, nc, db, topology } = o.life.rt;
  const payment = db.prepare("SELECT outcome, amount, payment_id FROM payments WHERE order_number = ?");
  const record = db.prepare("INSERT OR IGNORE INTO refunds (order_number, refund_id, payment_id, amount, refunded_at) VALUES (?, ?, ?, ?, ?)");
  let refundsMade = 0;

  function refund(event: OrderEvent<"rejected">): void {
    const number = event.order_number;
    const made = immediate(db, () => {
      const paid = payment.get(number) as { outcome: string; amount: number; payment_id: string | null } | undefined;
      if (!paid || paid.outcome !== "paid" || !paid.payment_id) return "not_paid" as const;
      const refundId = refundIdFor(paid.payment_id);
      const now = new Date();
      if (record.run(number, refundId, paid.payment_id, paid.amount, now.toISOString()).changes !== 1) return "before" as const;
      o.provider.refund(paid.payment_id, number, paid.amount);
      const message = orderEvent("refunded", headerOf(event), "rejected", o.instance, { amount: paid.amount, refund_id: refundId, reason: event.data.reason }, now);
      o.outbox.add(message);
      // TEST-ONLY mutant (never set in production): the same refund again, booked and announced under new ids.
      if (o.refundTwice && refundsMade++ % 2 === 0) {
        o.provider.refund(`${paid.payment_id}_again`, number, paid.amount);
        o.outbox.add({ ...message, id: `${message.id}.again` });
      }
      return "refunded" as const;
    });
    if (made === "refunded") {
      o.outbox.wake();
      log.info({ action: "payment_refunded", order_number: number, reason: event.data.reason }, `Payment refunded for ${number}: rejected by the restaurant`);
    } else if (made === "not_paid") {
      log.warn({ action: "refund_without_payment", order_number: number }, `Order ${number} was rejected, but this service holds no payment of it to refund`);
    }
  }

  await ensureConsumer(jsm, { durable: CONSUMERS.refunds, filter: subjects.rejected }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.refunds, log); // ends with the connection
  return runConsumer({
    js,
    durable: CONSUMERS.refunds,
    log,
    metrics: o.life.rt.metrics,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    handle: (event) => (event.kind === "rejected" ? refund(event) : undefined),
  });
}
