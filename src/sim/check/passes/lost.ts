/**
 * The lost pass: orders the system owes an ending that did not get one. First the 201s (without
 * an order number) whose request made no order at all, then every tracked order whose stream
 * history or whose records stop short of completed or cancelled.
 *
 * Slow is not lost: when the drain timed out while orders were still finishing, an order short of
 * its end that can still get there (placed on the stream, or held in received by its instance with
 * the event still to be published, and no record on another path than the stream) is unfinished.
 * Lost stays for what cannot finish: no progress at the end of the drain, an order no instance
 * holds, a record that disagrees with the stream for good.
 */
import { isTerminal } from "../../../services/shared/contracts.js";
import type { Finding, OrderRecord, RequestRecord } from "../checker-types.js";
import { historyOf, onOnePath, type OrderState, type ReplayedOrders } from "./order-state.js";
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
  /** When it did not drain: whether orders were still finishing in the drain's last stretch. */
  stillFinishing?: boolean;
}

export interface OpenOrders {
  lost: Finding[];
  unfinished: Finding[];
}

/** Whether an order short of its end can still reach it, as far as the stream and the records say. */
function canStillFinish(st: OrderState | undefined, recs: OrderRecord[] | undefined): boolean {
  if (!recs || recs.length === 0) return false; // nobody holds it: nothing will move it on
  if (!st || st.status === null) return recs.every((r) => r.status === "received"); // its OrderPlaced still in the outbox
  const streamStatus = st.status;
  return recs.every((r) => onOnePath(r.status, streamStatus));
}

export function findOpenOrders(x: LostInput): OpenOrders {
  const lost: Finding[] = [];
  const unfinished: Finding[] = [];
  for (const r of x.requests) {
    if (r.intendedValid && isAccepted(r.status) && r.orderNumber === undefined && !x.ordersByRequest.has(r.requestId)) {
      lost.push({ requestId: r.requestId, reason: `request ${r.requestId} was accepted (201) but no order with its request id exists` });
    }
  }

  const drainNote = x.drained ? "" : " (the system did not drain)";
  const catchingUp = !x.drained && x.stillFinishing === true;
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
      const slow = catchingUp && canStillFinish(st, recs);
      (slow ? unfinished : lost).push({
        orderNumber: number,
        ...(requestId !== undefined ? { requestId } : {}),
        reason: reasons.join("; ") + (slow ? " (still on its way when the drain timed out)" : drainNote),
        ...(st ? { history: historyOf(st) } : {}),
      });
    }
  }
  return { lost, unfinished };
}

/** The lost orders alone (what cannot finish). */
export function findLost(x: LostInput): Finding[] {
  return findOpenOrders(x).lost;
}
