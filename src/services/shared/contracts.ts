/**
 * The one place that names what travels between services: subjects, streams, consumers, KV
 * buckets, event kinds and their payloads, and the order state machine. Every service, the
 * harness and the README's event catalogue read from here.
 */

import type { PricedLine } from "./menus.js";

export const ORDER_TYPES = ["dine_in", "takeout", "delivery"] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export function isOrderType(value: unknown): value is OrderType {
  return typeof value === "string" && (ORDER_TYPES as readonly string[]).includes(value);
}

/** Seed cooking times in milliseconds at time scale 1. */
export const COOK_TIME_MS: Record<OrderType, number> = {
  dine_in: 8_000,
  takeout: 10_000,
  delivery: 12_000,
};

/** Priority rule of the seed: 10 when total > 100, 5 when 50..100, else 1. */
export function priorityFor(total: number): number {
  if (total > 100) return 10;
  if (total >= 50) return 5;
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Order state machine
// ---------------------------------------------------------------------------------------------

export const ORDER_STATUSES = ["received", "paid", "accepted", "rejected", "cooking", "ready", "completed", "cancelled"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Allowed next states. Anything else is refused, logged and never applied. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  received: ["paid", "cancelled"],
  // The restaurant answers every paid order: accepted goes to its kitchen, rejected is refunded and cancelled.
  paid: ["accepted", "rejected"],
  accepted: ["cooking"],
  rejected: ["cancelled"],
  cooking: ["ready"],
  ready: ["completed"],
  completed: [],
  cancelled: [],
};

export const TERMINAL_STATUSES: readonly OrderStatus[] = ["completed", "cancelled"];

export function canTransition(from: OrderStatus | null, to: OrderStatus): boolean {
  if (from === null) return to === "received";
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** The event kinds, as they appear in subjects. */
export const EVENT_KINDS = ["placed", "paid", "payment_failed", "accepted", "rejected", "refunded", "cooking", "ready", "completed", "cancelled"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Human names of the events, for logs and the README catalogue. */
export const EVENT_NAMES: Record<EventKind, string> = {
  placed: "OrderPlaced",
  paid: "OrderPaid",
  payment_failed: "PaymentFailed",
  accepted: "OrderAccepted",
  rejected: "OrderRejected",
  refunded: "OrderRefunded",
  cooking: "OrderCooking",
  ready: "OrderReady",
  completed: "OrderCompleted",
  cancelled: "OrderCancelled",
};

/** The status an event moves the order to; PaymentFailed and OrderRefunded change nothing by themselves (the order service answers each with OrderCancelled). */
export const EVENT_STATUS: Record<EventKind, OrderStatus | null> = {
  placed: "received",
  paid: "paid",
  payment_failed: null,
  accepted: "accepted",
  rejected: "rejected",
  refunded: null,
  cooking: "cooking",
  ready: "ready",
  completed: "completed",
  cancelled: "cancelled",
};

export interface OrderItem {
  name: string;
  quantity: number;
  price: number;
}

export interface PlacedData {
  customer_name: string;
  items: OrderItem[];
  total_amount: number;
  table_number?: number;
  delivery_address?: string;
  /** The client's request id (Idempotency-Key / X-Request-Id), so a checker can find two orders made from one request; a checkout's CheckoutCommand.idempotency_key. */
  request_id: string;
  /** Set when the order comes from a cart checkout: whose cart it was. */
  customer_id?: string;
  /** A checkout's lines as priced from the menu (`items` holds the same lines in the seed's shape). */
  lines?: PricedLine[];
}

export interface PaidData {
  amount: number;
  payment_id: string;
}

export interface PaymentFailedData {
  amount: number;
  reason: string;
}

export type AcceptedData = Record<string, never>;

export interface RejectedData {
  /** Why the restaurant refused the order (out of dough, the staff's words). */
  reason: string;
}

export interface RefundedData {
  amount: number;
  refund_id: string;
  /** The rejection it compensates (copied from OrderRejected), for the cancellation that answers it. */
  reason: string;
}

export interface CookingData {
  worker: string;
  cook_ms?: number; // this worker's cooking time for it (its own scale): tracking's estimate; absent from older workers
}

export interface ReadyData {
  worker: string;
  cook_ms: number;
  /** Set when the restaurant's staff marked it ready by hand before its cooking time was up: who did. */
  marked_by?: string;
}

export type CompletedData = Record<string, never>;

export interface CancelledData {
  reason: string;
}

export interface EventData {
  placed: PlacedData;
  paid: PaidData;
  payment_failed: PaymentFailedData;
  accepted: AcceptedData;
  rejected: RejectedData;
  refunded: RefundedData;
  cooking: CookingData;
  ready: ReadyData;
  completed: CompletedData;
  cancelled: CancelledData;
}

/** Every event on the ORDERS stream has this envelope. */
export interface OrderEvent<K extends EventKind = EventKind> {
  /** `<order_number>.<kind>`: also the JetStream msgID, so a republished event is stored once. */
  id: string;
  kind: K;
  order_number: string;
  order_type: OrderType;
  priority: number;
  /** The restaurant the order is for (DEFAULT_RESTAURANT_ID for an anonymous POST /orders); its kitchen cooks it. */
  restaurant: string;
  /** The order-service instance that owns the order (its status consumer filters on it). */
  origin: string;
  request_id?: string; // the request that placed the order (OrderPlaced's data.request_id), carried on for the logs; absent on older events
  from: OrderStatus | null;
  to: OrderStatus | null;
  /** Who caused it: a worker name or a service instance. */
  by: string;
  /** ISO-8601 time the event was decided (inside the writer's transaction). */
  at: string;
  data: EventData[K];
}

export type AnyOrderEvent = { [K in EventKind]: OrderEvent<K> }[EventKind];

export function eventId(orderNumber: string, kind: EventKind): string {
  return `${orderNumber}.${kind}`;
}

// ---------------------------------------------------------------------------------------------
// Subjects, streams, consumers, buckets
// ---------------------------------------------------------------------------------------------

export const SUBJECT_ROOT = "pizzeria";

export const STREAMS = {
  /** Every order event. Limits retention: consumers keep their own place; nothing is removed on ack. */
  orders: "ORDERS",
  /** Messages a consumer gave up on, with the reason. */
  deadLetters: "DLQ",
  /** Customer events (CustomerRegistered, CartCheckedOut): Limits retention, like ORDERS. */
  customers: "CUSTOMERS",
} as const;

export const subjects = {
  /** `pizzeria.order.<kind>.<restaurant>.<order_type>.<origin>` */
  orderEvent: (kind: EventKind, restaurant: string, type: OrderType, origin: string) => `${SUBJECT_ROOT}.order.${kind}.${restaurant}.${type}.${origin}`,
  allOrderEvents: `${SUBJECT_ROOT}.order.>`,
  placed: `${SUBJECT_ROOT}.order.placed.>`,
  /** Every paid order, of every restaurant: the restaurant service answers each. */
  paid: `${SUBJECT_ROOT}.order.paid.>`,
  /** Every rejected order: the payment service refunds each. */
  rejected: `${SUBJECT_ROOT}.order.rejected.>`,
  /** The orders one restaurant accepted, of one type: what its kitchen workers of that type cook. */
  acceptedFor: (restaurant: string, type: OrderType) => `${SUBJECT_ROOT}.order.accepted.${restaurant}.${type}.*`,
  /** Every event about the orders one order-service instance owns. */
  ownedBy: (origin: string) => `${SUBJECT_ROOT}.order.*.*.*.${origin}`,
  /** `pizzeria.dlq.<stream>.<consumer>` */
  deadLetter: (stream: string, consumer: string) => `${SUBJECT_ROOT}.dlq.${stream}.${consumer}`,
  allDeadLetters: `${SUBJECT_ROOT}.dlq.>`,
  /** Request/reply control of one running instance: `pizzeria.ctl.<service>.<instance>.<verb>`. */
  control: (service: ServiceName, instance: string, verb: string) => `${SUBJECT_ROOT}.ctl.${service}.${instance}.${verb}`,
  /** Request/reply control of the running harness (`up` or `run`): `pizzeria.ctl.harness.<verb>`, e.g. inject a fault. */
  harness: (verb: string) => `${SUBJECT_ROOT}.ctl.harness.${verb}`,
  /** Periodic figures of one instance (core NATS, not stored): `pizzeria.telemetry.<service>.<instance>`. */
  telemetry: (service: ServiceName, instance: string) => `${SUBJECT_ROOT}.telemetry.${service}.${instance}`,
  allTelemetry: `${SUBJECT_ROOT}.telemetry.>`,
  /**
   * Request/reply, core NATS: the restaurant's staff mark an order ready by hand (MarkReadyRequest);
   * every worker of that restaurant hears it and the one with the order on its stove answers
   * (MarkReadyReply) and publishes OrderReady at once. No answer: nobody is cooking it.
   */
  kitchenMarkReady: (restaurant: string) => `${SUBJECT_ROOT}.kitchen.${restaurant}.mark_ready`,
  /** Request/reply: the customer service asks the order service to turn a checked-out cart into an order (CheckoutCommand -> CheckoutReply). */
  checkoutCommand: `${SUBJECT_ROOT}.cmd.order.checkout`,
  /** The same, to the one order instance that holds a checkout's key (BUCKETS.checkouts). */
  checkoutCommandFor: (instance: string) => `${SUBJECT_ROOT}.cmd.order.checkout.${instance}`,
  /** `pizzeria.customer.<kind>.<customer_id>` (CustomerEvent). */
  customerEvent: (kind: CustomerEventKind, customerId: string) => `${SUBJECT_ROOT}.customer.${kind}.${customerId}`,
  allCustomerEvents: `${SUBJECT_ROOT}.customer.>`,
} as const;

/** NATS subject matching, as the server does for a consumer's filter: `*` one token, `>` the rest. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length || (f[i] !== "*" && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

/** Parse `pizzeria.order.<kind>.<restaurant>.<type>.<origin>`; null when the subject is not an order event. */
export function parseOrderSubject(subject: string): { kind: EventKind; restaurant: string; type: OrderType; origin: string } | null {
  const parts = subject.split(".");
  if (parts.length !== 6 || parts[0] !== SUBJECT_ROOT || parts[1] !== "order") return null;
  const [, , kind, restaurant, type, origin] = parts;
  if (!(EVENT_KINDS as readonly string[]).includes(kind) || !isOrderType(type) || restaurant.length === 0) return null;
  return { kind: kind as EventKind, restaurant, type, origin };
}

export const CONSUMERS = {
  payment: "payment",
  /** The payment service's second durable: rejected orders to refund (2.9 has no filter_subjects, so one durable per filter). */
  refunds: "payment_refunds",
  /** The restaurant service's: every paid order, to accept or reject. */
  restaurant: "restaurant",
  /** Shared by one restaurant's workers of one type. */
  kitchen: (restaurant: string, type: OrderType) => `kitchen_${restaurant}_${type}`,
  order: (origin: string) => `order_${origin}`,
  tracking: (instance: string) => `tracking_${instance}`,
  notification: (instance: string) => `notification_${instance}`,
  /** The customer service's read model of its customers' orders (GET /customers/:id/orders). */
  customer: (instance: string) => `customer_${instance}`,
  reporting: (instance: string) => `reporting_${instance}`,
} as const;

export const BUCKETS = {
  /** Kitchen worker registry and heartbeats, keyed by worker name. */
  workers: "pizzeria_workers",
  /** Order-number blocks reserved by order-service instances, keyed `seq_<YYYYMMDD>`. */
  orderSequence: "pizzeria_order_seq",
  /** Which service instances are online (every service but the kitchen, whose workers have their own), keyed `<service>.<instance>`. */
  instances: "pizzeria_instances",
  /** Every restaurant's definition (RestaurantDefinition from menus.ts: name, open state, menu), keyed by id, written by the restaurant service. */
  restaurants: "pizzeria_restaurants",
  /** Which order instance holds each checkout key (sha256 of it -> instance): one order per key across instances. */
  checkouts: "pizzeria_checkouts",
} as const;

export const SERVICE_NAMES = ["order", "payment", "restaurant", "kitchen", "tracking", "notification", "customer", "reporting"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A name that is safe as one NATS subject token and as a consumer or KV key. */
export const INSTANCE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// ---------------------------------------------------------------------------------------------
// Customers and checkout: the payloads are in customer-contracts.ts (CheckoutCommand/Reply,
// CustomerEvent); the names that subjects and the catalogue use are here.
// ---------------------------------------------------------------------------------------------

export const CUSTOMER_EVENT_KINDS = ["registered", "cart_checked_out"] as const;
export type CustomerEventKind = (typeof CUSTOMER_EVENT_KINDS)[number];

export const CUSTOMER_EVENT_NAMES: Record<CustomerEventKind, string> = { registered: "CustomerRegistered", cart_checked_out: "CartCheckedOut" };

export interface MarkReadyRequest {
  order_number: string;
  /** Who marked it (the staff member, or the restaurant service instance). */
  by: string;
}

export interface MarkReadyReply {
  ok: true;
  worker: string;
}

// ---------------------------------------------------------------------------------------------
// Kitchen worker registry
// ---------------------------------------------------------------------------------------------

export type WorkerState = "starting" | "idle" | "cooking" | "stopping" | "offline";

/** Value of a `pizzeria_workers` KV entry, written at every heartbeat and state change. */
export interface WorkerRecord {
  name: string;
  /** The restaurant whose kitchen the worker cooks in (records from before restaurants lack it: DEFAULT_RESTAURANT_ID). */
  restaurant?: string;
  order_types: OrderType[];
  state: WorkerState;
  current_order: string | null;
  /** When the current order started cooking (ISO), for its elapsed time. */
  current_since: string | null;
  orders_cooked: number;
  busy_ms: number;
  held: number;
  prefetch: number;
  heartbeat_interval_ms: number;
  last_seen: string;
  started_at: string;
  hostname: string;
  pid: number;
}

/**
 * A service instance's entry in the `pizzeria_instances` bucket (key `<service>.<instance>`):
 * claimed at start, refreshed every heartbeat, marked offline at a graceful stop.
 */
export interface InstanceRecord {
  service: ServiceName;
  instance: string;
  state: "online" | "offline";
  heartbeat_interval_ms: number;
  last_seen: string;
  started_at: string;
  hostname: string;
  pid: number;
}

/** What a presence record (a worker's or a service instance's) has for telling whether its holder is online. */
export type HeartbeatRecord = Pick<WorkerRecord, "last_seen" | "heartbeat_interval_ms" | "hostname" | "pid"> & { state: string };

/** Online: the last heartbeat is younger than twice the interval, and the holder did not sign off. */
export function isOnline(record: HeartbeatRecord, now = Date.now()): boolean {
  if (record.state === "offline") return false;
  return now - Date.parse(record.last_seen) <= 2 * record.heartbeat_interval_ms;
}

/** A worker is online when its last heartbeat is younger than twice its interval and it did not sign off. */
export function isWorkerOnline(record: WorkerRecord, now = Date.now()): boolean {
  return isOnline(record, now);
}

// ---------------------------------------------------------------------------------------------
// Dead letters
// ---------------------------------------------------------------------------------------------

/** Body of a DLQ message; the original payload is kept as text (it may not be JSON at all). */
export interface DeadLetter {
  stream: string;
  consumer: string;
  subject: string;
  stream_seq: number;
  deliveries: number;
  reason: string;
  at: string;
  payload: string;
}
