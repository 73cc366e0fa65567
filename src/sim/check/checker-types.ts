/** What the checker takes (what the run recorded) and what it returns (the verdict). */
import type { AnyOrderEvent, OrderStatus } from "../../services/shared/contracts.js";

/** One HTTP request the load generator planned. */
export interface RequestRecord {
  requestId: string;
  /** false for deliberately invalid requests. */
  intendedValid: boolean;
  /** HTTP status; 0 = no answer (network error / timeout); -1 = never sent. */
  status: number;
  /** From a 201 body. */
  orderNumber?: string;
}

/** A message on the ORDERS stream, in stream order. */
export interface StreamRecord {
  seq: number;
  /** null when the payload was not a valid event (poison). */
  event: AnyOrderEvent | null;
  subject: string;
}

/** What an order-service instance holds (its own SQLite). */
export interface OrderRecord {
  instance: string;
  number: string;
  request_id: string;
  status: OrderStatus;
}

export interface CheckInput {
  requests: RequestRecord[];
  stream: StreamRecord[];
  orders: OrderRecord[];
  /** Every announcement of each subscriber instance, in order: [order number, status]. */
  notifications: Record<string, Array<[orderNumber: string, status: string]>>;
  /** Whether the system reached quiescence before the drain timeout. */
  drained: boolean;
}

export interface Finding {
  orderNumber?: string;
  requestId?: string;
  subscriber?: string;
  reason: string;
  /** The order's history on the stream, e.g. ["received","paid","cooking","cooking"]; for notification findings, what the subscriber announced. */
  history?: string[];
}

export interface Verdict {
  valid: boolean;
  lost: Finding[];
  duplicated: Finding[];
  invalid: Finding[];
  unexpected: Finding[];
  notifications: { missing: Finding[]; duplicated: Finding[] };
  rejections: { total: number; not4xx: Finding[] };
  /** Requests with status 0 whose order was nonetheless created (Jepsen's :info ops). */
  indeterminate: number;
  counts: {
    requested: number;
    accepted: number;
    rejected: number;
    completed: number;
    cancelled: number;
    inFlight: number;
    events: number;
    poison: number;
  };
}
