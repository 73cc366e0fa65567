/**
 * The attribution pass: which request made which order. Every order (on the stream or only in a
 * record) is traced to the request ids it carries and judged against those requests: made by a
 * valid request that was sent and not refused, it is one the system owes an ending (tracked);
 * otherwise it should not exist (unexpected). A request that made two orders is a duplicate, and a
 * 201 must name an order of its own that the stream carried: a 201 naming another request's order
 * leaves its own request without the order it was promised, so that request's order is lost.
 */
import type { Finding, OrderRecord, RequestRecord } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";
import { is4xx, isAccepted } from "./requests.js";

export interface AttributionInput {
  requests: readonly RequestRecord[];
  /** The requests under their request id (from the requests pass). */
  requestsById: ReadonlyMap<string, RequestRecord[]>;
  replayed: ReplayedOrders;
  records: readonly OrderRecord[];
  /** The records under their order number (from the records pass). */
  recordsByNumber: ReadonlyMap<string, OrderRecord[]>;
}

export interface Attribution {
  /** The order numbers each request id made, stream first, then records. */
  ordersByRequest: Map<string, string[]>;
  /** Orders that must reach a terminal state: made by a valid request that was sent and not refused, or named by a 201. */
  tracked: Set<string>;
  duplicated: Finding[];
  unexpected: Finding[];
  /** 201s that named another request's order: the request that got it has lost its own. */
  lost: Finding[];
  /** Requests with status 0 whose order was nonetheless created (Jepsen's :info ops). */
  indeterminate: number;
}

/**
 * Why the orders a group of request records (one request id) made may not exist, or null when
 * they may: a valid request that was sent and not definitely refused.
 */
function whyUnexpected(requestId: string, records: RequestRecord[] | undefined): string | null {
  if (!records || records.length === 0) return `no request has the request id ${requestId}`;
  if (records.some((r) => !r.intendedValid)) return `made by deliberately invalid request ${requestId}`;
  if (records.every((r) => r.status === -1)) return `made by request ${requestId}, which was never sent`;
  if (records.every((r) => r.status === -1 || is4xx(r.status))) {
    const refused = records.find((r) => is4xx(r.status))!;
    return `made by request ${requestId}, which was refused with ${refused.status}`;
  }
  return null;
}

export function attributeOrders(x: AttributionInput): Attribution {
  const { replayed, recordsByNumber } = x;
  const duplicated: Finding[] = [];
  const unexpected: Finding[] = [];
  const lost: Finding[] = [];

  const ordersByRequest = new Map<string, string[]>();
  const link = (requestId: string, number: string): void => {
    const list = ordersByRequest.get(requestId);
    if (!list) ordersByRequest.set(requestId, [number]);
    else if (!list.includes(number)) list.push(number);
  };
  for (const st of replayed.values()) for (const rid of st.requestIds) link(rid, st.number);
  for (const r of x.records) link(r.request_id, r.number);

  for (const [rid, numbers] of ordersByRequest) {
    if (numbers.length > 1) {
      duplicated.push({ requestId: rid, reason: `request ${rid} made ${numbers.length} orders: ${numbers.join(", ")}` });
    }
  }

  const tracked = new Set<string>();
  const attribute = (number: string, st: OrderState | undefined, recs: OrderRecord[] | undefined): void => {
    const rids: string[] = [];
    if (st) for (const rid of st.requestIds) if (!rids.includes(rid)) rids.push(rid);
    if (recs) for (const r of recs) if (!rids.includes(r.request_id)) rids.push(r.request_id);
    let legitimate = false;
    for (const rid of rids) {
      const why = whyUnexpected(rid, x.requestsById.get(rid));
      if (why === null) legitimate = true;
      else unexpected.push({ orderNumber: number, requestId: rid, reason: why, ...(st ? { history: historyOf(st) } : {}) });
    }
    if (legitimate) tracked.add(number);
  };
  for (const [number, st] of replayed) attribute(number, st, recordsByNumber.get(number));
  for (const [number, recs] of recordsByNumber) if (!replayed.has(number)) attribute(number, undefined, recs);

  let indeterminate = 0;
  for (const r of x.requests) {
    if (!r.intendedValid) continue;
    if (r.status === 0) {
      if (ordersByRequest.has(r.requestId)) indeterminate++;
      continue;
    }
    // A 201 without an order number is the lost pass's to judge (by its request id).
    if (!isAccepted(r.status) || r.orderNumber === undefined) continue;
    const number = r.orderNumber;
    if (!replayed.has(number)) {
      unexpected.push({ orderNumber: number, requestId: r.requestId, reason: `a 201 answer named order ${number}, which never appears on the stream` });
    }
    const others: string[] = [];
    for (const rid of replayed.get(number)?.requestIds ?? []) if (rid !== r.requestId && !others.includes(rid)) others.push(rid);
    for (const rec of recordsByNumber.get(number) ?? []) if (rec.request_id !== r.requestId && !others.includes(rec.request_id)) others.push(rec.request_id);
    if (others.length > 0) {
      const st = replayed.get(number);
      lost.push({
        orderNumber: number,
        requestId: r.requestId,
        reason: `a 201 answer to request ${r.requestId} named order ${number}, which request ${others.join(", ")} made: request ${r.requestId} was never given an order of its own`,
        ...(st ? { history: historyOf(st) } : {}),
      });
    }
    tracked.add(number);
  }

  return { ordersByRequest, tracked, duplicated, unexpected, lost, indeterminate };
}
