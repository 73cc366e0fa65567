/**
 * The checkouts pass (seed 000's carts): every cart checked out became exactly one order, priced
 * from the menu, and each customer's orders endpoint says what the stream says.
 * - `unmatched`: a CartCheckedOut whose key made no order or another order than it names, or
 *   more than one; a customer with more orders on the stream than checkouts (one checkout, two
 *   orders); once drained, an order of a customer that no CartCheckedOut names.
 * - `mispriced`: a cart request's order whose total, or a line's unit price, is not what the
 *   restaurant's menu makes of the lines the client put in the cart (menus.ts `priceLine`), or
 *   whose checkout names another restaurant than the cart's.
 * - `viewsWrong`: a customer read model that lists an order the stream does not carry, under
 *   another customer or total, or (drained) at another status than the stream leaves it; or
 *   that lacks one of the stream's customer orders once drained.
 */
import { isPricingError, linesTotal, priceLine, type PricedLine, type RestaurantDefinition } from "../../../services/shared/menus.js";
import type { CustomersInput, Finding, RequestRecord } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface CheckoutsPass {
  unmatched: Finding[];
  mispriced: Finding[];
  viewsWrong: Finding[];
}

const cents = (n: number) => Math.round(n * 100);

interface CustomerOrder {
  st: OrderState;
  customerId: string;
  total: number;
  requestId: string;
}

/** The orders on the stream that carry a customer (checkouts), under their number. */
function customerOrders(replayed: ReplayedOrders): Map<string, CustomerOrder> {
  const out = new Map<string, CustomerOrder>();
  for (const st of replayed.values()) {
    const placed = st.events.find((e) => e.kind === "placed");
    if (!placed || placed.kind !== "placed") continue;
    const customerId = placed.data.customer_id;
    if (typeof customerId === "string") out.set(st.number, { st, customerId, total: placed.data.total_amount, requestId: placed.data.request_id });
  }
  return out;
}

export function checkCheckouts(input: CustomersInput | undefined, requests: readonly RequestRecord[], replayed: ReplayedOrders, drained: boolean): CheckoutsPass {
  const pass: CheckoutsPass = { unmatched: [], mispriced: [], viewsWrong: [] };
  const orders = customerOrders(replayed);
  if (!input && orders.size === 0 && !requests.some((r) => r.cart)) return pass;
  const checkouts = input?.checkouts ?? [];
  matchCheckouts(checkouts, orders, drained, pass.unmatched);
  checkPrices(requests, input?.restaurants ?? [], replayed, checkouts, pass.mispriced);
  for (const view of input?.views ?? []) checkView(view, orders, drained, pass.viewsWrong);
  return pass;
}

function matchCheckouts(checkouts: CustomersInput["checkouts"], orders: Map<string, CustomerOrder>, drained: boolean, out: Finding[]): void {
  const byKey = new Map<string, string[]>();
  const perCustomer = new Map<string, string[]>();
  for (const o of orders.values()) {
    byKey.set(o.requestId, [...(byKey.get(o.requestId) ?? []), o.st.number]);
    perCustomer.set(o.customerId, [...(perCustomer.get(o.customerId) ?? []), o.st.number]);
  }
  const checkoutsOf = new Map<string, number>();
  const named = new Set<string>();
  for (const c of checkouts) {
    checkoutsOf.set(c.customerId, (checkoutsOf.get(c.customerId) ?? 0) + 1);
    named.add(c.orderNumber);
    const made = byKey.get(c.checkoutKey) ?? [];
    if (made.length !== 1 || made[0] !== c.orderNumber) {
      out.push({ orderNumber: c.orderNumber, requestId: c.checkoutKey, reason: `the checkout of cart ${c.cartId} names order ${c.orderNumber}, but its key ${c.checkoutKey} made ${made.length === 0 ? "no order on the stream" : `${made.join(", ")}`}` });
    }
  }
  for (const [customer, numbers] of perCustomer) {
    const n = checkoutsOf.get(customer) ?? 0;
    if (numbers.length > n && (n > 0 || drained)) {
      out.push({ orderNumber: numbers.find((x) => !named.has(x)) ?? numbers[0], reason: `customer ${customer} has ${numbers.length} order${numbers.length === 1 ? "" : "s"} (${numbers.join(", ")}) from ${n} checkout${n === 1 ? "" : "s"}` });
    }
  }
}

function checkPrices(requests: readonly RequestRecord[], restaurants: readonly RestaurantDefinition[], replayed: ReplayedOrders, checkouts: CustomersInput["checkouts"], out: Finding[]): void {
  const menus = new Map(restaurants.map((r) => [r.id, r]));
  const restaurantOf = new Map(checkouts.map((c) => [c.orderNumber, c.restaurantId]));
  for (const r of requests) {
    if (!r.cart || r.orderNumber === undefined) continue;
    const st = replayed.get(r.orderNumber);
    const placed = st?.events.find((e) => e.kind === "placed");
    if (!st || !placed || placed.kind !== "placed") continue; // the attribution pass reports a 201 without its order
    const base = { orderNumber: r.orderNumber, requestId: r.requestId, history: historyOf(st) };
    if (placed.restaurant !== r.cart.restaurant_id) out.push({ ...base, reason: `the order is for restaurant ${placed.restaurant}; the cart held ${r.cart.restaurant_id}'s items` });
    const checkedOutAt = restaurantOf.get(r.orderNumber);
    if (checkedOutAt !== undefined && checkedOutAt !== r.cart.restaurant_id) out.push({ ...base, reason: `the cart held restaurant ${r.cart.restaurant_id}'s items, its checkout names ${checkedOutAt}` });
    const restaurant = menus.get(r.cart.restaurant_id);
    if (!restaurant) continue; // a menu the run could not read: nothing to price with
    const priced = r.cart.lines.map((l) => priceLine(restaurant.menu, l));
    const broken = priced.find(isPricingError);
    if (broken) {
      out.push({ ...base, reason: `the cart's lines cannot be priced from ${restaurant.id}'s menu (${broken.field} ${broken.reason}), yet order ${r.orderNumber} was made` });
      continue;
    }
    const lines = priced.filter((p): p is PricedLine => !isPricingError(p));
    const total = linesTotal(lines);
    if (cents(total) !== cents(placed.data.total_amount)) out.push({ ...base, reason: `its total is ${placed.data.total_amount}; the cart priced by ${restaurant.id}'s menu is ${total}` });
    const sent = placed.data.lines ?? [];
    lines.forEach((l, i) => {
      const got = sent[i];
      if (got && cents(got.unit_price) !== cents(l.unit_price)) out.push({ ...base, reason: `line ${i + 1} (${l.name}) is priced ${got.unit_price}; the menu says ${l.unit_price}` });
    });
  }
}

function checkView(view: NonNullable<CustomersInput["views"]>[number], orders: Map<string, CustomerOrder>, drained: boolean, out: Finding[]): void {
  const listed = new Set<string>();
  for (const o of view.orders) {
    listed.add(o.orderNumber);
    const known = orders.get(o.orderNumber);
    if (!known) {
      out.push({ orderNumber: o.orderNumber, source: view.source, reason: `${view.source} lists order ${o.orderNumber} for customer ${o.customerId}, which no OrderPlaced with a customer carries` });
      continue;
    }
    const history = historyOf(known.st);
    if (known.customerId !== o.customerId) out.push({ orderNumber: o.orderNumber, source: view.source, history, reason: `${view.source} lists it for customer ${o.customerId}; the stream says ${known.customerId}` });
    if (cents(known.total) !== cents(o.totalAmount)) out.push({ orderNumber: o.orderNumber, source: view.source, history, reason: `${view.source} lists a total of ${o.totalAmount}; the stream says ${known.total}` });
    if (drained && known.st.status !== null && o.status !== known.st.status) out.push({ orderNumber: o.orderNumber, source: view.source, history, reason: `${view.source} lists it ${o.status}; the stream leaves it ${known.st.status}` });
  }
  if (!drained) return;
  for (const o of orders.values()) {
    if (!listed.has(o.st.number)) out.push({ orderNumber: o.st.number, source: view.source, history: historyOf(o.st), reason: `${view.source} does not list customer ${o.customerId}'s order ${o.st.number}` });
  }
}
