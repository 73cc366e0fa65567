import { join } from "node:path";
import { rmSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start, type CustomerService } from "../src/services/customer/index.js";
import { STREAMS } from "../src/services/shared/contracts.js";
import { type CustomerEvent } from "../src/services/shared/customer-contracts.js";
import { DEFAULT_RESTAURANTS } from "../src/services/shared/menus.js";
import { openRestaurantsBucket, publishRestaurants } from "../src/services/shared/restaurants.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { addItem, call, registerCustomer } from "./helpers/customers.js";
import { readStream } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

describe("customer service: accounts and carts", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  let nc: NatsConnection;
  let svc: CustomerService;
  const customerEvents = async () => (await readStream(broker.url, STREAMS.customers)).map((m) => JSON.parse(m.data) as CustomerEvent);

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("customer-api");
    nc = await connect({ servers: broker.url });
    await publishRestaurants(await openRestaurantsBucket(nc, 1), [...DEFAULT_RESTAURANTS, { ...DEFAULT_RESTAURANTS[1], id: "shut", name: "Shut Pizzeria", open: false }]);
    svc = await start({ nats: { servers: broker.url }, port: 0, dbFile: join(dir, "customer.db"), logFile: join(dir, "customer.log") });
  });
  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("registers a customer, serves it, and announces CustomerRegistered once", async () => {
    const created = await call("POST", `${svc.url}/customers`, { name: "Grace Hopper", email: "Grace@Example.com", phone: "+1 (555) 010-2030" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Grace Hopper", email: "Grace@Example.com", phone: "+1 (555) 010-2030" });
    expect(created.body.id).toMatch(/^cus_[0-9a-f]{16}$/);
    const got = await call("GET", `${svc.url}/customers/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    // CustomerRegistered goes out through the service's outbox after the 201.
    const mine = await waitFor(async () => {
      const kept = (await customerEvents()).filter((e) => e.customer_id === created.body.id);
      return kept.length > 0 ? kept : null;
    }, "CustomerRegistered on the stream");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: "registered", id: `customer.${created.body.id}.registered`, data: { name: "Grace Hopper", email: "Grace@Example.com" } });
  });

  it("refuses a second account with the same email (any case) with 409, and stores nothing", async () => {
    const before = (await customerEvents()).length;
    const again = await call("POST", `${svc.url}/customers`, { name: "Someone Else", email: "grace@example.COM", phone: "5550102030" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: "email_taken", field: "email" });
    expect((await customerEvents()).length).toBe(before);
  });

  it("replays a registration sent again with its Idempotency-Key, and refuses the key with another body", async () => {
    const body = { name: "Alan Turing", email: "alan@example.org", phone: "+44 161 555 0101" };
    const first = await call("POST", `${svc.url}/customers`, body, { "idempotency-key": "reg-1" });
    const again = await call("POST", `${svc.url}/customers`, body, { "idempotency-key": "reg-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await call("POST", `${svc.url}/customers`, { ...body, email: "alan2@example.org" }, { "idempotency-key": "reg-1" });
    expect(other.status).toBe(422);
    expect(other.body.field).toBe("Idempotency-Key");
  });

  it.each([
    [{ email: "a@b.co", phone: "5550102030" }, "name", "is required"],
    [{ name: "R2-D2", email: "a@b.co", phone: "5550102030" }, "name", "may contain only letters, spaces, hyphens and apostrophes"],
    [{ name: "A".repeat(101), email: "a@b.co", phone: "5550102030" }, "name", "must be 1-100 characters"],
    [{ name: "Ann", phone: "5550102030" }, "email", "is required"],
    [{ name: "Ann", email: "not-an-email", phone: "5550102030" }, "email", "must be an email address (name@domain.tld, at most 254 characters)"],
    [{ name: "Ann", email: "a@b.co" }, "phone", "is required"],
    [{ name: "Ann", email: "a@b.co", phone: "12345" }, "phone", "must be 7-15 digits, with an optional leading +, spaces, hyphens or parentheses"],
    [{ name: "Ann", email: "a@b.co", phone: "call me maybe" }, "phone", "must be 7-15 digits, with an optional leading +, spaces, hyphens or parentheses"],
    [{ name: "Ann", email: "a@b.co", phone: "5550102030", vip: true }, "vip", "is not a known field"],
  ])("refuses a customer %j: 400 naming %s", async (body, field, reason) => {
    const answer = await call("POST", `${svc.url}/customers`, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: "validation_failed", field, reason });
  });

  it("answers malformed JSON 400, a body over 64 KiB 413, an unknown customer 404, and keeps working", async () => {
    const malformed = await call("POST", `${svc.url}/customers`, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: "malformed_json", field: "body" });
    const huge = await call("POST", `${svc.url}/customers`, { name: "A", email: "a@b.co", phone: "5".repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ error: "payload_too_large", field: "body" });
    const missing = await call("GET", `${svc.url}/customers/cus_nobody`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: "customer_not_found", field: "customer_id" });
    const badEscape = await call("GET", `${svc.url}/customers/%ZZ/cart`);
    expect(badEscape.status).toBe(400);
    const items = await call("POST", `${svc.url}/customers/cus_nobody/cart/items`, { restaurant_id: "main", item: "Cola", quantity: 1 });
    expect(items.status).toBe(404);
    expect((await call("GET", `${svc.url}/health`)).status).toBe(200);
  });

  it("prices pizzas by size, crust and toppings from the restaurant's menu, and sides at their one price", async () => {
    const id = await registerCustomer(svc.url);
    // Margherita L 15.99 + stuffed 2.50 + mozzarella 1.50 + olives 1.00 = 20.99
    const pizza = await addItem(svc.url, id, { item: "Margherita", size: "L", crust: "stuffed", toppings: ["mozzarella", "olives"], quantity: 2 });
    expect(pizza.status).toBe(201);
    expect(pizza.body).toMatchObject({ line: 1, item: "Margherita", size: "L", crust: "stuffed", unit_price: 20.99, quantity: 2, name: "Margherita (L, stuffed + mozzarella, olives)" });
    // Small, default crust (classic, no surcharge), no toppings: 9.99
    const small = await addItem(svc.url, id, { item: "Margherita", size: "S" });
    expect(small.body).toMatchObject({ line: 2, unit_price: 9.99, crust: "classic" });
    // No size: M.
    const medium = await addItem(svc.url, id, { item: "Pepperoni", crust: "thin", toppings: ["basil"] });
    expect(medium.body).toMatchObject({ line: 3, size: "M", unit_price: 15.49 });
    const side = await addItem(svc.url, id, { item: "Garlic Bread", quantity: 3 });
    expect(side.body).toMatchObject({ line: 4, unit_price: 4.99, quantity: 3 });
    const cart = await call("GET", `${svc.url}/customers/${id}/cart`);
    expect(cart.status).toBe(200);
    expect(cart.body).toMatchObject({ customer_id: id, restaurant_id: "main", state: "open" });
    expect(cart.body.lines.map((l: { line: number; line_total: number }) => [l.line, l.line_total])).toEqual([[1, 41.98], [2, 9.99], [3, 15.49], [4, 14.97]]);
    expect(cart.body.total_amount).toBe(82.43);
  });

  it.each([
    [{ item: "Hawaiian" }, 400, "item", "'Hawaiian' is not on this restaurant's menu"],
    [{ item: "Margherita", size: "XL" }, 400, "size", "must be one of S, M, L"],
    [{ item: "Margherita", crust: "cardboard" }, 400, "crust", "'cardboard' is not a crust of this restaurant"],
    [{ item: "Margherita", toppings: ["pineapple"] }, 400, "toppings", "'pineapple' is not a topping of this restaurant"],
    [{ item: "Margherita", toppings: ["olives", "olives"] }, 400, "toppings", "must not name a topping twice"],
    [{ item: "Margherita", toppings: "olives" }, 400, "toppings", "must be an array of topping names"],
    [{ item: "Cola", size: "L" }, 400, "item", "'Cola' takes no size, crust or toppings"],
    [{ item: "Margherita", quantity: 0 }, 400, "quantity", "must be an integer from 1 to 10"],
    [{ item: "Margherita", quantity: 11 }, 400, "quantity", "must be an integer from 1 to 10"],
    [{ item: "Margherita", quantity: 1.5 }, 400, "quantity", "must be an integer from 1 to 10"],
    [{ item: "Margherita", restaurant_id: "nowhere" }, 400, "restaurant_id", '"nowhere" is not a restaurant'],
    [{ item: "Margherita", restaurant_id: undefined }, 400, "restaurant_id", "is required"],
    [{ item: "Diavola", restaurant_id: "shut" }, 409, "restaurant_id", "shut is closed"],
    [{ item: "Margherita", extra: 1 }, 400, "extra", "is not a known field"],
  ])("refuses the cart item %j: %d naming %s, and the cart stays as it was", async (item, status, field, reason) => {
    const id = await registerCustomer(svc.url);
    await addItem(svc.url, id, { item: "Cola" });
    const answer = await addItem(svc.url, id, item);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ field, reason });
    const cart = await call("GET", `${svc.url}/customers/${id}/cart`);
    expect(cart.body.lines).toHaveLength(1);
    expect(cart.body.total_amount).toBe(2.49);
  });

  it("holds one restaurant's items: another restaurant's item is 409 with the reason, until the cart is empty again", async () => {
    const id = await registerCustomer(svc.url);
    expect((await addItem(svc.url, id, { item: "Margherita" })).status).toBe(201);
    const other = await addItem(svc.url, id, { restaurant_id: "napoli", item: "Diavola" });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: "other_restaurant", field: "cart" });
    expect(other.body.reason).toContain("restaurant main");
    const removed = await call("DELETE", `${svc.url}/customers/${id}/cart/items/1`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ lines: [], total_amount: 0, restaurant_id: null });
    const napoli = await addItem(svc.url, id, { restaurant_id: "napoli", item: "Diavola", size: "L", crust: "wholemeal", toppings: ["nduja"] });
    expect(napoli.status).toBe(201);
    // 18.49 + 1.20 + 2.20, line numbers are not reused
    expect(napoli.body).toMatchObject({ line: 2, unit_price: 21.89, cart: { restaurant_id: "napoli", total_amount: 21.89 } });
  });

  it("holds at most 20 lines (an order's most items): the 21st is 409 until one is removed", async () => {
    const id = await registerCustomer(svc.url);
    for (let i = 0; i < 20; i++) expect((await addItem(svc.url, id, { item: "Cola" })).status).toBe(201);
    const full = await addItem(svc.url, id, { item: "Cola" });
    expect(full.status).toBe(409);
    expect(full.body).toMatchObject({ error: "cart_full", field: "cart" });
    expect((await call("DELETE", `${svc.url}/customers/${id}/cart/items/20`)).status).toBe(200);
    expect((await addItem(svc.url, id, { item: "Cola" })).body.line).toBe(21);
  });

  it("removes a line by number; an unknown line is 404 and a line that is not a number 400", async () => {
    const id = await registerCustomer(svc.url);
    await addItem(svc.url, id, { item: "Cola", quantity: 2 });
    await addItem(svc.url, id, { item: "Funghi", size: "S" });
    const gone = await call("DELETE", `${svc.url}/customers/${id}/cart/items/1`);
    expect(gone.status).toBe(200);
    expect(gone.body.lines.map((l: { line: number }) => l.line)).toEqual([2]);
    expect(gone.body.total_amount).toBe(10.49);
    const again = await call("DELETE", `${svc.url}/customers/${id}/cart/items/1`);
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: "line_not_found", field: "line" });
    const word = await call("DELETE", `${svc.url}/customers/${id}/cart/items/first`);
    expect(word.status).toBe(400);
    expect(word.body).toMatchObject({ field: "line" });
  });

  it("shows an empty cart for a customer who has not added anything", async () => {
    const id = await registerCustomer(svc.url);
    const cart = await call("GET", `${svc.url}/customers/${id}/cart`);
    expect(cart.body).toEqual({ customer_id: id, cart_id: null, restaurant_id: null, state: "open", lines: [], total_amount: 0 });
    const orders = await call("GET", `${svc.url}/customers/${id}/orders`);
    expect(orders.body).toEqual({ customer_id: id, orders: [] });
  });
});
