/**
 * The stream replay pass: every message on the ORDERS stream, in stream order, replayed per order
 * through the state machine. It finds the histories the state machine forbids (invalid) and the
 * effects that happened twice (duplicated), counts how the orders ended, and leaves each order's
 * state for the passes after it.
 *
 * One walk over the stream with a map keyed by order number, so it stays linear in the number of
 * events (runs hold up to ~500k).
 */
import {
  canTransition,
  EVENT_KINDS,
  EVENT_NAMES,
  EVENT_STATUS,
  isTerminal,
  ORDER_STATUSES,
  type AnyOrderEvent,
  type OrderStatus,
} from "../../../services/shared/contracts.js";
import type { Finding, StreamRecord } from "../checker-types.js";
import { historyOf, statusSlot, type OrderState } from "./order-state.js";

export interface StreamReplay {
  /** Each order the stream carried, by number, in the order it first appeared. */
  orders: Map<string, OrderState>;
  /** Messages that held an event. */
  events: number;
  /** Messages that did not (their payload was not a valid event). */
  poison: number;
  invalid: Finding[];
  duplicated: Finding[];
  completed: number;
  cancelled: number;
  /** Orders whose history ends short of a terminal state. */
  inFlight: number;
}

/** How far along the lifecycle a status is, to tell "backwards" from "skips ahead". */
const RANK: Record<OrderStatus, number> = { received: 0, paid: 1, accepted: 2, rejected: 2, cooking: 3, ready: 4, completed: 5, cancelled: 5 };

const KNOWN_STATUSES = new Set<string>(ORDER_STATUSES);

const KIND_BIT = new Map<string, number>(EVENT_KINDS.map((k, i) => [k, 1 << i]));

/** The events that move no status, and the status the order must be in for each (the cancellation that follows moves it). */
const COMPENSATED_FROM: Partial<Record<string, OrderStatus>> = { payment_failed: "received", refunded: "rejected" };

export function newOrderState(number: string, index: number): OrderState {
  return {
    number,
    events: [],
    status: null,
    kindMask: 0,
    repeats: null,
    requestIds: [],
    paid: false,
    paymentFailed: false,
    announceMask: 0,
    historyCache: null,
    index,
  };
}

export function replayStream(stream: readonly StreamRecord[]): StreamReplay {
  const orders = new Map<string, OrderState>();
  const invalid: Finding[] = [];
  const duplicated: Finding[] = [];
  let events = 0;
  let poison = 0;
  /** Findings made during the walk get the order's whole history once the walk is over. */
  const pendingHistory: Array<[Finding, OrderState]> = [];
  const violation = (st: OrderState, reason: string): void => {
    const f: Finding = { orderNumber: st.number, reason };
    invalid.push(f);
    pendingHistory.push([f, st]);
  };

  for (const rec of stream) {
    const e = rec.event;
    if (!e) {
      poison++;
      continue;
    }
    events++;
    let st = orders.get(e.order_number);
    if (!st) {
      st = newOrderState(e.order_number, orders.size);
      orders.set(e.order_number, st);
    }
    applyEvent(st, e, rec.seq, violation);
  }

  for (const [f, st] of pendingHistory) f.history = historyOf(st);

  let completed = 0;
  let cancelled = 0;
  let inFlight = 0;
  for (const st of orders.values()) {
    const end = judgeEnded(st, invalid, duplicated);
    if (end === "completed") completed++;
    else if (end === "cancelled") cancelled++;
    else inFlight++;
  }

  return { orders, events, poison, invalid, duplicated, completed, cancelled, inFlight };
}

/** What an order's whole history says once the stream is over (both paid and failed, effects twice), and how it ended. */
export function judgeEnded(st: OrderState, invalid: Finding[], duplicated: Finding[]): "completed" | "cancelled" | "inFlight" {
  if (st.paid && st.paymentFailed) invalid.push({ orderNumber: st.number, reason: `both ${EVENT_NAMES.paid} and ${EVENT_NAMES.payment_failed}`, history: historyOf(st) });
  if (st.repeats) for (const [kind, n] of st.repeats) {
    duplicated.push({
      orderNumber: st.number,
      reason: `${EVENT_NAMES[kind]} appears ${n} times on the stream`,
      history: historyOf(st),
    });
  }
  return st.status === "completed" ? "completed" : st.status === "cancelled" ? "cancelled" : "inFlight";
}

/** One event of an order, applied to its state; what the state machine forbids goes to `violation`. */
export function applyEvent(st: OrderState, e: AnyOrderEvent, seq: number, violation: (st: OrderState, reason: string) => void): void {
  const kind = e.kind;
  st.events.push(e);
  if (kind === "placed" && typeof e.data?.request_id === "string") st.requestIds.push(e.data.request_id);
  if (e.from !== null && e.to !== null) st.announceMask |= 1 << statusSlot(e.to);

  const bit = KIND_BIT.get(kind);
  if (bit === undefined) {
    violation(st, `event of unknown kind ${String(kind)} at stream seq ${seq}`);
    return;
  }
  if (st.kindMask & bit) {
    st.repeats ??= new Map();
    st.repeats.set(kind, (st.repeats.get(kind) ?? 1) + 1);
    // The same transition again is a duplicate effect (reported under duplicated), not a new
    // step of the history; a repeat from another status is also replayed below.
    if (st.events.find((x) => x.kind === kind)!.from === e.from) return;
  } else {
    st.kindMask |= bit;
  }

  const cur = st.status;
  const where = `at stream seq ${seq}`;
  const movesNone = COMPENSATED_FROM[kind];
  if (movesNone !== undefined) {
    // PaymentFailed (of a received order) and OrderRefunded (of a rejected one) move no status: the cancellation that answers them does.
    if (kind === "payment_failed") st.paymentFailed = true;
    if (cur !== null && isTerminal(cur)) violation(st, `${EVENT_NAMES[kind]} after the terminal state ${cur} ${where}`);
    else if (cur !== movesNone || e.from !== cur) {
      violation(st, `${EVENT_NAMES[kind]} from ${String(e.from)} while the order was ${String(cur)} ${where}`);
    }
    return;
  }

  const to = EVENT_STATUS[kind]!;
  if (kind === "paid") st.paid = true;
  if (cur !== null && isTerminal(cur)) {
    violation(st, `${EVENT_NAMES[kind]} after the terminal state ${cur} ${where}`);
    return; // a terminal state is final: the order service refuses anything after it
  }
  const problems: string[] = [];
  if (e.to !== to) problems.push(`its to is ${String(e.to)} but ${EVENT_NAMES[kind]} moves to ${to}`);
  if (e.from !== null && !KNOWN_STATUSES.has(e.from)) problems.push(`its from ${String(e.from)} is not a status`);
  if (e.from !== cur) {
    problems.push(cur === null ? `the history does not start with ${EVENT_NAMES.placed} (from is ${String(e.from)})` : `its from is ${String(e.from)} but the order was ${cur}`);
  }
  if (!canTransition(cur, to)) {
    if (cur === null) problems.push(`${to} cannot be the first status`);
    else if (RANK[to] < RANK[cur]) problems.push(`it goes backwards from ${cur} to ${to}`);
    else if (to === cur) problems.push(`it repeats ${cur}`);
    else problems.push(`the transition ${cur} -> ${to} is not allowed`);
  }
  if (kind === "cancelled" && !st.paymentFailed && !(st.kindMask & KIND_BIT.get("refunded")!)) {
    problems.push(`cancelled without a ${EVENT_NAMES.payment_failed} or an ${EVENT_NAMES.refunded} before it`);
  }
  if (problems.length > 0) violation(st, `${EVENT_NAMES[kind]} ${where}: ${problems.join("; ")}`);
  // Follow the history forward (even past a skipped step, so one fault is reported once), but
  // an order never moves backwards or repeats a status: the order service refuses that too.
  if (cur === null || RANK[to] > RANK[cur]) st.status = to;
}
