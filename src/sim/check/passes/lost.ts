/**
 * The lost pass: orders the system owes an ending that did not get one. First the 201s (without
 * an order number) whose request made no order at all, then every tracked order whose stream
 * history or whose records stop short of completed or cancelled.
 */
import { isTerminal } from "../../../services/shared/contracts.js";
import type { Finding, OrderRecord, RequestRecord } from "../checker-types.js";
import { historyOf, type ReplayedOrders } from "./order-state.js";
import { isAccepted } from "./requests.js";

export interface LostInput {
  requests: readonly RequestRecord[];
  /** The order numbers each request id made (from the attribution pass). */
  ordersByRequest: ReadonlyMap<string, readonly string[]>;
  /** The orders that must reach a terminal state (from the attribution pass). */
  tracked: Iterable<string>;
  replayed: ReplayedOrders;
  recordsByNumber: ReadonlyMap<string, OrderRecord[]>;
  /** Whether the system drained: if not, each lost order says so. */
  drained: boolean;
}

export function findLost(x: LostInput): Finding[] {
  const lost: Finding[] = [];
  for (const r of x.requests) {
    if (r.intendedValid && isAccepted(r.status) && r.orderNumber === undefined && !x.ordersByRequest.has(r.requestId)) {
      lost.push({ requestId: r.requestId, reason: `request ${r.requestId} was accepted (201) but no order with its request id exists` });
    }
  }

  const drainNote = x.drained ? "" : " (the system did not drain)";
  for (const number of x.tracked) {
    const st = x.replayed.get(number);
    const recs = x.recordsByNumber.get(number);
    const reasons: string[] = [];
    if (!st) reasons.push("never placed on the stream");
    else if (st.status === null || !isTerminal(st.status)) reasons.push(`the stream leaves it at ${st.status ?? "no status"}`);
    if (!recs) reasons.push("no order-service instance holds a record of it");
    else {
      for (const r of recs) if (!isTerminal(r.status)) reasons.push(`the record at ${r.instance} is still ${r.status}`);
    }
    if (reasons.length > 0) {
      const requestId = st?.requestIds[0] ?? recs?.[0]?.request_id;
      lost.push({
        orderNumber: number,
        ...(requestId !== undefined ? { requestId } : {}),
        reason: reasons.join("; ") + drainNote,
        ...(st ? { history: historyOf(st) } : {}),
      });
    }
  }
  return lost;
}
