import type { AnyOrderEvent } from "../../services/shared/contracts.js";
import type { Stage } from "./run-events.js";

interface Entry {
  requestId: string | null;
  terminal: boolean;
  /** Load offsets: when the harness first knew of it, and when it finished. */
  createdAtMs: number;
  finishedAtMs: number | null;
}

/**
 * What the harness knows about each order of this run, joined from both sides: the requests it
 * sent (request id -> scheduled time) and the events it saw (order number -> request id, stage).
 * It answers "how long did this order take from its scheduled time" and "how many are in flight".
 */
export class OrderLedger {
  private readonly scheduled = new Map<string, number>();
  private readonly orders = new Map<string, Entry>();
  private readonly adoptedRequests: Array<{ requestId: string; orderNumber: string }> = [];
  private open = 0;

  /**
   * @param adopt take in every order placed on the stream, not only this run's requests (`up`,
   *   where orders come from curl or other clients): its clock starts when it is placed.
   */
  constructor(private readonly adopt = false) {}

  /** Orders this ledger took in without a request of its own (`adopt`). */
  get adopted(): ReadonlyArray<{ requestId: string; orderNumber: string }> {
    return this.adoptedRequests;
  }

  /** A request went out (or is about to): remember when it was due. */
  planned(requestId: string, scheduledMs: number): void {
    this.scheduled.set(requestId, scheduledMs);
  }

  /** A 201 named an order number. */
  accepted(orderNumber: string, requestId: string, atMs: number): void {
    this.entry(orderNumber, requestId, atMs);
  }

  /**
   * An event from the stream. Returns the stage it marks (null for PaymentFailed, the restaurant's
   * answer, OrderRefunded and foreign orders) and, for ready/completed, the time since the request was due.
   */
  event(e: AnyOrderEvent, atMs: number): { stage: Stage | null; sinceScheduledMs: number | null } {
    if (e.kind === "placed") {
      if (!this.scheduled.has(e.data.request_id)) {
        if (!this.adopt) return { stage: null, sinceScheduledMs: null }; // not ours
        this.scheduled.set(e.data.request_id, atMs);
        this.adoptedRequests.push({ requestId: e.data.request_id, orderNumber: e.order_number });
      }
      this.entry(e.order_number, e.data.request_id, atMs);
    }
    const entry = this.orders.get(e.order_number);
    if (!entry) return { stage: null, sinceScheduledMs: null };
    // Steps that are not a stage of the dashboard's pipeline (the restaurant's answer, the saga's compensations).
    if (e.kind === "payment_failed" || e.kind === "accepted" || e.kind === "rejected" || e.kind === "refunded") return { stage: null, sinceScheduledMs: null };
    if ((e.kind === "completed" || e.kind === "cancelled") && !entry.terminal) {
      entry.terminal = true;
      entry.finishedAtMs = atMs;
      this.open--;
    }
    const due = entry.requestId !== null ? this.scheduled.get(entry.requestId) : undefined;
    const since = (e.kind === "ready" || e.kind === "completed") && due !== undefined ? atMs - due : null;
    return { stage: e.kind, sinceScheduledMs: since };
  }

  /** Orders accepted or created by this run and not yet completed or cancelled. */
  get inFlight(): number {
    return this.open;
  }

  /** Orders of this run completed or cancelled so far (never goes down: what a drain watches for progress). */
  get finished(): number {
    return this.orders.size - this.open;
  }

  get known(): number {
    return this.orders.size;
  }

  /** Orders alive at some point in [fromMs, toMs]: in flight when it began, or created during it. */
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
    } else if (entry.requestId === null) {
      entry.requestId = requestId;
    }
    return entry;
  }
}
