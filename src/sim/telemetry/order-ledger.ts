import type { AnyOrderEvent } from "../../services/shared/contracts.js";
import type { Stage } from "./run-events.js";

interface Entry {
  requestId: string | null;
  terminal: boolean;
  /** Load offsets: when the harness first knew of it, and when it finished. */
  createdAtMs: number;
  finishedAtMs: number | null;
}

/** How long a finished order is still recognised (a late 201, a redelivered event): two generations of this. */
const FINISHED_GENERATION_MS = 150_000;

export interface LedgerHooks {
  /** An order placed by someone else was taken in (`adopt`): the checker judges it as if a 201 of ours had made it. */
  onAdopt?(requestId: string, orderNumber: string): void;
  /** The fault windows so far (load offsets): a finished order that overlaps one is kept for its recovery figures. */
  faults?(): ReadonlyArray<{ startedAtMs: number; endedAtMs: number | null }>;
}

/**
 * What the harness knows about each order of this run, joined from both sides: the requests it
 * sent (request id -> scheduled time) and the events it saw (order number -> request id, stage).
 * It answers "how long did this order take from its scheduled time" and "how many are in flight".
 *
 * It holds the orders still open, not every order of the run: a finished order is forgotten
 * (recognised a few minutes more, for a late 201 or a redelivered event), unless a fault window
 * overlaps it (the report counts the orders each fault touched). Its memory follows what is in
 * flight, not how long the run is.
 */
export class OrderLedger {
  private readonly scheduled = new Map<string, number>();
  private readonly orders = new Map<string, Entry>();
  private adoptedCount = 0;
  /** Request ids of the adopted orders still open (an open order of someone else's: not the harness's staff's to answer). */
  private readonly adoptedOpen = new Set<string>();
  private open = 0;
  private created = 0;
  private finishedNow = new Set<string>();
  private finishedBefore = new Set<string>();
  private generationStartMs = 0;

  /**
   * @param adopt take in every order placed on the stream, not only this run's requests (`up`,
   *   where orders come from curl or other clients): its clock starts when it is placed.
   */
  constructor(
    private readonly adopt = false,
    private readonly hooks: LedgerHooks = {},
  ) {}

  /** How many orders this ledger took in without a request of its own (`adopt`). */
  get adopted(): number {
    return this.adoptedCount;
  }

  /** A request went out (or is about to): remember when it was due. */
  planned(requestId: string, scheduledMs: number): void {
    this.scheduled.set(requestId, scheduledMs);
  }

  /** A request was refused (4xx): it makes no order, its due time is not needed. */
  refused(requestId: string): void {
    this.scheduled.delete(requestId);
  }

  /** A 201 named an order number. */
  accepted(orderNumber: string, requestId: string, atMs: number): void {
    if (this.recentlyFinished(orderNumber)) return; // the answer came after the order's end
    this.entry(orderNumber, requestId, atMs);
  }

  /**
   * An event from the stream. Returns the stage it marks (null for PaymentFailed, the restaurant's
   * answer, OrderRefunded and foreign orders) and, for ready/completed, the time since the request was due.
   */
  event(e: AnyOrderEvent, atMs: number): { stage: Stage | null; sinceScheduledMs: number | null } {
    const finishedBefore = !this.orders.has(e.order_number) && this.recentlyFinished(e.order_number);
    if (finishedBefore) return { stage: stageOf(e.kind), sinceScheduledMs: null }; // an event again, after the end
    if (e.kind === "placed") {
      if (!this.scheduled.has(e.data.request_id)) {
        if (!this.adopt) return { stage: null, sinceScheduledMs: null }; // not ours
        this.scheduled.set(e.data.request_id, atMs);
        this.adoptedCount++;
        this.adoptedOpen.add(e.data.request_id);
        this.hooks.onAdopt?.(e.data.request_id, e.order_number);
      }
      this.entry(e.order_number, e.data.request_id, atMs);
    }
    const entry = this.orders.get(e.order_number);
    if (!entry) return { stage: null, sinceScheduledMs: null };
    const stage = stageOf(e.kind);
    if (stage === null) return { stage: null, sinceScheduledMs: null };
    const due = entry.requestId !== null ? this.scheduled.get(entry.requestId) : undefined;
    const since = (e.kind === "ready" || e.kind === "completed") && due !== undefined ? atMs - due : null;
    if ((e.kind === "completed" || e.kind === "cancelled") && !entry.terminal) this.finish(e.order_number, entry, atMs);
    return { stage, sinceScheduledMs: since };
  }

  /** The order reached its end: forget it, unless a fault window overlaps its life. */
  private finish(orderNumber: string, entry: Entry, atMs: number): void {
    entry.terminal = true;
    entry.finishedAtMs = atMs;
    this.open--;
    if (entry.requestId !== null) {
      this.scheduled.delete(entry.requestId);
      this.adoptedOpen.delete(entry.requestId);
    }
    const touched = (this.hooks.faults?.() ?? []).some((f) => f.startedAtMs <= atMs && (f.endedAtMs === null || f.endedAtMs >= entry.createdAtMs));
    if (touched) return;
    this.orders.delete(orderNumber);
    if (atMs - this.generationStartMs > FINISHED_GENERATION_MS) {
      this.finishedBefore = this.finishedNow;
      this.finishedNow = new Set();
      this.generationStartMs = atMs;
    }
    this.finishedNow.add(orderNumber);
  }

  private recentlyFinished(orderNumber: string): boolean {
    return this.finishedNow.has(orderNumber) || this.finishedBefore.has(orderNumber);
  }

  /** An open order someone else placed (the customer page, curl), taken in by `adopt`. */
  placedElsewhere(orderNumber: string): boolean {
    const rid = this.orders.get(orderNumber)?.requestId;
    return rid !== null && rid !== undefined && this.adoptedOpen.has(rid);
  }

  /** An order of this run (or adopted by it). */
  has(orderNumber: string): boolean {
    return this.orders.has(orderNumber);
  }

  get inFlight(): number {
    return this.open;
  }

  /** Orders of this run completed or cancelled so far (never goes down: what a drain watches for progress). */
  get finished(): number {
    return this.created - this.open;
  }

  get known(): number {
    return this.created;
  }

  /** Orders alive at some point in [fromMs, toMs] (a fault's window): in flight when it began, or created during it. */
  aliveDuring(fromMs: number, toMs: number): Set<string> {
    const out = new Set<string>();
    for (const [number, e] of this.orders) {
      if (e.createdAtMs <= toMs && (e.finishedAtMs === null || e.finishedAtMs >= fromMs)) out.add(number);
    }
    return out;
  }

  private entry(orderNumber: string, requestId: string, atMs: number): Entry {
    let entry = this.orders.get(orderNumber);
    if (!entry) {
      entry = { requestId, terminal: false, createdAtMs: atMs, finishedAtMs: null };
      this.orders.set(orderNumber, entry);
      this.open++;
      this.created++;
    } else if (entry.requestId === null) {
      entry.requestId = requestId;
    }
    return entry;
  }
}

/** The dashboard's pipeline stage an event marks; null for steps that are not one (the restaurant's answer, the saga's compensations). */
function stageOf(kind: AnyOrderEvent["kind"]): Stage | null {
  return kind === "payment_failed" || kind === "accepted" || kind === "rejected" || kind === "refunded" ? null : kind;
}
