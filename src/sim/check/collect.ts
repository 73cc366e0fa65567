import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { CONSUMERS, ORDER_TYPES, STREAMS, subjects, type DeadLetter, type OrderStatus } from "../../services/shared/contracts.js";
import { ask } from "../system/control-client.js";
import type { ConsumerRecord, DeadLetterRecord, OrderRecord, SilentInstance } from "./checker.js";

/** Every order an order-service instance holds, paged over its control subject. */
export async function collectOrders(nc: NatsConnection, instance: string): Promise<OrderRecord[]> {
  const out: OrderRecord[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { orders: Array<{ number: string; request_id: string; status: OrderStatus }> } = await ask(nc, "order", instance, "orders", { after, limit: 5_000 });
    for (const o of page.orders) out.push({ instance, number: o.number, request_id: o.request_id, status: o.status });
    if (page.orders.length < 5_000) return out;
    after = page.orders[page.orders.length - 1].number;
  }
}

/** Everything a notification subscriber announced, in order: [order number, status]. */
export async function collectNotifications(nc: NatsConnection, instance: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  let after = 0;
  for (;;) {
    const page: { rows: Array<[string, string]>; next: number | null } = await ask(nc, "notification", instance, "seen", { after, limit: 20_000 });
    out.push(...page.rows);
    if (page.next === null || page.rows.length < 20_000) return out;
    after = page.next;
  }
}

type Instance = { id: string; service: string; instance: string };

/**
 * What every order-service instance holds and every notification subscriber announced, for the
 * checker. An instance that cannot answer is reported through `complain` and named in `silent`
 * (the checker makes that a finding; a silent order instance's orders also show up as lost: the
 * checker cannot vouch for what it was not told).
 */
export async function collectAccounts(
  nc: NatsConnection,
  instances: readonly Instance[],
  complain: (message: string) => void,
): Promise<{ orders: OrderRecord[]; notifications: Record<string, Array<[string, string]>>; silent: SilentInstance[] }> {
  const orders: OrderRecord[] = [];
  const notifications: Record<string, Array<[string, string]>> = {};
  const silent: SilentInstance[] = [];
  for (const i of instances) {
    if (i.service !== "order" && i.service !== "notification") continue;
    try {
      // One by one: a spread of a long run's orders (~120k and more) overflows the call stack.
      if (i.service === "order") for (const o of await collectOrders(nc, i.instance)) orders.push(o);
      else notifications[i.instance] = await collectNotifications(nc, i.instance);
    } catch (err) {
      const error = (err as Error).message;
      complain(`could not collect what ${i.id} holds: ${error}`);
      silent.push({ service: i.service, instance: i.instance, error });
    }
  }
  return { orders, notifications, silent };
}

/** `kitchen_<restaurant>_<type>` (CONSUMERS.kitchen). */
const KITCHEN_DURABLE = new RegExp(`^kitchen_[A-Za-z0-9_-]+_(${ORDER_TYPES.join("|")})$`);

/**
 * The durable consumers of ORDERS that belong to this run's instances, with their filters as the
 * broker holds them: who is delivered an injected poison message and must dead-letter it. A
 * shared broker may hold other durables (another run's, a stale one); they are left out.
 */
export async function collectConsumers(nc: NatsConnection, instances: readonly Instance[]): Promise<ConsumerRecord[]> {
  const ours = new Map<string, string | undefined>(); // durable name -> the origin it keeps to
  let kitchens = false;
  for (const i of instances) {
    if (i.service === "payment") ours.set(CONSUMERS.payment, undefined);
    else if (i.service === "order") ours.set(CONSUMERS.order(i.instance), i.instance);
    else if (i.service === "tracking") ours.set(CONSUMERS.tracking(i.instance), undefined);
    else if (i.service === "notification") ours.set(CONSUMERS.notification(i.instance), undefined);
    else if (i.service === "reporting") ours.set(CONSUMERS.reporting(i.instance), undefined);
    else if (i.service === "restaurant") ours.set(CONSUMERS.restaurant, undefined);
    else if (i.service === "customer") ours.set(CONSUMERS.customer(i.instance), undefined);
    else if (i.service === "kitchen") kitchens = true;
  }
  if (instances.some((i) => i.service === "payment")) ours.set(CONSUMERS.refunds, undefined);
  const jsm = await jetstreamManager(nc);
  const out: ConsumerRecord[] = [];
  for (const info of await jsm.consumers.list(STREAMS.orders).next()) {
    const name = info.config.durable_name;
    // A worker's restaurant and types are its own business: every kitchen durable is the run's.
    if (!name || !(ours.has(name) || (kitchens && KITCHEN_DURABLE.test(name)))) continue;
    const origin = ours.get(name);
    const filters = info.config.filter_subjects?.length ? { filters: [...info.config.filter_subjects] } : {};
    out.push({ name, filter: info.config.filter_subject || subjects.allOrderEvents, ...filters, ...(origin !== undefined ? { origin } : {}) });
  }
  return out;
}

/** A dead letter as the checker takes it: who gave up on which ORDERS message, and the order it was about. */
export function deadLetterRecord(letter: DeadLetter): DeadLetterRecord {
  let orderNumber: string | undefined;
  try {
    const payload = JSON.parse(letter.payload) as { order_number?: unknown };
    if (typeof payload?.order_number === "string") orderNumber = payload.order_number;
  } catch {
    // poison: no order to name
  }
  return { consumer: letter.consumer, subject: letter.subject, streamSeq: letter.stream_seq, reason: letter.reason, ...(orderNumber !== undefined ? { orderNumber } : {}) };
}
