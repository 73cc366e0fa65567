/**
 * The payloads pass: what the events carry, not only that they happened. Every OrderPlaced must
 * carry what the request that made it sent (customer, type, items, table, address) and a total
 * and priority that follow from its items (the seed's rule: 10 over 100, 5 from 50 to 100, else
 * 1); every later event must agree with the order it names (type, priority, origin, amounts); an
 * OrderCooking or OrderReady must name a worker who handles the order's type.
 */
import { DEFAULT_RESTAURANT_ID } from "../../../services/shared/menus.js";
import { priorityFor, type AnyOrderEvent, type OrderType, type PlacedData } from "../../../services/shared/contracts.js";
import type { Finding, RequestRecord } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface PayloadsInput {
  requestsById: ReadonlyMap<string, readonly RequestRecord[]>;
  replayed: ReplayedOrders;
  /** The kitchen roster; a worker not on it is not judged (someone else's kitchen). */
  roster?: ReadonlyArray<{ name: string; types: readonly OrderType[] }>;
}

/** What a request body says an order is (the fields the order service keeps). */
interface SentOrder {
  customer_name?: unknown;
  order_type?: unknown;
  items?: unknown;
  table_number?: unknown;
  delivery_address?: unknown;
  restaurant_id?: unknown;
}

const cents = (n: number) => Math.round(n * 100);
const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));

function itemsCents(items: PlacedData["items"]): number {
  let sum = 0;
  for (const i of items) sum += cents(i.price) * i.quantity;
  return sum;
}

/** Where the placed event's own figures disagree with each other (its total with its items, its priority with its total). */
function ownFigures(e: AnyOrderEvent & { kind: "placed" }): string[] {
  const d = e.data;
  const out: string[] = [];
  if (!Array.isArray(d.items)) return ["its items are not a list"];
  const sum = itemsCents(d.items);
  if (cents(d.total_amount) !== sum) out.push(`its total is ${d.total_amount} but its items add up to ${(sum / 100).toFixed(2)}`);
  const priority = priorityFor(d.total_amount);
  if (e.priority !== priority) out.push(`its priority is ${e.priority} but a total of ${d.total_amount} has priority ${priority}`);
  return out;
}

/** Where the placed event differs from the body its request sent. */
function againstRequest(e: AnyOrderEvent & { kind: "placed" }, body: string): string[] {
  let sent: SentOrder;
  try {
    sent = JSON.parse(body) as SentOrder;
  } catch {
    return [];
  }
  const d = e.data;
  const out: string[] = [];
  if (sent.customer_name !== d.customer_name) out.push(`customer ${show(d.customer_name)}, the request sent ${show(sent.customer_name)}`);
  if (sent.order_type !== e.order_type) out.push(`type ${e.order_type}, the request sent ${show(sent.order_type)}`);
  if (sent.table_number !== d.table_number) out.push(`table ${show(d.table_number)}, the request sent ${show(sent.table_number)}`);
  if (sent.delivery_address !== d.delivery_address) out.push(`address ${show(d.delivery_address)}, the request sent ${show(sent.delivery_address)}`);
  if ((sent.restaurant_id ?? DEFAULT_RESTAURANT_ID) !== e.restaurant) out.push(`restaurant ${show(e.restaurant)}, the request sent ${show(sent.restaurant_id ?? DEFAULT_RESTAURANT_ID)}`);
  const items = (v: unknown) => JSON.stringify(Array.isArray(v) ? v.map((i: { name?: unknown; quantity?: unknown; price?: unknown }) => [i.name, i.quantity, i.price]) : v);
  if (items(sent.items) !== items(d.items)) out.push(`items ${items(d.items)}, the request sent ${items(sent.items)}`);
  return out;
}

/** Where a later event disagrees with the order it names. */
function againstOrder(e: AnyOrderEvent, placed: AnyOrderEvent & { kind: "placed" }, roster: ReadonlyMap<string, readonly OrderType[]>): string[] {
  const out: string[] = [];
  if (e.order_type !== placed.order_type) out.push(`type ${e.order_type}, the order is ${placed.order_type}`);
  if (e.priority !== placed.priority) out.push(`priority ${e.priority}, the order has ${placed.priority}`);
  if (e.origin !== placed.origin) out.push(`origin ${e.origin}, the order belongs to ${placed.origin}`);
  if (e.restaurant !== placed.restaurant) out.push(`restaurant ${e.restaurant}, the order is for ${placed.restaurant}`);
  if ((e.kind === "paid" || e.kind === "payment_failed" || e.kind === "refunded") && cents(e.data.amount) !== cents(placed.data.total_amount)) {
    out.push(`amount ${e.data.amount}, the order's total is ${placed.data.total_amount}`);
  }
  if (e.kind === "cooking" || e.kind === "ready") {
    const types = roster.get(e.data.worker);
    if (types && !types.includes(placed.order_type)) out.push(`worker ${e.data.worker} handles ${types.join(", ")}, not ${placed.order_type}`);
  }
  return out;
}

function checkOrder(st: OrderState, x: PayloadsInput, roster: ReadonlyMap<string, readonly OrderType[]>, out: Finding[]): void {
  const placed = st.events.find((e): e is AnyOrderEvent & { kind: "placed" } => e.kind === "placed");
  if (!placed || typeof placed.data !== "object" || placed.data === null) return; // the stream replay reports a history without OrderPlaced
  const problems = ownFigures(placed).map((p) => `OrderPlaced: ${p}`);
  const requestId = placed.data.request_id;
  const sent = x.requestsById.get(requestId)?.find((r) => r.body !== undefined);
  if (sent?.body !== undefined) for (const p of againstRequest(placed, sent.body)) problems.push(`OrderPlaced has ${p}`);
  for (const e of st.events) {
    if (e === placed) continue;
    for (const p of againstOrder(e, placed, roster)) problems.push(`${e.kind} at ${e.at} has ${p}`);
  }
  if (problems.length > 0) out.push({ orderNumber: st.number, requestId, reason: problems.join("; "), history: historyOf(st) });
}

export function checkPayloads(x: PayloadsInput): Finding[] {
  const roster = new Map((x.roster ?? []).map((w) => [w.name, w.types]));
  const out: Finding[] = [];
  for (const st of x.replayed.values()) checkOrder(st, x, roster, out);
  return out;
}
