/**
 * The journeys pass (issue 19): what each customer journey saw of itself, against the stream.
 * - `ordersWrong`: a checkout answered 201 whose request id made no order, or another order
 *   than it names, or more than one (an unanswered checkout may have made one, not two); a
 *   checkout refused (4xx) that made one anyway; an order of a journey's customer that none of
 *   that customer's journeys checked out (an abandoned cart, or a journey that stopped before its
 *   checkout, that made an order after all).
 * - `trackedWrong`: a tracked order its journey never saw finish; a status its tracking saw that
 *   the stream's history of the order does not have there: each subscription must see a run of the
 *   history with none left out (where the order stood when it subscribed, then every change),
 *   polling the statuses in the history's order, and the last one seen must be the last the
 *   stream has.
 * Customers' read models and the reports against the stream are the checkouts and reports passes'.
 */
import type { Finding, JourneyRecord } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface JourneysPass {
  ordersWrong: Finding[];
  trackedWrong: Finding[];
}

/** The statuses the stream moved the order through, in order (repeats of a status collapsed). */
export function statusesOf(st: OrderState): string[] {
  const out: string[] = [];
  for (const e of st.events) if (e.to !== null && out.at(-1) !== e.to) out.push(e.to);
  return out;
}

function placedOf(st: OrderState): { requestId: string; customerId: string | null } | null {
  const placed = st.events.find((e) => e.kind === "placed");
  if (!placed || placed.kind !== "placed") return null;
  return { requestId: placed.data.request_id, customerId: typeof placed.data.customer_id === "string" ? placed.data.customer_id : null };
}

export function checkJourneys(journeys: readonly JourneyRecord[], replayed: ReplayedOrders, drained: boolean): JourneysPass {
  const pass: JourneysPass = { ordersWrong: [], trackedWrong: [] };
  if (journeys.length === 0) return pass;
  const byRequest = new Map<string, OrderState[]>();
  const byCustomer = new Map<string, OrderState[]>();
  for (const st of replayed.values()) {
    const p = placedOf(st);
    if (!p) continue;
    byRequest.set(p.requestId, [...(byRequest.get(p.requestId) ?? []), st]);
    if (p.customerId !== null) byCustomer.set(p.customerId, [...(byCustomer.get(p.customerId) ?? []), st]);
  }
  checkCheckouts(journeys, byRequest, drained, pass.ordersWrong);
  checkCustomers(journeys, byCustomer, drained, pass.ordersWrong);
  for (const j of journeys) if (j.track && j.checkout?.orderNumber) checkTrack(j, replayed.get(j.checkout.orderNumber), drained, pass.trackedWrong);
  return pass;
}

function checkCheckouts(journeys: readonly JourneyRecord[], byRequest: Map<string, OrderState[]>, drained: boolean, out: Finding[]): void {
  for (const j of journeys) {
    const c = j.checkout;
    if (!c) continue;
    const made = byRequest.get(c.requestId) ?? [];
    const numbers = made.map((st) => st.number).join(", ");
    const base = { requestId: c.requestId, ...(c.orderNumber ? { orderNumber: c.orderNumber } : {}) };
    if (c.status === 201) {
      if (made.length > 1 || (made.length === 1 && made[0].number !== c.orderNumber)) out.push({ ...base, reason: `journey ${j.id} (${j.kind}) checked out order ${c.orderNumber}, but its checkout made ${numbers}` });
      else if (made.length === 0 && drained) out.push({ ...base, reason: `journey ${j.id} (${j.kind}) checked out order ${c.orderNumber}, but its checkout made no order on the stream` });
    } else if (c.status >= 400 && c.status < 500 && made.length > 0) {
      out.push({ ...base, orderNumber: made[0].number, reason: `journey ${j.id} (${j.kind})'s checkout was refused (HTTP ${c.status}), yet it made ${numbers}` });
    } else if (made.length > 1) {
      out.push({ ...base, orderNumber: made[0].number, reason: `journey ${j.id} (${j.kind})'s checkout went unanswered (HTTP ${c.status}) and made ${made.length} orders: ${numbers}` });
    }
  }
}

/** Every order of a journey's customer came from one of that customer's journeys' checkouts. */
function checkCustomers(journeys: readonly JourneyRecord[], byCustomer: Map<string, OrderState[]>, drained: boolean, out: Finding[]): void {
  const of = new Map<string, JourneyRecord[]>();
  for (const j of journeys) if (j.customerId) of.set(j.customerId, [...(of.get(j.customerId) ?? []), j]);
  for (const [customer, list] of of) {
    const keys = new Set(list.flatMap((j) => (j.checkout ? [j.checkout.requestId] : [])));
    for (const st of byCustomer.get(customer) ?? []) {
      const requestId = placedOf(st)!.requestId;
      if (keys.has(requestId)) continue;
      // While the system is still working an order may be one the run has not heard answered yet: judged once drained.
      if (!drained) continue;
      const left = list.filter((j) => !j.checkout).map((j) => `${j.id} ${j.outcome}${j.failedStep ? ` at ${j.failedStep}` : ""}`);
      out.push({ orderNumber: st.number, requestId, history: historyOf(st), reason: `order ${st.number} of customer ${customer} was made by no checkout of its journeys (request id ${requestId})${left.length ? `; its journeys without a checkout: ${left.join(", ")}` : ""}` });
    }
  }
}

function checkTrack(j: JourneyRecord, st: OrderState | undefined, drained: boolean, out: Finding[]): void {
  const number = j.checkout!.orderNumber!;
  const how = j.track!.mode === "subscribe" ? "subscription" : "polling";
  const seen = j.track!.seen;
  const said = seen.map((s) => s.join(">")).join(" | ") || "nothing";
  if (!st) return; // no order on the stream: the checkouts' finding
  const history = statusesOf(st);
  const base = { orderNumber: number, requestId: j.checkout!.requestId, history: historyOf(st) };
  if (j.failedStep === "track") {
    out.push({ ...base, reason: `journey ${j.id} (${j.kind}) followed order ${number} by ${how} and never saw it finish (saw ${said}); the stream has ${history.join(">")}` });
    return;
  }
  let at = 0; // where in the history the tracking has got to
  for (const segment of seen) {
    const problem = j.track!.mode === "subscribe" ? placeRun(segment, history, at) : placeSubsequence(segment, history, at);
    if (typeof problem === "string") {
      out.push({ ...base, reason: `journey ${j.id} (${j.kind})'s ${how} of order ${number} saw ${said}: ${problem}; the stream has ${history.join(">")}` });
      return;
    }
    at = problem;
  }
  const last = seen.at(-1)?.at(-1);
  if (drained && last !== history.at(-1)) out.push({ ...base, reason: `journey ${j.id} (${j.kind})'s ${how} of order ${number} ended at ${last ?? "nothing"}; the stream leaves it ${history.at(-1)}` });
}

/** A subscription's statuses: a run of the history from `from` on, nothing skipped. The index of its last, or what is wrong. */
function placeRun(segment: readonly string[], history: readonly string[], from: number): number | string {
  const start = history.indexOf(segment[0], from);
  if (start < 0) return `${segment[0]} is not in the history${from > 0 ? ` after ${history[from]}` : ""}`;
  for (let i = 1; i < segment.length; i++) {
    if (history[start + i] !== segment[i]) return `after ${segment[i - 1]} it saw ${segment[i]} where the stream has ${history[start + i] ?? "nothing more"}`;
  }
  return start + segment.length - 1;
}

/** Polled statuses: in the history's order from `from` on (polling may miss some). */
function placeSubsequence(segment: readonly string[], history: readonly string[], from: number): number | string {
  let at = from;
  for (const s of segment) {
    const i = history.indexOf(s, at);
    if (i < 0) return `${s} is not in the history after ${history[at] ?? "its start"}`;
    at = i;
  }
  return at;
}
