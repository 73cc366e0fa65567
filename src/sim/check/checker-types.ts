/** What the checker takes (what the run recorded) and what it returns (the verdict). */
import type { AnyOrderEvent, OrderStatus, OrderType } from "../../services/shared/contracts.js";

/** One HTTP request the load generator planned. */
export interface RequestRecord {
  requestId: string;
  /** false for deliberately invalid requests. */
  intendedValid: boolean;
  /** HTTP status; 0 = no answer (network error / timeout); -1 = never sent. */
  status: number;
  /** From a 201 body. */
  orderNumber?: string;
  /** The JSON body the request sent (valid requests): what its OrderPlaced must carry. */
  body?: string;
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
  // ---- what else the services said, each checked against the stream (absent: not collected) ----
  /** One input per read model (tracking today; restaurant, customer, reporting can plug in). */
  readModels?: ReadModelInput[];
  /** What each notification subscriber printed (its output, not its table), line by line. */
  printed?: Record<string, PrintedLine[]>;
  /** Every charge and refund the payment provider recorded, from every payment instance. */
  ledger?: LedgerEntry[];
  /** The kitchen roster: the order types each worker handles. */
  roster?: ReadonlyArray<{ name: string; types: readonly OrderType[] }>;
}

/** One order as a read model holds it: its status and its history of changes. */
export interface ReadModelOrder {
  number: string;
  status: OrderStatus;
  history: Array<{ from: OrderStatus | null; to: OrderStatus; by: string }>;
}

/** What one read model instance holds, as it answered its control verbs. */
export interface ReadModelInput {
  /** `<service>/<instance>`, e.g. `tracking/tracking-1`. */
  source: string;
  orders?: ReadModelOrder[];
  /** Each kitchen worker's count of orders cooked, as the read model reports it. */
  workers?: Array<{ name: string; ordersCooked: number }>;
}

/** One line a subscriber printed: the seed's line, parsed; `line` alone when it could not be read. */
export type PrintedLine = { orderNumber: string; from: string; to: string; by: string } | { line: string };

/** One entry of the payment provider's ledger. */
export interface LedgerEntry {
  /** The payment instance whose provider recorded it. */
  instance: string;
  kind: "charge" | "refund";
  paymentId: string;
  orderNumber: string;
  amount: number;
  at: string;
}

export interface Finding {
  orderNumber?: string;
  requestId?: string;
  subscriber?: string;
  reason: string;
  /** Which read model, ledger or subscriber output a finding is about, e.g. `tracking/tracking-1`. */
  source?: string;
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
  // ---- read models, printed lines, the payment ledger, payloads ----
  readModels: { stale: Finding[]; wrong: Finding[] };
  /** The notifications pass again, on what each subscriber printed; `wrong`: lines that misstate the change or cannot be read. */
  printed: { missing: Finding[]; duplicated: Finding[]; wrong: Finding[] };
  payments: { chargedTwice: Finding[]; chargedUnknown: Finding[]; chargeWrong: Finding[]; refundUnmatched: Finding[] };
  /** Events whose payload disagrees with the request that made the order or with the order itself. */
  payloadsWrong: Finding[];
  /** How much of each input there was (0: not collected or empty). */
  collected: { readModelOrders: number; printedLines: number; ledgerEntries: number; requestBodies: number };
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
