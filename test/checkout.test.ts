import { request } from "node:http";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start as startCustomer, type CustomerService } from "../src/services/customer/index.js";
import { start as startOrder, type OrderService } from "../src/services/order/index.js";
import { STREAMS, subjects, type AnyOrderEvent, type OrderEvent } from "../src/services/shared/contracts.js";
import { type CheckoutCommand, type CustomerEvent } from "../src/services/shared/customer-contracts.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../src/services/shared/menus.js";
import type { KV } from "../src/services/shared/kv.js";
import { openRestaurantsBucket, publishRestaurants } from "../src/services/shared/restaurants.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { addItem, call, checkout, registerCustomer } from "./helpers/customers.js";
import { orderEvents, orderEventsOnce, readStream } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

describe("checkout: a cart becomes exactly one order", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  let nc: NatsConnection;
  let kv: KV;
  let order: OrderService | null = null;
  let customer: CustomerService | null = null;
  const customerOptions = () => ({ nats: { servers: broker.url }, port: 0, dbFile: join(dir, "customer.db"), logFile: join(dir, "customer.log"), checkoutTimeoutMs: 1_500 });
  const startOrderService = async () => (order = await startOrder({ nats: { servers: broker.url }, port: 0, dbFile: join(dir, "order.db"), logFile: join(dir, "order.log") }));
  const placedBy = (customerId: string) => (e: AnyOrderEvent): e is OrderEvent<"placed"> => e.kind === "placed" && e.data.customer_id === customerId;
  const placedFor = async (customerId: string) => (await orderEvents(broker.url)).filter(placedBy(customerId));
  /** The customer's OrderPlaced events once there is one: it goes out through the order service's outbox after the 201. */
  const placedOnce = (customerId: string) => orderEventsOnce<OrderEvent<"placed">>(broker.url, placedBy(customerId), `OrderPlaced of ${customerId} on the stream`);
  const checkedOut = async (customerId: string) =>
    (await readStream(broker.url, STREAMS.customers)).map((m) => JSON.parse(m.data) as CustomerEvent).filter((e) => e.kind === "cart_checked_out" && e.customer_id === customerId);

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("checkout");
    nc = await connect({ servers: broker.url });
    kv = await openRestaurantsBucket(nc, 1);
    await publishRestaurants(kv, DEFAULT_RESTAURANTS);
    await startOrderService();
    customer = await startCustomer(customerOptions());
  });
  afterAll(async () => {
    await customer?.stop();
    await order?.stop();
    await nc?.close();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("checks a cart out into an order with its customer, restaurant and priced lines; the cart is then empty", async () => {
    const id = await registerCustomer(customer!.url, { name: "Mary Shelley" });
    await addItem(customer!.url, id, { restaurant_id: "napoli", item: "Capricciosa", size: "L", toppings: ["anchovies"], quantity: 2 });
    await addItem(customer!.url, id, { restaurant_id: "napoli", item: "Espresso", quantity: 2 });
    const answer = await checkout(customer!.url, id, "co-1", { order_type: "delivery", delivery_address: "1 Frankenstein Road, Geneva" });
    expect(answer.status).toBe(201);
    expect(answer.body.order_number).toMatch(/^ORD_\d{8}_\d{3,}$/);
    // (18.99 + 1.80) x 2 + 1.60 x 2
    expect(answer.body).toMatchObject({ status: "received", total_amount: 44.78, restaurant_id: "napoli" });
    const stored = order!.store.get(answer.body.order_number as string)!;
    expect(stored).toMatchObject({ customer_id: id, restaurant_id: "napoli", customer_name: "Mary Shelley", order_type: "delivery", total_amount: 44.78 });
    expect(stored.items).toEqual([
      { name: "Capricciosa (L, neapolitan + anchovies)", quantity: 2, price: 20.79 },
      { name: "Espresso", quantity: 2, price: 1.6 },
    ]);
    const placed = await placedOnce(id);
    expect(placed).toHaveLength(1);
    expect(placed[0].data).toMatchObject({ customer_id: id, total_amount: 44.78, delivery_address: "1 Frankenstein Road, Geneva" });
    expect(placed[0].data.lines).toHaveLength(2);
    expect(placed[0].data.request_id).toBe(`${id}:co-1`);
    const events = await waitFor(async () => ((await checkedOut(id)).length === 1 ? checkedOut(id) : null), "CartCheckedOut");
    expect(events[0].data).toMatchObject({ order_number: answer.body.order_number, restaurant_id: "napoli", total_amount: 44.78, cart_id: answer.body.cart_id });
    const cart = await call("GET", `${customer!.url}/customers/${id}/cart`);
    expect(cart.body).toMatchObject({ cart_id: null, lines: [], total_amount: 0 });
    // The customer's orders, as built from the stream.
    const listed = await waitFor(async () => {
      const r = await call("GET", `${customer!.url}/customers/${id}/orders`);
      return r.body.orders.length === 1 ? r.body.orders : null;
    }, "the order in the customer's read model");
    expect(listed[0]).toMatchObject({ order_number: answer.body.order_number, customer_id: id, order_type: "delivery", total_amount: 44.78, status: "received" });
  });

  it("replays the same checkout for the same key and body; another body under the key is 422; a new key on an empty cart is 409", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Funghi" });
    const first = await checkout(customer!.url, id, "co-2", { order_type: "dine_in", table_number: 4 });
    const again = await checkout(customer!.url, id, "co-2", { table_number: 4, order_type: "dine_in" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await checkout(customer!.url, id, "co-2", { order_type: "takeout" });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: "idempotency_key_reused", field: "Idempotency-Key" });
    const empty = await checkout(customer!.url, id, "co-3");
    expect(empty.status).toBe(409);
    expect(empty.body).toMatchObject({ error: "cart_empty", field: "cart" });
    expect(await placedOnce(id)).toHaveLength(1);
  });

  it.each([
    [null, { order_type: "takeout" }, 400, "Idempotency-Key", "is required: send a unique key per request, and the same key when retrying it"],
    ["k".repeat(256), { order_type: "takeout" }, 400, "Idempotency-Key", "must be at most 255 characters, got 256"],
    ["v-1", { order_type: "dine_in" }, 400, "table_number", "is required for dine_in orders"],
    ["v-2", { order_type: "dine_in", table_number: 101 }, 400, "table_number", "must be an integer from 1 to 100"],
    ["v-3", { order_type: "delivery", delivery_address: "short" }, 400, "delivery_address", "must be at least 10 characters"],
    ["v-4", { order_type: "takeout", table_number: 3 }, 400, "table_number", "must be absent for takeout orders"],
    ["v-5", { order_type: "drive_thru" }, 400, "order_type", "must be one of dine_in, takeout, delivery"],
    ["v-6", { order_type: "takeout", tip: 5 }, 400, "tip", "is not a known field"],
  ])("refuses a checkout (key %s, body %j): %d naming %s, and the cart stays open with its lines", async (key, body, status, field, reason) => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Cola" });
    const answer = await checkout(customer!.url, id, key, body);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ field, reason });
    const cart = await call("GET", `${customer!.url}/customers/${id}/cart`);
    expect(cart.body).toMatchObject({ state: "open", total_amount: 2.49 });
    expect(await placedFor(id)).toHaveLength(0);
    // The same key, once the body is right, checks out.
    if (key !== null && key.length <= 255) expect((await checkout(customer!.url, id, key, { order_type: "takeout" })).status).toBe(201);
  });

  it("answers malformed JSON 400 and a body over 64 KiB 413, leaving the cart open", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Cola" });
    const malformed = await call("POST", `${customer!.url}/customers/${id}/cart/checkout`, "{", { "idempotency-key": "m-1" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: "malformed_json", field: "body" });
    const huge = await checkout(customer!.url, id, "m-2", { order_type: "delivery", delivery_address: "x".repeat(70 * 1024) });
    expect(huge.status).toBe(413);
    expect((await call("GET", `${customer!.url}/customers/${id}/cart`)).body.state).toBe("open");
  });

  it("prices the order from the menu at checkout, and refuses a checkout at a closed restaurant with 409, leaving no trace", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Margherita", size: "S", quantity: 2 });
    const main = DEFAULT_RESTAURANTS[0];
    const dearer: RestaurantDefinition = { ...main, menu: { ...main.menu, pizzas: main.menu.pizzas.map((p) => (p.name === "Margherita" ? { ...p, prices: { ...p.prices, S: 10.5 } } : p)) } };
    await publishRestaurants(kv, [{ ...dearer, open: false }]);
    try {
      const closed = await checkout(customer!.url, id, "menu-1");
      expect(closed.status).toBe(409);
      expect(closed.body).toMatchObject({ error: "restaurant_closed", field: "restaurant_id" });
      expect((await call("GET", `${customer!.url}/customers/${id}/cart`)).body).toMatchObject({ state: "open", total_amount: 19.98 });
      await publishRestaurants(kv, [dearer]);
      const answer = await checkout(customer!.url, id, "menu-1");
      expect(answer.status).toBe(201);
      expect(answer.body.total_amount).toBe(21);
      expect(order!.store.get(answer.body.order_number as string)!.total_amount).toBe(21);
    } finally {
      await publishRestaurants(kv, [main]);
    }
  });

  it("makes one order from a retry storm of one key and from racing requests with different keys", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Quattro Formaggi", size: "L", quantity: 3 });
    const storm = await Promise.all(Array.from({ length: 30 }, () => checkout(customer!.url, id, "storm-key")));
    expect(storm.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    const numbers = new Set(storm.filter((a) => a.status === 201).map((a) => a.body.order_number));
    expect(numbers.size).toBe(1);
    const settled = await checkout(customer!.url, id, "storm-key");
    expect(settled.status).toBe(201);
    expect(numbers.has(settled.body.order_number)).toBe(true);

    const other = await registerCustomer(customer!.url);
    await addItem(customer!.url, other, { item: "Cola" });
    const race = await Promise.all(Array.from({ length: 10 }, (_, i) => checkout(customer!.url, other, `race-${i}`)));
    expect(race.filter((a) => a.status === 201)).toHaveLength(1);
    expect(race.filter((a) => a.status !== 201).every((a) => a.status === 409)).toBe(true);
    expect(await placedOnce(id)).toHaveLength(1);
    expect(await placedOnce(other)).toHaveLength(1);
  });

  it("answers 409 to a checkout whose key's first request is still in progress, then that request's order", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Cola" });
    const text = JSON.stringify({ order_type: "takeout" });
    const { port } = new URL(customer!.url);
    const held = request({ host: "127.0.0.1", port, path: `/customers/${id}/cart/checkout`, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), "idempotency-key": "held-1" } });
    const heldAnswer = new Promise<{ status: number; body: string }>((resolve) =>
      held.on("response", (res) => {
        let b = "";
        res.on("data", (c) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: b }));
      }),
    );
    held.write(text.slice(0, 5)); // the headers are in, the body is not: the request is in progress
    // The service holds the key from the headers on.
    await waitFor(async () => (await call("GET", `${customer!.url}/health`)).body.keys_in_progress === 1, "the held request's key in progress");
    const busy = await checkout(customer!.url, id, "held-1");
    expect(busy.status).toBe(409);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect(busy.body).toMatchObject({ error: "idempotency_key_in_progress", field: "Idempotency-Key" });
    held.end(text.slice(5));
    const first = await heldAnswer;
    expect(first.status).toBe(201);
    const again = await checkout(customer!.url, id, "held-1");
    expect(again.body.order_number).toBe(JSON.parse(first.body).order_number);
    expect(await placedOnce(id)).toHaveLength(1);
  });

  it("answers 503 while the order service is down and keeps the checkout pending; the retry with its key makes the one order", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Pepperoni" });
    await order!.stop();
    order = null;
    const down = await checkout(customer!.url, id, "down-1");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect((await call("GET", `${customer!.url}/customers/${id}/cart`)).body.state).toBe("checking_out");
    const change = await addItem(customer!.url, id, { item: "Cola" });
    expect(change.status).toBe(409);
    expect(change.body.error).toBe("checkout_in_progress");
    await startOrderService();
    // A client that lost its key: 409, and the pending checkout is sent again, which makes the order.
    const otherKey = await checkout(customer!.url, id, "down-2");
    expect(otherKey.status).toBe(409);
    expect(otherKey.body.error).toBe("checkout_in_progress");
    await waitFor(async () => (await placedFor(id)).length === 1, "the pending checkout's order");
    const retry = await checkout(customer!.url, id, "down-1");
    expect(retry.status).toBe(201);
    expect(retry.body.order_number).toBe((await placedFor(id))[0].order_number);
    expect(await placedFor(id)).toHaveLength(1);
  });

  it("makes one order when the customer service is killed mid-checkout and restarted: before the order was made, and after", async () => {
    // 1. Killed while the command is out and nothing answers it: at the restart it is sent again.
    const before = await registerCustomer(customer!.url);
    await addItem(customer!.url, before, { item: "Funghi", size: "L" });
    await order!.stop();
    order = null;
    const seen: CheckoutCommand[] = [];
    const standIn = nc.subscribe(subjects.checkoutCommand, { callback: (_e, m) => void seen.push(JSON.parse(m.string()) as CheckoutCommand) });
    const lost = checkout(customer!.url, before, "crash-1").catch((e: Error) => e);
    await waitFor(() => seen.length > 0, "the checkout command sent");
    await customer!.abort();
    expect(await lost).toBeInstanceOf(Error); // the connection was dropped: no answer
    standIn.unsubscribe();
    await startOrderService();
    customer = await startCustomer(customerOptions());
    // The restart sends the pending command again by itself.
    await waitFor(async () => (await placedFor(before)).length === 1, "the order made at the restart");
    const retried = await checkout(customer.url, before, "crash-1");
    expect(retried.status).toBe(201);
    expect(retried.body.order_number).toBe((await placedFor(before))[0].order_number);

    // 2. Killed once the order service has the command (it makes the order; the answer is lost or not).
    const after = await registerCustomer(customer.url);
    await addItem(customer.url, after, { item: "Margherita" });
    const commands: CheckoutCommand[] = [];
    const tap = nc.subscribe(subjects.checkoutCommand, { callback: (_e, m) => void commands.push(JSON.parse(m.string()) as CheckoutCommand) });
    const pending = checkout(customer.url, after, "crash-2").catch((e: Error) => e);
    await waitFor(() => commands.length > 0, "the checkout command sent");
    await customer.abort();
    await pending;
    tap.unsubscribe();
    customer = await startCustomer(customerOptions());
    const again = await checkout(customer.url, after, "crash-2");
    expect(again.status).toBe(201);
    await waitFor(async () => (await checkedOut(after)).length === 1, "CartCheckedOut once");
    expect(await placedOnce(after)).toHaveLength(1);
    expect((await placedFor(after))[0].order_number).toBe(again.body.order_number);
    expect(await checkedOut(after)).toHaveLength(1);
  });

  it("keeps each customer's orders across a restart and a replay of the stream, once each, with their status", async () => {
    const id = await registerCustomer(customer!.url);
    await addItem(customer!.url, id, { item: "Cola" });
    const made = await checkout(customer!.url, id, "view-1");
    await waitFor(async () => (await call("GET", `${customer!.url}/customers/${id}/orders`)).body.orders.length === 1, "the order listed");
    await customer!.stop();
    customer = await startCustomer(customerOptions());
    const listed = (await call("GET", `${customer.url}/customers/${id}/orders`)).body.orders;
    expect(listed.map((o: { order_number: string }) => o.order_number)).toEqual([made.body.order_number]);
    // Every event applied again (a redelivery of the whole stream) changes nothing.
    const all = await orderEvents(broker.url);
    for (const e of all) customer.view.apply(e);
    expect(customer.view.ofCustomer(id)).toEqual((await call("GET", `${customer.url}/customers/${id}/orders`)).body.orders);
    expect(customer.view.ofCustomer(id)).toHaveLength(1);
  });
});
