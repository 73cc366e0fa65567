/**
 * The end-of-run checker, in the spirit of Jepsen's total-queue checker: given what the load
 * generator asked for and heard back, every message on the ORDERS stream, what each order-service
 * instance holds and what each notification subscriber announced, decide whether any order was
 * lost, duplicated, or had a history the state machine forbids.
 *
 * A pure function: no I/O, no clock. One pass over the stream (maps keyed by order number), one
 * over the records, one over each subscriber's announcements, so it stays linear in the number of
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
  type EventKind,
  type OrderStatus,
} from "../../services/shared/contracts.js";

export type { CheckInput, Finding, OrderRecord, RequestRecord, StreamRecord, Verdict } from "./checker-types.js";
import type { CheckInput, Finding, OrderRecord, RequestRecord, Verdict } from "./checker-types.js";

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/** How far along the lifecycle a status is, to tell "backwards" from "skips ahead". */
const RANK: Record<OrderStatus, number> = { received: 0, paid: 1, cooking: 2, ready: 3, completed: 4, cancelled: 4 };

const KNOWN_STATUSES = new Set<string>(ORDER_STATUSES);

/** What the stream says about one order. */
interface OrderState {
  number: string;
  /** Its events, in stream order (the history and the expected announcements derive from them). */
  events: AnyOrderEvent[];
  /** The status after applying the stream (null: never placed or nothing applicable). */
  status: OrderStatus | null;
  /** Bit per event kind seen so far: a later event of a kind is a duplicate. */
  kindMask: number;
  /** How many events of each kind, only for kinds seen more than once (most orders have none). */
  repeats: Map<EventKind, number> | null;
  /** request_id of each OrderPlaced event. */
  requestIds: string[];
  paid: boolean;
  paymentFailed: boolean;
  /** Bit per status slot a subscriber must announce (events with non-null from and to). */
  announceMask: number;
  /** Filled on demand, for findings. */
  historyCache: string[] | null;
  /** Position in creation order, for the flat notification counters. */
  index: number;
}

/** Slots of the notification counters: one per status, and one for anything else. */
const STATUS_SLOTS = ORDER_STATUSES.length + 1;
const SLOT_OF = new Map<string, number>(ORDER_STATUSES.map((s, i) => [s, i]));

function statusSlot(status: string): number {
  return SLOT_OF.get(status) ?? ORDER_STATUSES.length;
}

const KIND_BIT = new Map<string, number>(EVENT_KINDS.map((k, i) => [k, 1 << i]));

/** One label per event: the status it moved to, or the kind when it moves none (payment_failed). */
function historyOf(st: OrderState): string[] {
  st.historyCache ??= st.events.map((e) => (e.kind === "payment_failed" || e.to === null ? e.kind : e.to));
  return st.historyCache;
}

/**
 * The statuses a subscriber must announce, distinct: it announces an event id (`order.kind`)
 * once, the first time it sees it with a non-null from and to.
 */
function announcementsOf(st: OrderState): string[] {
  const out: string[] = [];
  for (const e of st.events) if (e.from !== null && e.to !== null && !out.includes(e.to)) out.push(e.to);
  return out;
}

function isAccepted(status: number): boolean {
  return status === 201;
}

function is4xx(status: number): boolean {
  return status >= 400 && status <= 499;
}

function describeStatus(status: number): string {
  if (status === 0) return "got no answer";
  if (status === -1) return "was never sent";
  return `was answered ${status}`;
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

// ---------------------------------------------------------------------------------------------
// The checker
// ---------------------------------------------------------------------------------------------

export function check(input: CheckInput): Verdict {
  const lost: Finding[] = [];
  const duplicated: Finding[] = [];
  const invalid: Finding[] = [];
  const unexpected: Finding[] = [];
  const missingNotes: Finding[] = [];
  const duplicatedNotes: Finding[] = [];
  const not4xx: Finding[] = [];

  // --- Requests --------------------------------------------------------------------------------
  const requestsById = new Map<string, RequestRecord[]>();
  let accepted = 0;
  let rejected = 0;
  let invalidRequests = 0;
  for (const r of input.requests) {
    const group = requestsById.get(r.requestId);
    if (group) group.push(r);
    else requestsById.set(r.requestId, [r]);
    if (isAccepted(r.status)) accepted++;
    if (is4xx(r.status)) rejected++;
    if (!r.intendedValid) {
      invalidRequests++;
      if (!is4xx(r.status)) {
        not4xx.push({
          requestId: r.requestId,
          ...(r.orderNumber !== undefined ? { orderNumber: r.orderNumber } : {}),
          reason: `deliberately invalid request ${describeStatus(r.status)}, not a 4xx`,
        });
      }
    }
  }

  // --- The stream: replay each order's history through the state machine ----------------------
  const byOrder = new Map<string, OrderState>();
  let events = 0;
  let poison = 0;
  /** Findings made during the walk get the order's whole history once the walk is over. */
  const pendingHistory: Array<[Finding, OrderState]> = [];
  const violation = (st: OrderState, reason: string): void => {
    const f: Finding = { orderNumber: st.number, reason };
    invalid.push(f);
    pendingHistory.push([f, st]);
  };

  for (const rec of input.stream) {
    const e = rec.event;
    if (!e) {
      poison++;
      continue;
    }
    events++;
    let st = byOrder.get(e.order_number);
    if (!st) {
      st = {
        number: e.order_number,
        events: [],
        status: null,
        kindMask: 0,
        repeats: null,
        requestIds: [],
        paid: false,
        paymentFailed: false,
        announceMask: 0,
        historyCache: null,
        index: byOrder.size,
      };
      byOrder.set(e.order_number, st);
    }
    const kind = e.kind;
    st.events.push(e);
    if (kind === "placed" && typeof e.data?.request_id === "string") st.requestIds.push(e.data.request_id);
    if (e.from !== null && e.to !== null) st.announceMask |= 1 << statusSlot(e.to);

    const bit = KIND_BIT.get(kind);
    if (bit === undefined) {
      violation(st, `event of unknown kind ${String(kind)} at stream seq ${rec.seq}`);
      continue;
    }
    if (st.kindMask & bit) {
      st.repeats ??= new Map();
      st.repeats.set(kind, (st.repeats.get(kind) ?? 1) + 1);
      // The same transition again is a duplicate effect (reported under duplicated), not a new
      // step of the history; a repeat from another status is also replayed below.
      if (st.events.find((x) => x.kind === kind)!.from === e.from) continue;
    } else {
      st.kindMask |= bit;
    }

    const cur = st.status;
    const where = `at stream seq ${rec.seq}`;
    if (kind === "payment_failed") {
      st.paymentFailed = true;
      if (cur !== null && isTerminal(cur)) violation(st, `${EVENT_NAMES[kind]} after the terminal state ${cur} ${where}`);
      else if (cur !== "received" || e.from !== cur) {
        violation(st, `${EVENT_NAMES[kind]} from ${String(e.from)} while the order was ${String(cur)} ${where}`);
      }
      continue;
    }

    const to = EVENT_STATUS[kind]!;
    if (kind === "paid") st.paid = true;
    if (cur !== null && isTerminal(cur)) {
      violation(st, `${EVENT_NAMES[kind]} after the terminal state ${cur} ${where}`);
      continue; // a terminal state is final: the order service refuses anything after it
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
    if (kind === "cancelled" && !st.paymentFailed) problems.push(`cancelled without a ${EVENT_NAMES.payment_failed} before it`);
    if (problems.length > 0) violation(st, `${EVENT_NAMES[kind]} ${where}: ${problems.join("; ")}`);
    // Follow the history forward (even past a skipped step, so one fault is reported once), but
    // an order never moves backwards or repeats a status: the order service refuses that too.
    if (cur === null || RANK[to] > RANK[cur]) st.status = to;
  }

  for (const [f, st] of pendingHistory) f.history = historyOf(st);

  let completed = 0;
  let cancelled = 0;
  let inFlight = 0;
  for (const st of byOrder.values()) {
    if (st.status === "completed") completed++;
    else if (st.status === "cancelled") cancelled++;
    else inFlight++;
    if (st.paid && st.paymentFailed) invalid.push({ orderNumber: st.number, reason: `both ${EVENT_NAMES.paid} and ${EVENT_NAMES.payment_failed}`, history: historyOf(st) });
    if (st.repeats) for (const [kind, n] of st.repeats) {
      duplicated.push({
        orderNumber: st.number,
        reason: `${EVENT_NAMES[kind]} appears ${n} times on the stream`,
        history: historyOf(st),
      });
    }
  }

  // --- Order-service records ---------------------------------------------------------------------
  const recordsByNumber = new Map<string, OrderRecord[]>();
  for (const r of input.orders) {
    const group = recordsByNumber.get(r.number);
    if (group) group.push(r);
    else recordsByNumber.set(r.number, [r]);
  }
  for (const [number, recs] of recordsByNumber) {
    const st = byOrder.get(number);
    if (recs.length > 1) {
      duplicated.push({
        orderNumber: number,
        reason: `${recs.length} order records: ${recs.map((r) => `${r.instance} (request ${r.request_id}, ${r.status})`).join(", ")}`,
        ...(st ? { history: historyOf(st) } : {}),
      });
    }
    if (st && st.status !== null) {
      for (const r of recs) {
        if (r.status !== st.status) {
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

  // --- Which request made which order -----------------------------------------------------------
  const ordersByRequest = new Map<string, string[]>();
  const link = (requestId: string, number: string): void => {
    const list = ordersByRequest.get(requestId);
    if (!list) ordersByRequest.set(requestId, [number]);
    else if (!list.includes(number)) list.push(number);
  };
  for (const st of byOrder.values()) for (const rid of st.requestIds) link(rid, st.number);
  for (const r of input.orders) link(r.request_id, r.number);

  for (const [rid, numbers] of ordersByRequest) {
    if (numbers.length > 1) {
      duplicated.push({ requestId: rid, reason: `request ${rid} made ${numbers.length} orders: ${numbers.join(", ")}` });
    }
  }

  /** Orders that must reach a terminal state: made by a valid request that was sent and not refused, or named by a 201. */
  const tracked = new Set<string>();
  const attribute = (number: string, st: OrderState | undefined, recs: OrderRecord[] | undefined): void => {
    const rids: string[] = [];
    if (st) for (const rid of st.requestIds) if (!rids.includes(rid)) rids.push(rid);
    if (recs) for (const r of recs) if (!rids.includes(r.request_id)) rids.push(r.request_id);
    let legitimate = false;
    for (const rid of rids) {
      const why = whyUnexpected(rid, requestsById.get(rid));
      if (why === null) legitimate = true;
      else unexpected.push({ orderNumber: number, requestId: rid, reason: why, ...(st ? { history: historyOf(st) } : {}) });
    }
    if (legitimate) tracked.add(number);
  };
  for (const [number, st] of byOrder) attribute(number, st, recordsByNumber.get(number));
  for (const [number, recs] of recordsByNumber) if (!byOrder.has(number)) attribute(number, undefined, recs);

  let indeterminate = 0;
  for (const r of input.requests) {
    if (!r.intendedValid) continue;
    if (r.status === 0) {
      if (ordersByRequest.has(r.requestId)) indeterminate++;
      continue;
    }
    if (!isAccepted(r.status)) continue;
    if (r.orderNumber !== undefined) {
      const number = r.orderNumber;
      if (!byOrder.has(number)) {
        unexpected.push({ orderNumber: number, requestId: r.requestId, reason: `a 201 answer named order ${number}, which never appears on the stream` });
      }
      const others: string[] = [];
      for (const rid of byOrder.get(number)?.requestIds ?? []) if (rid !== r.requestId && !others.includes(rid)) others.push(rid);
      for (const rec of recordsByNumber.get(number) ?? []) if (rec.request_id !== r.requestId && !others.includes(rec.request_id)) others.push(rec.request_id);
      if (others.length > 0) {
        unexpected.push({ orderNumber: number, requestId: r.requestId, reason: `a 201 answer to request ${r.requestId} named order ${number}, which request ${others.join(", ")} made` });
      }
      tracked.add(number);
    } else if (!ordersByRequest.has(r.requestId)) {
      lost.push({ requestId: r.requestId, reason: `request ${r.requestId} was accepted (201) but no order with its request id exists` });
    }
  }

  // --- Lost: tracked orders that did not end -----------------------------------------------------
  const drainNote = input.drained ? "" : " (the system did not drain)";
  for (const number of tracked) {
    const st = byOrder.get(number);
    const recs = recordsByNumber.get(number);
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

  // --- Notifications: every subscriber announces every status change exactly once ---------------
  // Counted in a flat array (order index x status) so a run of 500k announcements stays cheap;
  // the lists of what was said are rebuilt only for the orders that have a finding.
  const states = [...byOrder.values()];
  const SLOTS = STATUS_SLOTS;
  for (const [subscriber, announcements] of Object.entries(input.notifications)) {
    const counts = new Uint32Array(states.length * SLOTS);
    const strangers = new Map<string, string[]>();
    for (const [number, status] of announcements) {
      const st = byOrder.get(number);
      if (st) counts[st.index * SLOTS + statusSlot(status)]++;
      else {
        const list = strangers.get(number);
        if (list) list.push(status);
        else strangers.set(number, [status]);
      }
    }
    const flagged = new Map<string, { st: OrderState; said: string[] }>();
    for (const st of states) {
      const base = st.index * SLOTS;
      for (let slot = 0; slot < SLOTS; slot++) {
        const n = counts[base + slot];
        const expected = (st.announceMask & (1 << slot)) !== 0;
        if ((expected && n !== 1) || (!expected && n > 0)) {
          flagged.set(st.number, { st, said: [] });
          break;
        }
      }
    }
    if (flagged.size > 0) {
      for (const [number, status] of announcements) flagged.get(number)?.said.push(status);
      for (const { st, said } of flagged.values()) {
        const announce = announcementsOf(st);
        const missing = announce.filter((x) => !said.includes(x));
        if (missing.length > 0) {
          missingNotes.push({ orderNumber: st.number, subscriber, reason: `${subscriber} never announced ${missing.join(", ")}`, history: said });
        }
        const tally = new Map<string, number>();
        for (const x of said) tally.set(x, (tally.get(x) ?? 0) + 1);
        const extra: string[] = [];
        for (const [x, n] of tally) {
          if (!announce.includes(x)) extra.push(`announced ${x}${n > 1 ? ` ${n} times` : ""}, which is not a status change on the stream`);
          else if (n > 1) extra.push(`announced ${x} ${n} times`);
        }
        if (extra.length > 0) duplicatedNotes.push({ orderNumber: st.number, subscriber, reason: `${subscriber} ${extra.join("; ")}`, history: said });
      }
    }
    for (const [number, said] of strangers) {
      duplicatedNotes.push({ orderNumber: number, subscriber, reason: `${subscriber} announced ${said.join(", ")} for an order the stream never carried`, history: said });
    }
  }

  const valid =
    input.drained &&
    lost.length === 0 &&
    duplicated.length === 0 &&
    invalid.length === 0 &&
    unexpected.length === 0 &&
    missingNotes.length === 0 &&
    duplicatedNotes.length === 0 &&
    not4xx.length === 0;

  return {
    valid,
    lost,
    duplicated,
    invalid,
    unexpected,
    notifications: { missing: missingNotes, duplicated: duplicatedNotes },
    rejections: { total: invalidRequests, not4xx },
    indeterminate,
    counts: {
      requested: input.requests.length,
      accepted,
      rejected,
      completed,
      cancelled,
      inFlight,
      events,
      poison,
    },
  };
}
