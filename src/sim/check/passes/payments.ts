/**
 * The payments pass: the payment provider's ledger (every charge and refund it recorded) against
 * the stream. An order is charged at most once (net of refunds), only when it was placed, for the
 * total its OrderPlaced carries, and an order that is paid names a charge of its own; a refund
 * matches a charge. OrderPaid says an order was paid; only the ledger says how often.
 */
import type { Finding, LedgerEntry } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface PaymentsPass {
  chargedTwice: Finding[];
  chargedUnknown: Finding[];
  chargeWrong: Finding[];
  refundUnmatched: Finding[];
}

const cents = (amount: number) => Math.round(amount * 100);
const money = (amount: number) => amount.toFixed(2);

/** The total the order's (first) OrderPlaced carries, or null when it has none. */
export function placedTotal(st: OrderState): number | null {
  const placed = st.events.find((e) => e.kind === "placed");
  const total = placed ? (placed.data as { total_amount?: unknown }).total_amount : undefined;
  return typeof total === "number" ? total : null;
}

function paymentIdOf(st: OrderState): string | null {
  const paid = st.events.find((e) => e.kind === "paid");
  const id = paid ? (paid.data as { payment_id?: unknown }).payment_id : undefined;
  return typeof id === "string" ? id : null;
}

export function checkPayments(ledger: readonly LedgerEntry[], replayed: ReplayedOrders): PaymentsPass {
  const index = ledgerIndex(ledger);
  const out: PaymentsPass = { chargedTwice: [], chargedUnknown: [], chargeWrong: [], refundUnmatched: index.refundUnmatched };
  for (const [number, list] of index.byOrder) checkChargesOf(number, list, replayed.get(number), index.refunded, out);
  for (const st of replayed.values()) checkPaidOf(st, index.charges, out);
  return out;
}

/** The ledger's charges (the first of each payment id), by payment and by order, the payments refunded, and the refunds that match no charge. */
export function ledgerIndex(ledger: readonly LedgerEntry[]): { charges: Map<string, LedgerEntry>; byOrder: Map<string, LedgerEntry[]>; refunded: Set<string>; refundUnmatched: Finding[] } {
  const refundUnmatched: Finding[] = [];
  const charges = new Map<string, LedgerEntry>();
  const refunded = new Set<string>();
  for (const e of ledger) if (e.kind === "charge" && !charges.has(e.paymentId)) charges.set(e.paymentId, e);

  for (const r of ledger) {
    if (r.kind !== "refund") continue;
    const c = charges.get(r.paymentId);
    const base = { orderNumber: r.orderNumber, source: `payment/${r.instance}` };
    if (!c) refundUnmatched.push({ ...base, reason: `refund of ${money(r.amount)} for payment ${r.paymentId}, which was never charged` });
    else if (c.orderNumber !== r.orderNumber) refundUnmatched.push({ ...base, reason: `refund of payment ${r.paymentId} names order ${r.orderNumber}; the charge was for ${c.orderNumber}` });
    else if (cents(r.amount) > cents(c.amount)) refundUnmatched.push({ ...base, reason: `refund of ${money(r.amount)} for payment ${r.paymentId}, which charged ${money(c.amount)}` });
    else if (refunded.has(r.paymentId)) refundUnmatched.push({ ...base, reason: `payment ${r.paymentId} refunded twice` });
    else refunded.add(r.paymentId);
  }

  const byOrder = new Map<string, LedgerEntry[]>();
  for (const c of charges.values()) {
    const list = byOrder.get(c.orderNumber);
    if (list) list.push(c);
    else byOrder.set(c.orderNumber, [c]);
  }
  return { charges, byOrder, refunded, refundUnmatched };
}

/** One order's charges (`list`) against what the stream says of it (`st`; undefined: never on the stream). */
export function checkChargesOf(number: string, list: readonly LedgerEntry[], st: OrderState | undefined, refunded: ReadonlySet<string>, out: PaymentsPass): void {
  const history = st ? { history: historyOf(st) } : {};
  if (!st || !st.events.some((e) => e.kind === "placed")) {
    for (const c of list) out.chargedUnknown.push({ orderNumber: number, source: `payment/${c.instance}`, reason: `payment ${c.paymentId} charged ${money(c.amount)} for order ${number}, which was never placed`, ...history });
    return;
  }
  const kept = list.filter((c) => !refunded.has(c.paymentId));
  if (kept.length > 1) {
    out.chargedTwice.push({ orderNumber: number, reason: `charged ${kept.length} times: ${kept.map((c) => `${c.paymentId} (${money(c.amount)} at payment/${c.instance})`).join(", ")}`, ...history });
  }
  const total = placedTotal(st);
  for (const c of list) {
    if (total !== null && cents(c.amount) !== cents(total)) {
      out.chargeWrong.push({ orderNumber: number, source: `payment/${c.instance}`, reason: `payment ${c.paymentId} charged ${money(c.amount)}; the order's total is ${money(total)}`, ...history });
    }
  }
  if (kept.length > 0 && !st.paid) {
    out.chargeWrong.push({ orderNumber: number, reason: `charged (${kept.map((c) => c.paymentId).join(", ")}) but the stream has no OrderPaid for it`, ...history });
  }
}

/** The charge an order's OrderPaid names must be the provider's, and for this order. */
export function checkPaidOf(st: OrderState, charges: ReadonlyMap<string, LedgerEntry>, out: PaymentsPass): void {
  const id = paymentIdOf(st);
  if (id === null) return;
  const c = charges.get(id);
  if (!c) out.chargeWrong.push({ orderNumber: st.number, reason: `OrderPaid names payment ${id}, which the provider never charged`, history: historyOf(st) });
  else if (c.orderNumber !== st.number) out.chargeWrong.push({ orderNumber: st.number, reason: `OrderPaid names payment ${id}, a charge for order ${c.orderNumber}`, history: historyOf(st) });
}
