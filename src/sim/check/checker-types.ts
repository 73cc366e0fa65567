/** What the checker takes (what the run recorded) and what it returns (the verdict). */
import type { AnyOrderEvent, OrderStatus, OrderType } from "../../services/shared/contracts.js";
import type { CartLineRequest, RestaurantDefinition } from "../../services/shared/menus.js";
import type { Reports } from "../../services/reporting/figures.js";
import type { JourneyRecord } from "../load/journey-record.js";

export type { JourneyRecord } from "../load/journey-record.js";

/** What one reporting instance answered: every report (its control verb `reports`). */
export interface ReportsInput {
  /** `reporting/<instance>`. */
  source: string;
  reports: Reports;
}

/** The reports pass's result. */
export interface ReportsPass {
  /** Figures a report gives that the stream does not (at most 50 per source). */
  wrong: Finding[];
  /** What the stream says: the reports the run's report carries (null: no reporting instance was asked). */
  expected: Reports | null;
}

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
  /** Why its 5xx is not a finding: a fault the run injected refused it, as it should have (a 503 `storage_full` in a disk_full window). */
  explainedBy?: string;
  /** Sent through a cart: its restaurant and the lines put in it; the order's total must be theirs priced by the menu. */
  cart?: { restaurant_id: string; lines: CartLineRequest[] };
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

  // What the run saw besides the orders (issue 13). Each is optional so a hand-made input can
  // leave out what did not happen: absent means none of it.
  /**
   * When the drain timed out: whether orders were still finishing in its last stretch. Then an
   * order that is short of its end but can still get there is unfinished, not lost.
   */
  stillFinishing?: boolean;
  /** The dead-letter side of the run: what it injected, who should have dead-lettered it, what was dead-lettered. */
  deadLetters?: DeadLetterInput;
  /** Instances that did not answer the harness's questions (their account is missing from `orders` / `notifications`). */
  silent?: SilentInstance[];
  // ---- what else the services said, each checked against the stream (absent: not collected) ----
  /** One input per read model (tracking today; restaurant, customer, reporting can plug in). */
  readModels?: ReadModelInput[];
  /** What each notification subscriber printed (its output, not its table), line by line. */
  printed?: Record<string, PrintedLine[]>;
  /** Every charge and refund the payment provider recorded, from every payment instance. */
  ledger?: LedgerEntry[];
  /** The kitchen roster: the order types each worker handles, and its restaurant (none: the default one). */
  roster?: ReadonlyArray<{ name: string; types: readonly OrderType[]; restaurant?: string }>;
  /** The customer side: the checkouts on the CUSTOMERS stream, each customer read model, the menus (absent: no customer service). */
  customers?: CustomersInput;
  /** What each reporting instance answered (every report), to compare with the stream. */
  reports?: ReportsInput[];
  /** The customers' journeys of the run (`journeys:`), as each journey saw itself: the journeys pass. */
  journeys?: JourneyRecord[];
}


/** What the customer services said, for the checkouts pass. */
export interface CustomersInput {
  /** Every CartCheckedOut on the CUSTOMERS stream. */
  checkouts: Array<{ customerId: string; cartId: string; orderNumber: string; checkoutKey: string; restaurantId: string; total: number }>;
  /** What each customer instance's orders endpoint lists. */
  views: Array<{ source: string; orders: Array<{ orderNumber: string; customerId: string; status: OrderStatus; totalAmount: number }> }>;
  /** The restaurants as the restaurants bucket held them at the end. */
  restaurants: RestaurantDefinition[];
}

/** A message a consumer gave up on (a dead letter on the DLQ stream). */
export interface DeadLetterRecord {
  consumer: string;
  /** The ORDERS subject and sequence of the message it gave up on. */
  subject: string;
  streamSeq: number;
  reason: string;
  /** The order the message was about, when its payload names one. */
  orderNumber?: string;
}

/** A malformed message the run published on purpose (the `poison` fault). */
export interface InjectedPoison {
  /** Its msgID. */
  id: string;
  /** Its ORDERS sequence (from the publish ack). */
  seq: number;
  subject: string;
}

/** A durable consumer of ORDERS that belongs to the system under test. */
export interface ConsumerRecord {
  name: string;
  /** Its filter subject, as the broker holds it. */
  filter: string;
  /** Its filter subjects when it has several (filter_subjects, 2.10+): it receives what matches any. */
  filters?: string[];
  /** Set when it takes only the messages of one origin (an order instance skips the others' undecoded). */
  origin?: string;
}

export interface DeadLetterInput {
  letters: DeadLetterRecord[];
  injected: InjectedPoison[];
  consumers: ConsumerRecord[];
}

export interface SilentInstance {
  service: "order" | "notification";
  instance: string;
  /** What went wrong when it was asked. */
  error: string;
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
  /** For dead-letter and poison findings: the consumer and the ORDERS sequence concerned. */
  consumer?: string;
  streamSeq?: number;
  /** For an instance that did not answer: which one. */
  instance?: string;
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

  // Issue 13: what a run may not leave unexplained (each fails the verdict).
  /** Orders short of their end when the drain timed out while orders were still finishing: slow, not lost. */
  unfinished: Finding[];
  /** Valid requests answered with a 5xx. */
  serverErrors: Finding[];
  /** Dead letters the run did not cause (not of a message it injected as poison). */
  deadLettered: Finding[];
  /** Poison on ORDERS nobody injected, or injected poison not dead-lettered exactly once by each consumer that sees it. */
  poisonUnhandled: Finding[];
  /** Notification subscribers that did not say what they announced. */
  subscribersSilent: Finding[];
  /** Order-service instances that did not say what they hold (their orders show as lost). */
  orderInstancesSilent: Finding[];

  // ---- read models, printed lines, the payment ledger, payloads ----
  readModels: { stale: Finding[]; wrong: Finding[] };
  /** The notifications pass again, on what each subscriber printed; `wrong`: lines that misstate the change or cannot be read. */
  printed: { missing: Finding[]; duplicated: Finding[]; wrong: Finding[] };
  payments: { chargedTwice: Finding[]; chargedUnknown: Finding[]; chargeWrong: Finding[]; refundUnmatched: Finding[] };
  /** Events whose payload disagrees with the request that made the order or with the order itself. */
  payloadsWrong: Finding[];
  /** Carts: checkouts without exactly their one order, orders not priced by the menu, customer read models that disagree with the stream. */
  checkouts: { unmatched: Finding[]; mispriced: Finding[]; viewsWrong: Finding[] };
  /** Orders cooked by another restaurant's kitchen; rejected orders not refunded exactly once, or cooked. */
  restaurants: { cookedElsewhere: Finding[]; refundsWrong: Finding[] };
  /** Reporting figures the stream does not give; `expected`: the reports recomputed from the stream (null: no reporting instance answered). */
  reports: ReportsPass;
  /** Journeys: an order a journey did not check out (an abandoned cart's), a checkout without exactly its one order; a tracked order not seen to complete, or its statuses not as the stream has them. */
  journeys: { ordersWrong: Finding[]; trackedWrong: Finding[] };
  /** How much of each input there was (0: not collected or empty). */
  collected: { readModelOrders: number; printedLines: number; ledgerEntries: number; requestBodies: number; checkouts?: number };
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
