/**
 * The end of the online check (online-check.ts): once every order on the stream is judged, what
 * the run's accounts say of orders the stream never carried, the facts across orders (a request
 * that made two orders, requests that made none, each worker's count, the checkouts, the
 * reports, the poison), and the pass results check() would have made, for verdictOf().
 */
import type { CheckInput, StreamRecord, Verdict } from "./checker-types.js";
import { verdictOf, type PassResults } from "./checker.js";
import { lastSeqs, OnlineCheck, type AccountsInput } from "./online-check.js";
import { attributeOrders } from "./passes/attribution.js";
import { checkCheckouts } from "./passes/checkouts.js";
import { checkDeadLetters } from "./passes/dead-letters.js";
import { checkJourneys } from "./passes/journeys.js";
import { findOpenOrders } from "./passes/lost.js";
import { checkNotifications } from "./passes/notifications.js";
import type { OrderState } from "./passes/order-state.js";
import { checkChargesOf } from "./passes/payments.js";
import { checkPrinted } from "./passes/printed.js";
import { checkReadModels, checkWorkers } from "./passes/read-models.js";
import { checkRecords } from "./passes/records.js";
import { checkReportsOfFacts } from "./passes/reports.js";
import { isAccepted } from "./passes/requests.js";
import { checkRestaurants } from "./passes/restaurants.js";
import { checkSilent } from "./passes/silent.js";

const NONE: ReadonlyMap<string, OrderState> = new Map();

/** The verdict of an online check whose stream is over (finishStream called). */
export function onlineVerdict(online: OnlineCheck, input: AccountsInput): Verdict {
  return verdictOf(input, onlinePasses(online, input));
}

/** Request id -> the orders it made (stream first, in stream order, then records), as the attribution pass builds it. */
function ordersByRequest(online: OnlineCheck, input: AccountsInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const link = (requestId: string, number: string): void => {
    const list = out.get(requestId);
    if (!list) out.set(requestId, [number]);
    else if (!list.includes(number)) list.push(number);
  };
  const seen = [...online.seen].sort((a, b) => a[1].index - b[1].index);
  for (const [number, s] of seen) for (const rid of s.requestIds) link(rid, number);
  for (const r of input.orders) link(r.request_id, r.number);
  return out;
}

function unseenPasses(online: OnlineCheck, input: AccountsInput) {
  const a = online.index;
  const unseen = (n: string) => !online.seen.has(n);
  const records = input.orders.filter((r) => unseen(r.number));
  const recordsByNumber = new Map([...a.recordsByNumber].filter(([n]) => unseen(n)));
  const naming = input.requests.filter((r) => isAccepted(r.status) && r.orderNumber !== undefined && unseen(r.orderNumber));
  const recs = checkRecords(records, NONE, { catchingUp: !input.drained && input.stillFinishing === true });
  const attribution = attributeOrders({ requests: naming, requestsById: a.requests.byId, replayed: NONE, records, recordsByNumber });
  const byRequest = ordersByRequest(online, input);
  const open = findOpenOrders({ requests: input.requests, ordersByRequest: byRequest, tracked: attribution.tracked, replayed: NONE, recordsByNumber, drained: input.drained, stillFinishing: input.stillFinishing ?? false });
  const duplicated = [];
  for (const [rid, numbers] of byRequest) if (numbers.length > 1) duplicated.push({ requestId: rid, reason: `request ${rid} made ${numbers.length} orders: ${numbers.join(", ")}` });
  let indeterminate = 0;
  for (const r of input.requests) if (r.intendedValid && r.status === 0 && byRequest.has(r.requestId)) indeterminate++;
  return { recs, attribution, open, duplicated, indeterminate };
}

/** What the subscribers, read models, ledger and restaurants say of orders the stream never carried. */
function unseenAccounts(online: OnlineCheck, input: AccountsInput): void {
  const f = online.findings;
  const unseen = (n: string) => !online.seen.has(n);
  const strangers: Record<string, Array<[string, string]>> = {};
  for (const [subscriber, list] of Object.entries(input.notifications)) strangers[subscriber] = list.filter(([n]) => unseen(n));
  f.notifications.duplicated.push(...checkNotifications(strangers, NONE).duplicated);
  const printed = Object.fromEntries(Object.entries(input.printed ?? {}).map(([s, list]) => [s, list.filter((p) => "line" in p || unseen(p.orderNumber))]));
  const p = checkPrinted(printed, NONE);
  f.printed.duplicated.push(...p.duplicated);
  f.printed.wrong.unshift(...p.wrong);
  const held = (input.readModels ?? []).map((i) => ({ source: i.source, ...(i.orders ? { orders: i.orders.filter((o) => unseen(o.number)) } : {}) }));
  f.readModels.wrong.push(...checkReadModels(held, NONE, online.fromStart).wrong);
  for (const i of input.readModels ?? []) if (i.workers) checkWorkers(i.source, i.workers, online.cookedBy, online.fromStart, f.readModels.stale, f.readModels.wrong);
  const ledger = online.index.ledger;
  if (ledger) {
    f.payments.refundUnmatched.unshift(...ledger.refundUnmatched);
    for (const [number, list] of ledger.byOrder) if (unseen(number)) checkChargesOf(number, list, undefined, ledger.refunded, f.payments);
  }
  if (input.ledger) {
    const refunds = input.ledger.filter((e) => e.kind === "refund" && unseen(e.orderNumber));
    f.restaurants.refundsWrong.push(...checkRestaurants({ replayed: NONE, roster: input.roster, ledger: refunds, drained: input.drained }).refundsWrong);
  }
}

/** Every pass's result, as check() makes them, from the online check's findings and what is left. */
export function onlinePasses(online: OnlineCheck, input: AccountsInput): PassResults {
  const f = online.findings;
  const u = unseenPasses(online, input);
  unseenAccounts(online, input);
  const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;
  const kept = new Map([...online.kept].sort(byIndex).map((st): [string, OrderState] => [st.number, st]));
  const facts = [...online.facts].sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  const readModelOrders = (input.readModels ?? []).reduce((n, i) => n + (i.orders?.length ?? 0), 0);
  const printedLines = Object.values(input.printed ?? {}).reduce((n, list) => n + list.length, 0);
  return {
    requests: online.index.requests,
    stream: { ...online.counts, invalid: [...f.walkInvalid, ...f.endInvalid], duplicated: f.streamDuplicated },
    records: { duplicated: [...f.recordsDuplicated, ...u.recs.duplicated], invalid: [...f.recordsInvalid, ...u.recs.invalid] },
    attribution: { duplicated: u.duplicated, unexpected: [...f.unexpected, ...u.attribution.unexpected], lost: [...f.attributionLost, ...u.attribution.lost], indeterminate: u.indeterminate },
    open: { lost: [...u.open.lost, ...f.openLost], unfinished: [...f.unfinished, ...u.open.unfinished] },
    notifications: f.notifications,
    deadLetters: checkDeadLetters(input.deadLetters, online.poison),
    silent: checkSilent(input.silent),
    readModels: { ...f.readModels, orders: readModelOrders },
    printed: { ...f.printed, lines: printedLines },
    payments: f.payments,
    payloadsWrong: f.payloadsWrong,
    checkouts: checkCheckouts(input.customers, input.requests, kept, input.drained),
    restaurants: f.restaurants,
    reports: checkReportsOfFacts(input.reports ?? [], facts, input.drained),
    // A journey's orders carry its customer, so they are among those kept whole.
    journeys: checkJourneys(input.journeys ?? [], kept, input.drained),
  };
}

/** check() done online over a stream in memory (tests, and a run whose stream is at hand): the stream read twice, as from disk. */
export function checkOnline(input: CheckInput, batchSize?: number): { verdict: Verdict; online: OnlineCheck } {
  const lastSeq = new Map<string, number>();
  for (const rec of input.stream) if (rec.event) lastSeq.set(rec.event.order_number, rec.seq);
  const { stream, ...accounts } = input;
  const online = new OnlineCheck(accounts, lastSeq, batchSize);
  for (const rec of stream) online.add(rec);
  online.finishStream();
  return { verdict: onlineVerdict(online, accounts), online };
}

/** The same from a stream read twice from wherever it is kept (telemetry/recorded.ts: the timeline on disk). */
export async function checkStreamed(accounts: AccountsInput, read: () => AsyncIterable<StreamRecord>): Promise<{ verdict: Verdict; online: OnlineCheck }> {
  const online = new OnlineCheck(accounts, await lastSeqs(read()));
  for await (const rec of read()) online.add(rec);
  online.finishStream();
  return { verdict: onlineVerdict(online, accounts), online };
}
