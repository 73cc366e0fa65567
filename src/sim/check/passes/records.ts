/**
 * The records pass: what each order-service instance holds (its own SQLite), against the stream.
 * An order number held by more than one record is a duplicate; a record whose status is not where
 * the stream left the order disagrees with the stream (invalid). While the system is still catching
 * up (the drain timed out with orders still finishing), a record behind or ahead of the stream on
 * the same path is on its way, not in disagreement: the lost pass calls its order unfinished.
 */
import type { Finding, OrderRecord } from "../checker-types.js";
import { historyOf, onOnePath, type ReplayedOrders } from "./order-state.js";

export interface RecordsPass {
  /** The records of each order number, in the order they were collected. */
  byNumber: Map<string, OrderRecord[]>;
  duplicated: Finding[];
  invalid: Finding[];
}

export function checkRecords(records: readonly OrderRecord[], replayed: ReplayedOrders, opts: { catchingUp?: boolean } = {}): RecordsPass {
  const byNumber = new Map<string, OrderRecord[]>();
  const duplicated: Finding[] = [];
  const invalid: Finding[] = [];
  for (const r of records) {
    const group = byNumber.get(r.number);
    if (group) group.push(r);
    else byNumber.set(r.number, [r]);
  }
  for (const [number, recs] of byNumber) {
    const st = replayed.get(number);
    if (recs.length > 1) {
      duplicated.push({
        orderNumber: number,
        reason: `${recs.length} order records: ${recs.map((r) => `${r.instance} (request ${r.request_id}, ${r.status})`).join(", ")}`,
        ...(st ? { history: historyOf(st) } : {}),
      });
    }
    if (st && st.status !== null) {
      for (const r of recs) {
        if (r.status !== st.status && !(opts.catchingUp && onOnePath(r.status, st.status))) {
          invalid.push({
            orderNumber: number,
            requestId: r.request_id,
            reason: `the record at ${r.instance} says ${r.status} but the stream ends at ${st.status}`,
            history: historyOf(st),
          });
        }
      }
    }
  }
  return { byNumber, duplicated, invalid };
}
