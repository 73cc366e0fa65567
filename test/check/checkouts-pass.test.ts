import { describe, expect, it } from "vitest";
import type { AnyOrderEvent } from "../../src/services/shared/contracts.js";
import { DEFAULT_RESTAURANTS, priceLine, type CartLineRequest, type PricedLine } from "../../src/services/shared/menus.js";
import { checkCheckouts } from "../../src/sim/check/passes/checkouts.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { CustomersInput, RequestRecord } from "../../src/sim/check/checker-types.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const CART: CartLineRequest[] = [
  { item: "Margherita", size: "L", crust: "stuffed", toppings: ["olives"], quantity: 2 },
  { item: "Cola", quantity: 1 },
];
const PRICED = CART.map((l) => priceLine(DEFAULT_RESTAURANTS[0].menu, l) as PricedLine);
// (15.99 + 2.50 + 1.00) x 2 + 2.49
const TOTAL = 41.47;

/** An order of customer `customer` made by checkout key `key`, along the completed path. */
function checkoutOrder(number: string, customer: string, key: string, lines = PRICED, total = TOTAL): AnyOrderEvent[] {
  const events = pathOf(number, COMPLETED_PATH, key);
  const placed = events[0] as AnyOrderEvent & { kind: "placed" };
  events[0] = { ...placed, data: { ...placed.data, customer_id: customer, lines, items: lines.map((l) => ({ name: l.name, quantity: l.quantity, price: l.unit_price })), total_amount: total } };
  return events;
}

const checkout = (number: string, customer: string, key: string): CustomersInput["checkouts"][number] => ({ customerId: customer, cartId: `cart-${number}`, orderNumber: number, checkoutKey: key, restaurantId: "main", total: TOTAL });
const request = (number: string, key: string, lines = CART): RequestRecord => ({ requestId: key, intendedValid: true, status: 201, orderNumber: number, cart: { restaurant_id: "main", lines } });
const view = (orders: Array<[string, string, string, number]>): CustomersInput["views"][number] => ({ source: "customer/customer-1", orders: orders.map(([orderNumber, customerId, status, totalAmount]) => ({ orderNumber, customerId, status: status as "completed", totalAmount })) });

function reasons(events: AnyOrderEvent[], input: Partial<CustomersInput>, requests: RequestRecord[] = [], drained = true) {
  const pass = checkCheckouts({ checkouts: [], views: [], restaurants: [...DEFAULT_RESTAURANTS], ...input }, requests, replayStream(streamOf(events)).orders, drained);
  return { unmatched: pass.unmatched.map((f) => f.reason), mispriced: pass.mispriced.map((f) => f.reason), viewsWrong: pass.viewsWrong.map((f) => f.reason) };
}

describe("checkouts pass", () => {
  it("has nothing to say when each checkout made its one order, priced by the menu, and the read model agrees", () => {
    expect(reasons(checkoutOrder("A", "c1", "c1:k1"), { checkouts: [checkout("A", "c1", "c1:k1")], views: [view([["A", "c1", "completed", TOTAL]])] }, [request("A", "c1:k1")])).toEqual({ unmatched: [], mispriced: [], viewsWrong: [] });
  });

  it("says nothing of a run without customers", () => {
    const pass = checkCheckouts(undefined, [], replayStream(streamOf(pathOf("A", COMPLETED_PATH))).orders, true);
    expect(pass).toEqual({ unmatched: [], mispriced: [], viewsWrong: [] });
  });

  it("finds a checkout that made two orders, and a checkout whose key made no order", () => {
    const events = [...checkoutOrder("A", "c1", "c1:k1"), ...checkoutOrder("B", "c1", "c1:k1#again")];
    expect(reasons(events, { checkouts: [checkout("A", "c1", "c1:k1")] }).unmatched).toEqual(["customer c1 has 2 orders (A, B) from 1 checkout"]);
    expect(reasons([], { checkouts: [checkout("A", "c1", "c1:k1")] }).unmatched).toEqual(["the checkout of cart cart-A names order A, but its key c1:k1 made no order on the stream"]);
  });

  it("finds, once drained, a customer's order that no checkout names (not before: its CartCheckedOut may be on its way)", () => {
    expect(reasons(checkoutOrder("A", "c1", "c1:k1"), {}).unmatched).toEqual(["customer c1 has 1 order (A) from 0 checkouts"]);
    expect(reasons(checkoutOrder("A", "c1", "c1:k1"), {}, [], false).unmatched).toEqual([]);
  });

  it("finds an order whose total or unit price is not its cart priced by the menu", () => {
    const cheap = PRICED.map((l, i) => (i === 0 ? { ...l, unit_price: 18.49 } : l));
    const r = reasons(checkoutOrder("A", "c1", "c1:k1", cheap, 39.47), { checkouts: [{ ...checkout("A", "c1", "c1:k1"), total: 39.47 }] }, [request("A", "c1:k1")]);
    expect(r.mispriced).toEqual(["its total is 39.47; the cart priced by main's menu is 41.47", "line 1 (Margherita (L, stuffed + olives)) is priced 18.49; the menu says 19.49"]);
  });

  it("finds a cart that cannot be priced from its menu, and a checkout naming another restaurant", () => {
    const r = reasons(checkoutOrder("A", "c1", "c1:k1"), { checkouts: [{ ...checkout("A", "c1", "c1:k1"), restaurantId: "napoli" }] }, [request("A", "c1:k1", [{ item: "Hawaiian", quantity: 1 }])]);
    expect(r.mispriced).toEqual(["the cart held restaurant main's items, its checkout names napoli", "the cart's lines cannot be priced from main's menu (item 'Hawaiian' is not on this restaurant's menu), yet order A was made"]);
  });

  it("finds a read model that lists what the stream does not say, or (drained) misses an order or its status", () => {
    const events = checkoutOrder("A", "c1", "c1:k1");
    const input = { checkouts: [checkout("A", "c1", "c1:k1")] };
    expect(reasons(events, { ...input, views: [view([["A", "c2", "received", 10]])] }).viewsWrong).toEqual([
      "customer/customer-1 lists it for customer c2; the stream says c1",
      "customer/customer-1 lists a total of 10; the stream says 41.47",
      "customer/customer-1 lists it received; the stream leaves it completed",
    ]);
    expect(reasons(events, { ...input, views: [view([["Z", "c1", "received", 1]])] }).viewsWrong).toEqual([
      "customer/customer-1 lists order Z for customer c1, which no OrderPlaced with a customer carries",
      "customer/customer-1 does not list customer c1's order A",
    ]);
    // Still working: behind is not wrong.
    expect(reasons(events, { ...input, views: [view([["A", "c1", "received", TOTAL]])] }, [], false).viewsWrong).toEqual([]);
  });
});
