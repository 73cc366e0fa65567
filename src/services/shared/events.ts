import type { JsMsg } from "@nats-io/jetstream";
import {
  EVENT_KINDS,
  EVENT_STATUS,
  eventId,
  INSTANCE_NAME_PATTERN,
  isOrderType,
  ORDER_STATUSES,
  parseOrderSubject,
  subjects,
  type AnyOrderEvent,
  type EventData,
  type EventKind,
  type OrderEvent,
  type OrderStatus,
  type OrderType,
} from "./contracts.js";
import { PoisonMessageError } from "./errors.js";
import { decodeJson } from "./dead-letter.js";
import type { OutboxMessage } from "./outbox.js";

export interface EventHeader {
  order_number: string;
  order_type: OrderType;
  priority: number;
  /** The restaurant the order is for. */
  restaurant: string;
  origin: string;
  /** The request that placed the order (OrderEvent.request_id): every event about it carries it on, for the logs. */
  request_id?: string;
}

/** The header of the order an event is about: what every event that follows it repeats. */
export function headerOf(event: Pick<OrderEvent, "order_number" | "order_type" | "priority" | "restaurant" | "origin" | "request_id">): EventHeader {
  const header: EventHeader = { order_number: event.order_number, order_type: event.order_type, priority: event.priority, restaurant: event.restaurant, origin: event.origin };
  if (typeof event.request_id === "string") header.request_id = event.request_id;
  return header;
}

/** Build an event and its outbox message: the subject, msgID and envelope all follow from the header. */
export function orderEvent<K extends EventKind>(
  kind: K,
  header: EventHeader,
  from: OrderStatus | null,
  by: string,
  data: EventData[K],
  at = new Date(),
): OutboxMessage & { payload: OrderEvent<K> } {
  const payload: OrderEvent<K> = {
    id: eventId(header.order_number, kind),
    kind,
    order_number: header.order_number,
    order_type: header.order_type,
    priority: header.priority,
    restaurant: header.restaurant,
    origin: header.origin,
    ...(header.request_id !== undefined ? { request_id: header.request_id } : {}),
    from,
    to: EVENT_STATUS[kind],
    by,
    at: at.toISOString(),
    data,
  };
  return { id: payload.id, subject: subjects.orderEvent(kind, header.restaurant, header.order_type, header.origin), payload };
}

/**
 * Decode and check an order event from the stream. Anything malformed is poison: it goes to the
 * dead-letter stream instead of being retried.
 */
export function decodeOrderEvent(msg: JsMsg): AnyOrderEvent {
  const fromSubject = parseOrderSubject(msg.subject);
  if (!fromSubject) throw new PoisonMessageError(`subject ${msg.subject} is not an order event subject`);
  const event = checkOrderEvent(decodeJson(msg), fromSubject.kind);
  if (event.restaurant !== fromSubject.restaurant) throw new PoisonMessageError(`event field restaurant is ${event.restaurant} but the subject says ${fromSubject.restaurant}`);
  return event;
}

export function checkOrderEvent(body: unknown, expectedKind?: EventKind): AnyOrderEvent {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new PoisonMessageError("event is not a JSON object");
  const e = body as Record<string, unknown>;
  const fail = (field: string, why: string): never => {
    throw new PoisonMessageError(`event field ${field} ${why}`);
  };
  if (typeof e.kind !== "string" || !(EVENT_KINDS as readonly string[]).includes(e.kind)) fail("kind", "is not an event kind");
  if (expectedKind && e.kind !== expectedKind) fail("kind", `is ${String(e.kind)} but the subject says ${expectedKind}`);
  if (typeof e.order_number !== "string" || e.order_number.length === 0) fail("order_number", "is missing");
  if (!isOrderType(e.order_type)) fail("order_type", "is not an order type");
  if (typeof e.priority !== "number") fail("priority", "is not a number");
  if (typeof e.restaurant !== "string" || !INSTANCE_NAME_PATTERN.test(e.restaurant)) fail("restaurant", "is not a restaurant id");
  if (typeof e.origin !== "string" || e.origin.length === 0) fail("origin", "is missing");
  if (typeof e.by !== "string") fail("by", "is missing");
  if (typeof e.at !== "string" || Number.isNaN(Date.parse(e.at))) fail("at", "is not a time");
  if (e.from !== null && !(ORDER_STATUSES as readonly string[]).includes(e.from as string)) fail("from", "is not a status");
  if (!e.data || typeof e.data !== "object") fail("data", "is missing");
  if (e.id !== eventId(e.order_number as string, e.kind as EventKind)) fail("id", "does not match order_number and kind");
  return body as AnyOrderEvent;
}
