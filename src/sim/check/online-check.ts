/**
 * The check as the stream is read (issue 14): the same passes as checker.ts, the same verdict,
 * but the ORDERS stream is fed one message at a time (from the timeline on disk, telemetry/
 * recorded.ts) and each order is judged as soon as its last message has gone by; then its events
 * are dropped. What the check holds is then the orders still open (their whole history, as the
 * replay needs it), a batch of ended orders waiting to be judged together, the aggregates, the
 * findings, and a few compact facts per order where a pass needs them across orders (see
 * `OnlineCheck`'s fields and the README's "memory over a long run").
 *
 * An order's last message is known from a first read of the stream (`lastSeqs`): a message after
 * an order's terminal state (a duplicate effect, a history that goes on) is part of its history,
 * so "terminal" alone would not do. Without it, every order is judged at the end, as check() does.
 *
 * The services' accounts (records, announcements, read models, printed lines, the ledger) are asked
 * of the services before the check and stay as they were collected: each pass looks up the ended
 * orders' part of them by order number. What no order on the stream names is judged at the end
 * (online-end.ts). Findings of one kind come in the order their orders ended, not first appeared.
 */
import type { OrderFacts } from "../../services/reporting/figures.js";
import { foldFacts } from "../../services/reporting/figures.js";
import type { CheckInput, Finding, LedgerEntry, OrderRecord, PrintedLine, ReadModelInput, ReadModelOrder, RequestRecord, StreamRecord } from "./checker-types.js";
import type { PassResults } from "./checker.js";
import { attributeOrders } from "./passes/attribution.js";
import { findOpenOrders } from "./passes/lost.js";
import { checkNotifications } from "./passes/notifications.js";
import { historyOf, type OrderState } from "./passes/order-state.js";
import { checkPayloads } from "./passes/payloads.js";
import { checkChargesOf, checkPaidOf, ledgerIndex } from "./passes/payments.js";
import { checkPrinted } from "./passes/printed.js";
import { checkReadModels, readyWorker } from "./passes/read-models.js";
import { checkRecords } from "./passes/records.js";
import { checkRequests, isAccepted, type RequestsPass } from "./passes/requests.js";
import { checkRestaurants } from "./passes/restaurants.js";
import { applyEvent, judgeEnded, newOrderState } from "./passes/stream-replay.js";

/** Everything the checker takes but the stream. */
export type AccountsInput = Omit<CheckInput, "stream">;

/** Ended orders judged together: the passes' fixed costs shared, and never more than this many held. */
export const ONLINE_BATCH = 500;

/** What is kept of an order once it is judged: its position on the stream and the request ids it carried. */
export interface SeenOrder {
  index: number;
  requestIds: string[];
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The findings the passes make order by order, filled batch by batch. */
export function emptyFindings() {
  return {
    walkInvalid: [] as Finding[],
    endInvalid: [] as Finding[],
    streamDuplicated: [] as Finding[],
    recordsDuplicated: [] as Finding[],
    recordsInvalid: [] as Finding[],
    unexpected: [] as Finding[],
    attributionLost: [] as Finding[],
    openLost: [] as Finding[],
    unfinished: [] as Finding[],
    notifications: { missing: [] as Finding[], duplicated: [] as Finding[] },
    printed: { missing: [] as Finding[], duplicated: [] as Finding[], wrong: [] as Finding[] },
    readModels: { stale: [] as Finding[], wrong: [] as Finding[] },
    payments: { chargedTwice: [] as Finding[], chargedUnknown: [] as Finding[], chargeWrong: [] as Finding[], refundUnmatched: [] as Finding[] },
    payloadsWrong: [] as Finding[],
    restaurants: { cookedElsewhere: [] as Finding[], refundsWrong: [] as Finding[] },
  };
}
export type OnlineFindings = ReturnType<typeof emptyFindings>;

/** The services' accounts looked up by order number. */
export class AccountIndex {
  readonly requests: RequestsPass;
  readonly recordsByNumber: Map<string, OrderRecord[]>;
  /** The 201s that name an order, by its number, in request order. */
  readonly namedBy: Map<string, RequestRecord[]>;
  readonly notices: Array<[subscriber: string, byNumber: Map<string, string[]>]>;
  readonly printedBy: Array<[subscriber: string, byNumber: Map<string, PrintedLine[]>]>;
  readonly heldBy: Array<{ input: ReadModelInput; byNumber: Map<string, ReadModelOrder[]> }>;
  readonly ledger: ReturnType<typeof ledgerIndex> | null;
  readonly refundsBy: Map<string, LedgerEntry[]>;
  /** Orders a cart request names: kept whole for the checkouts pass. */
  readonly cartNumbers: Set<string>;

  constructor(readonly input: AccountsInput) {
    this.requests = checkRequests(input.requests);
    this.recordsByNumber = groupBy(input.orders, (r) => r.number);
    this.namedBy = groupBy(input.requests, (r) => (isAccepted(r.status) && r.orderNumber !== undefined ? r.orderNumber : undefined));
    this.notices = Object.entries(input.notifications).map(([s, list]) => [s, groupMap(list)]);
    this.printedBy = Object.entries(input.printed ?? {}).map(([s, list]) => [s, groupBy(list, (p) => ("line" in p ? undefined : p.orderNumber))]);
    this.heldBy = (input.readModels ?? []).map((i) => ({ input: i, byNumber: groupBy(i.orders ?? [], (o) => o.number) }));
    this.ledger = input.ledger ? ledgerIndex(input.ledger) : null;
    this.refundsBy = groupBy(input.ledger ?? [], (e) => (e.kind === "refund" ? e.orderNumber : undefined));
    this.cartNumbers = new Set(input.requests.flatMap((r) => (r.cart && r.orderNumber !== undefined ? [r.orderNumber] : [])));
  }
}

function groupMap(list: ReadonlyArray<[string, string]>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [number, status] of list) {
    const said = out.get(number);
    if (said) said.push(status);
    else out.set(number, [status]);
  }
  return out;
}

/** Whether the checkouts pass needs the order whole: it carries a customer, or a cart request names it. */
function keptWhole(st: OrderState, cartNumbers: ReadonlySet<string>): boolean {
  if (cartNumbers.has(st.number)) return true;
  const placed = st.events.find((e) => e.kind === "placed");
  return placed !== undefined && placed.kind === "placed" && typeof placed.data.customer_id === "string";
}

export class OnlineCheck {
  private readonly accounts: AccountIndex;
  private readonly catchingUp: boolean;
  /** The orders whose last message has not gone by: their whole history. */
  private readonly open = new Map<string, OrderState>();
  /** Ended orders waiting to be judged (fewer than `batchSize`). */
  private batch: OrderState[] = [];
  /** Every order the stream carried, judged or not: ~100 bytes each (the one thing that grows with the orders, besides `kept`). */
  readonly seen = new Map<string, SeenOrder>();
  /** Customer and cart orders, whole, for the checkouts pass at the end. */
  readonly kept: OrderState[] = [];
  /** Each order's reporting facts, when a reporting instance is to be compared (~200 bytes an order). */
  readonly facts: Array<[index: number, facts: OrderFacts]> = [];
  readonly cookedBy = new Map<string, number>();
  readonly poison: StreamRecord[] = [];
  readonly findings = emptyFindings();
  readonly counts = { events: 0, poison: 0, completed: 0, cancelled: 0, inFlight: 0 };
  private firstSeq: number | null = null;
  private readonly pendingHistory = new Map<OrderState, Finding[]>();
  private heldMax = 0;

  /** `lastSeq`: each order's last ORDERS sequence (lastSeqs): an order is judged once it has gone by; absent, at the end. */
  constructor(
    input: AccountsInput,
    private readonly lastSeq: Map<string, number> | null = null,
    private readonly batchSize = ONLINE_BATCH,
  ) {
    this.accounts = new AccountIndex(input);
    this.catchingUp = !input.drained && input.stillFinishing === true;
  }

  get index(): AccountIndex {
    return this.accounts;
  }

  /** Orders whose events are held now (open, or ended and waiting for their batch). */
  get held(): number {
    return this.open.size + this.batch.length;
  }

  /** The most `held` has been. */
  get maxHeld(): number {
    return this.heldMax;
  }

  /** Whether the stream given began at seq 1 (or was empty): an order missing from it was never on it. */
  get fromStart(): boolean {
    return this.firstSeq === null || this.firstSeq === 1;
  }

  add(rec: StreamRecord): void {
    this.firstSeq ??= rec.seq;
    const e = rec.event;
    if (!e) {
      this.counts.poison++;
      this.poison.push(rec);
      return;
    }
    this.counts.events++;
    let st = this.open.get(e.order_number);
    if (!st) {
      // An order judged already cannot come back unless the two reads of the stream differed;
      // it is then replayed afresh from here (its findings as from a history that starts here).
      st = newOrderState(e.order_number, this.seen.size);
      this.open.set(e.order_number, st);
      this.seen.set(e.order_number, { index: st.index, requestIds: st.requestIds });
      this.heldMax = Math.max(this.heldMax, this.held);
    }
    applyEvent(st, e, rec.seq, (o, reason) => {
      const f: Finding = { orderNumber: o.number, reason };
      this.findings.walkInvalid.push(f);
      const pending = this.pendingHistory.get(o);
      if (pending) pending.push(f);
      else this.pendingHistory.set(o, [f]);
    });
    if (this.lastSeq?.get(e.order_number) === rec.seq) this.ended(st);
  }

  /** The stream is over: every order still open is judged (in stream order), then what no order names (online-end.ts). */
  finishStream(): void {
    for (const st of [...this.open.values()]) this.ended(st);
    this.judgeBatch();
  }

  private ended(st: OrderState): void {
    this.open.delete(st.number);
    this.lastSeq?.delete(st.number);
    this.batch.push(st);
    if (this.batch.length >= this.batchSize) this.judgeBatch();
  }

  private judgeBatch(): void {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const globalIndex = batch.map((st) => st.index);
    // The notifications pass counts in a flat array by order index: the batch's own positions.
    batch.forEach((st, i) => (st.index = i));
    const replayed = new Map(batch.map((st) => [st.number, st]));
    this.judgeStream(batch);
    this.judgeRecords(batch, replayed);
    this.judgeAccounts(batch, replayed);
    batch.forEach((st, i) => {
      st.index = globalIndex[i];
      if (keptWhole(st, this.accounts.cartNumbers)) this.kept.push(st);
    });
  }

  private judgeStream(batch: OrderState[]): void {
    const f = this.findings;
    for (const st of batch) {
      const end = judgeEnded(st, f.endInvalid, f.streamDuplicated);
      this.counts[end]++;
      const pending = this.pendingHistory.get(st);
      if (pending) {
        for (const x of pending) x.history = historyOf(st);
        this.pendingHistory.delete(st);
      }
      const worker = readyWorker(st);
      if (worker !== null) this.cookedBy.set(worker, (this.cookedBy.get(worker) ?? 0) + 1);
      if ((this.accounts.input.reports ?? []).length > 0) {
        const facts = foldFacts(st.events).get(st.number);
        if (facts) this.facts.push([st.index, facts]);
      }
    }
  }

  /** The records, attribution and lost passes for the batch's orders. */
  private judgeRecords(batch: OrderState[], replayed: Map<string, OrderState>): void {
    const a = this.accounts;
    const f = this.findings;
    const input = a.input;
    const recordsByNumber = new Map<string, OrderRecord[]>();
    const records: OrderRecord[] = [];
    const naming: RequestRecord[] = [];
    for (const st of batch) {
      const recs = a.recordsByNumber.get(st.number);
      if (recs) {
        recordsByNumber.set(st.number, recs);
        records.push(...recs);
      }
      naming.push(...(a.namedBy.get(st.number) ?? []));
    }
    const r = checkRecords(records, replayed, { catchingUp: this.catchingUp });
    f.recordsDuplicated.push(...r.duplicated);
    f.recordsInvalid.push(...r.invalid);
    const attribution = attributeOrders({ requests: naming, requestsById: a.requests.byId, replayed, records, recordsByNumber });
    f.unexpected.push(...attribution.unexpected);
    f.attributionLost.push(...attribution.lost);
    const open = findOpenOrders({ requests: [], ordersByRequest: attribution.ordersByRequest, tracked: attribution.tracked, replayed, recordsByNumber, drained: input.drained, stillFinishing: input.stillFinishing ?? false });
    f.openLost.push(...open.lost);
    f.unfinished.push(...open.unfinished);
  }

  /** What the other services say about the batch's orders: announcements, printed lines, read models, the ledger, payloads. */
  private judgeAccounts(batch: OrderState[], replayed: Map<string, OrderState>): void {
    const a = this.accounts;
    const f = this.findings;
    const input = a.input;
    const said: CheckInput["notifications"] = {};
    for (const [subscriber, byNumber] of a.notices) said[subscriber] = batch.flatMap((st) => (byNumber.get(st.number) ?? []).map((s): [string, string] => [st.number, s]));
    const n = checkNotifications(said, replayed);
    f.notifications.missing.push(...n.missing);
    f.notifications.duplicated.push(...n.duplicated);
    const printed: Record<string, PrintedLine[]> = {};
    for (const [subscriber, byNumber] of a.printedBy) printed[subscriber] = batch.flatMap((st) => byNumber.get(st.number) ?? []);
    const p = checkPrinted(printed, replayed);
    f.printed.missing.push(...p.missing);
    f.printed.duplicated.push(...p.duplicated);
    f.printed.wrong.push(...p.wrong);
    const held = a.heldBy.map(({ input: i, byNumber }) => ({ source: i.source, ...(i.orders ? { orders: batch.flatMap((st) => byNumber.get(st.number) ?? []) } : {}) }));
    const rm = checkReadModels(held, replayed, this.fromStart);
    f.readModels.stale.push(...rm.stale);
    f.readModels.wrong.push(...rm.wrong);
    if (a.ledger) {
      for (const st of batch) {
        const charges = a.ledger.byOrder.get(st.number);
        if (charges) checkChargesOf(st.number, charges, st, a.ledger.refunded, f.payments);
      }
      for (const st of batch) checkPaidOf(st, a.ledger.charges, f.payments);
    }
    f.payloadsWrong.push(...checkPayloads({ requestsById: a.requests.byId, replayed, roster: input.roster }));
    const refunds = input.ledger ? batch.flatMap((st) => a.refundsBy.get(st.number) ?? []) : undefined;
    const rs = checkRestaurants({ replayed, roster: input.roster, ledger: refunds, drained: input.drained });
    f.restaurants.cookedElsewhere.push(...rs.cookedElsewhere);
    f.restaurants.refundsWrong.push(...rs.refundsWrong);
  }
}

/** Each order's last ORDERS sequence, from a first read of the stream. */
export async function lastSeqs(stream: AsyncIterable<StreamRecord> | Iterable<StreamRecord>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const rec of stream) if (rec.event) out.set(rec.event.order_number, rec.seq);
  return out;
}

export type { PassResults };
