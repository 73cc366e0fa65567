/**
 * The reports of the reporting service, as pure functions of what it knows about each order
 * (OrderFacts). The service builds the facts in its SQLite read model from the ORDERS stream; the
 * checker builds them again from the stream itself (foldFacts below) and both call the same
 * `buildReports`, so the figures can be compared exactly: money in whole cents, times in whole
 * milliseconds, rates as the plain ratio of two counts.
 */
import { canTransition, type AnyOrderEvent, type OrderStatus } from "../shared/contracts.js";

/** What the read model keeps of one order. */
export interface OrderFacts {
  number: string;
  restaurant: string;
  /** Set on a checkout's order (the customer service's); none for an anonymous POST /orders. */
  customer_id: string | null;
  order_type: string;
  placed_at: string;
  /** The latest `at` of its applied events. */
  last_at: string;
  status: OrderStatus;
  items: Array<{ name: string; quantity: number }>;
  paid_cents: number;
  refunded_cents: number;
  rejected: boolean;
  worker: string | null;
  cooking_at: string | null;
  ready_at: string | null;
}

export const cents = (amount: unknown): number => (typeof amount === "number" && Number.isFinite(amount) ? Math.round(amount * 100) : 0);

/** The items of an OrderPlaced, read defensively (a checkout's priced lines carry name and quantity too). */
export function placedItems(data: unknown): Array<{ name: string; quantity: number }> {
  const items = (data as { items?: unknown })?.items;
  if (!Array.isArray(items)) return [];
  return items
    .filter((i): i is { name: string; quantity: number } => typeof i?.name === "string" && Number.isInteger(i?.quantity))
    .map((i) => ({ name: i.name, quantity: i.quantity }));
}

export function placedCustomer(data: unknown): string | null {
  const id = (data as { customer_id?: unknown })?.customer_id;
  return typeof id === "string" && id.length > 0 ? id : null;
}

/**
 * One event applied to one order's facts (undefined: not placed yet); returns the facts to keep
 * (the same object, changed, or a new one for OrderPlaced), or undefined when nothing is kept. A
 * status change is applied only where the state machine allows it (as tracking applies them);
 * events of an order never placed are ignored. The caller applies each event id once.
 */
export function applyEvent(f: OrderFacts | undefined, e: AnyOrderEvent): OrderFacts | undefined {
  if (e.kind === "placed") {
    if (f) return f;
    return {
      number: e.order_number, restaurant: e.restaurant, customer_id: placedCustomer(e.data), order_type: e.order_type,
      placed_at: e.at, last_at: e.at, status: "received", items: placedItems(e.data),
      paid_cents: 0, refunded_cents: 0, rejected: false, worker: null, cooking_at: null, ready_at: null,
    };
  }
  if (!f) return undefined;
  if (e.to !== null && !canTransition(f.status, e.to)) return f;
  if (e.to !== null) f.status = e.to;
  if (e.at > f.last_at) f.last_at = e.at;
  if (e.kind === "paid") f.paid_cents = cents(e.data.amount);
  else if (e.kind === "refunded") f.refunded_cents += cents(e.data.amount);
  else if (e.kind === "rejected") f.rejected = true;
  else if (e.kind === "cooking") [f.worker, f.cooking_at] = [e.data.worker, e.at];
  else if (e.kind === "ready") [f.worker, f.ready_at] = [f.worker ?? e.data.worker, e.at];
  return f;
}

/** The facts from events in stream order, each event id once: the checker's account of what the service's read model must hold. */
export function foldFacts(events: Iterable<AnyOrderEvent>): Map<string, OrderFacts> {
  const facts = new Map<string, OrderFacts>();
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const f = applyEvent(facts.get(e.order_number), e);
    if (f) facts.set(e.order_number, f);
  }
  return facts;
}

export interface PerformanceFigures {
  orders: number;
  completed: number;
  cancelled: number;
  rejected: number;
  /** Paid less refunded, in the currency (cents / 100). */
  revenue: number;
  /** From OrderCooking to OrderReady, over the orders that got there; null when none did. */
  avg_preparation_ms: number | null;
  p95_preparation_ms: number | null;
  rejection_rate: number;
  cancellation_rate: number;
}

export interface RestaurantReport extends PerformanceFigures {
  restaurant: string;
  /** The same figures per UTC hour the orders were placed in (`YYYY-MM-DDTHH`). */
  hours: Array<PerformanceFigures & { hour: string }>;
}

export interface CustomerReport {
  customer_id: string;
  orders: number;
  completed: number;
  spend: number;
  /** The three items it ordered most (by quantity, then name). */
  favourite_items: Array<{ name: string; quantity: number }>;
}

export interface WorkerReport {
  worker: string;
  orders_cooked: number;
  busy_ms: number;
  /** Cooking milliseconds per millisecond of the history (first order placed to last event): above 1 when it cooks several at once. */
  busy_share: number;
}

export interface DailyReport {
  day: string;
  orders: number;
  completed: number;
  cancelled: number;
  rejected: number;
  revenue: number;
}

export interface Reports {
  restaurants: RestaurantReport[];
  workers: WorkerReport[];
  daily: DailyReport[];
  customers: CustomerReport[];
}

const preparation = (f: OrderFacts): number | null => (f.cooking_at && f.ready_at ? Date.parse(f.ready_at) - Date.parse(f.cooking_at) : null);

/** Nearest-rank percentile of sorted whole numbers. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

function groupBy<K>(list: readonly OrderFacts[], key: (f: OrderFacts) => K): Map<K, OrderFacts[]> {
  const out = new Map<K, OrderFacts[]>();
  for (const f of list) {
    const k = key(f);
    const group = out.get(k);
    if (group) group.push(f);
    else out.set(k, [f]);
  }
  return out;
}

const byKey = <T>(m: Map<string, T>): Array<[string, T]> => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const revenueOf = (list: readonly OrderFacts[]) => list.reduce((n, f) => n + f.paid_cents - f.refunded_cents, 0) / 100;

export function performance(list: readonly OrderFacts[]): PerformanceFigures {
  const prep = list.map(preparation).filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
  const count = (status: OrderStatus) => list.filter((f) => f.status === status).length;
  const rejected = list.filter((f) => f.rejected).length;
  const cancelled = count("cancelled");
  return {
    orders: list.length,
    completed: count("completed"),
    cancelled,
    rejected,
    revenue: revenueOf(list),
    avg_preparation_ms: prep.length ? Math.round(prep.reduce((a, b) => a + b, 0) / prep.length) : null,
    p95_preparation_ms: percentile(prep, 95),
    rejection_rate: list.length ? rejected / list.length : 0,
    cancellation_rate: list.length ? cancelled / list.length : 0,
  };
}

export function restaurantReports(list: readonly OrderFacts[]): RestaurantReport[] {
  return byKey(groupBy(list, (f) => f.restaurant)).map(([restaurant, of]) => ({
    restaurant,
    ...performance(of),
    hours: byKey(groupBy(of, (f) => f.placed_at.slice(0, 13))).map(([hour, inHour]) => ({ hour, ...performance(inHour) })),
  }));
}

export function customerReport(customer: string, list: readonly OrderFacts[]): CustomerReport | null {
  const of = list.filter((f) => f.customer_id === customer);
  if (of.length === 0) return null;
  const quantities = new Map<string, number>();
  for (const f of of) for (const i of f.items) quantities.set(i.name, (quantities.get(i.name) ?? 0) + i.quantity);
  const favourite_items = [...quantities.entries()]
    .sort(([a, qa], [b, qb]) => qb - qa || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, 3)
    .map(([name, quantity]) => ({ name, quantity }));
  return { customer_id: customer, orders: of.length, completed: of.filter((f) => f.status === "completed").length, spend: revenueOf(of), favourite_items };
}

export function workerReports(list: readonly OrderFacts[]): WorkerReport[] {
  if (list.length === 0) return [];
  const start = Math.min(...list.map((f) => Date.parse(f.placed_at)));
  const end = Math.max(...list.map((f) => Date.parse(f.last_at)));
  const span = Math.max(1, end - start);
  const cooked = list.filter((f) => f.worker !== null && preparation(f) !== null);
  return byKey(groupBy(cooked, (f) => f.worker!)).map(([worker, of]) => {
    const busy = of.reduce((n, f) => n + preparation(f)!, 0);
    return { worker, orders_cooked: of.length, busy_ms: busy, busy_share: busy / span };
  });
}

export function dailyReports(list: readonly OrderFacts[]): DailyReport[] {
  return byKey(groupBy(list, (f) => f.placed_at.slice(0, 10))).map(([day, of]) => {
    const p = performance(of);
    return { day, orders: p.orders, completed: p.completed, cancelled: p.cancelled, rejected: p.rejected, revenue: p.revenue };
  });
}

/** Every report at once (the checker compares all of them; customers: every customer that ordered). */
export function buildReports(list: readonly OrderFacts[]): Reports {
  const ids = [...new Set(list.map((f) => f.customer_id).filter((c): c is string => c !== null))].sort();
  return {
    restaurants: restaurantReports(list),
    workers: workerReports(list),
    daily: dailyReports(list),
    customers: ids.map((id) => customerReport(id, list)!),
  };
}
