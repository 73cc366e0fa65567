import { join } from "node:path";
import { rmSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start, type OrderService } from "../src/services/order/index.js";
import { subjects } from "../src/services/shared/contracts.js";
import { type CheckoutCommand, type CheckoutReply } from "../src/services/shared/customer-contracts.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { orderEventsOnce } from "./helpers/stream.js";

const command = (overrides: Record<string, unknown> = {}): CheckoutCommand =>
  ({
    idempotency_key: "checkout-cart_1",
    customer_id: "cus_1",
    customer_name: "Ada Lovelace",
    restaurant_id: "napoli",
    order_type: "takeout",
    lines: [
      { item: "Marinara", name: "Marinara (S, neapolitan)", size: "S", crust: "neapolitan", toppings: [], quantity: 2, unit_price: 8.5 },
      { item: "Chinotto", name: "Chinotto", toppings: [], quantity: 1, unit_price: 2.8 },
    ],
    total_amount: 19.8,
    ...overrides,
  }) as CheckoutCommand;

describe("the order service's checkout command", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  let nc: NatsConnection;
  let svc: OrderService;
  const ask = async (body: unknown): Promise<CheckoutReply> =>
    JSON.parse((await nc.request(subjects.checkoutCommand, typeof body === "string" ? body : JSON.stringify(body), { timeout: 5_000 })).string()) as CheckoutReply;

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("checkout-command");
    nc = await connect({ servers: broker.url });
    svc = await start({ nats: { servers: broker.url }, port: 0, dbFile: join(dir, "order.db"), logFile: join(dir, "order.log") });
  });
  afterAll(async () => {
    await svc?.stop();
    await nc?.close();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("makes one order per key: the same command again answers with it, another command under the key is 422", async () => {
    const first = await ask(command());
    expect(first).toMatchObject({ ok: true, total_amount: 19.8, status: "received" });
    const again = await Promise.all([ask(command()), ask(command()), ask(command())]);
    for (const a of again) expect(a).toEqual(first);
    const other = await ask(command({ order_type: "dine_in", table_number: 3 }));
    expect(other).toMatchObject({ ok: false, status: 422, field: "idempotency_key" });
    const placed = await orderEventsOnce(broker.url, (e) => e.kind === "placed" && e.data.request_id === "checkout-cart_1", "the checkout's OrderPlaced");
    expect(placed).toHaveLength(1);
    expect(placed[0].restaurant).toBe("napoli"); // the cart's restaurant, in the envelope (and the subject) of every event
    expect(placed[0].data).toMatchObject({ customer_id: "cus_1", total_amount: 19.8, items: [{ name: "Marinara (S, neapolitan)", quantity: 2, price: 8.5 }, { name: "Chinotto", quantity: 1, price: 2.8 }] });
    const order = await getJson(`${svc.url}/orders/${(first as { order_number: string }).order_number}`);
    expect(order.body).toMatchObject({ customer_id: "cus_1", restaurant_id: "napoli", lines: command().lines });
  });

  it.each([
    ["{", "body"],
    [command({ idempotency_key: "" }), "idempotency_key"],
    [command({ idempotency_key: "checkout-2", customer_id: 7 }), "customer_id"],
    [command({ idempotency_key: "checkout-3", order_type: "dine_in" }), "table_number"],
    [command({ idempotency_key: "checkout-4", order_type: "delivery", delivery_address: "x" }), "delivery_address"],
    [command({ idempotency_key: "checkout-5", lines: [] }), "lines"],
    [command({ idempotency_key: "checkout-6", lines: [{ ...command().lines[0], quantity: 11 }], total_amount: 93.5 }), "lines[0].quantity"],
    [command({ idempotency_key: "checkout-7", lines: [{ ...command().lines[0], unit_price: 0 }], total_amount: 0 }), "lines[0].unit_price"],
    [command({ idempotency_key: "checkout-8", total_amount: 1 }), "total_amount"],
  ])("refuses the command %j with 400 naming %s, and makes no order", async (body, field) => {
    const before = Object.values(svc.store.countsByStatus()).reduce((a, b) => a + b, 0);
    const reply = await ask(body);
    expect(reply).toMatchObject({ ok: false, status: 400, field });
    expect(Object.values(svc.store.countsByStatus()).reduce((a, b) => a + b, 0)).toBe(before);
  });

  it("makes one order per key across order instances: the one that claimed the key answers, 503 while it is down", async () => {
    const startAs = (instance: string) => start({ nats: { servers: broker.url }, instance, port: 0, dbFile: join(dir, `${instance}.db`), logFile: join(dir, `${instance}.log`) });
    const key = "cus_9:across";
    await svc.stop();
    let second = await startAs("order-2");
    // order-2 alone takes the command: it claims the key and makes the order.
    const first = await ask(command({ idempotency_key: key }));
    expect(first.ok).toBe(true);
    svc = await startAs("order-1");
    await second.stop();
    // order-1 gets it now, but the key is order-2's: no second order, 503 until order-2 is back.
    const down = await ask(command({ idempotency_key: key }));
    expect(down).toMatchObject({ ok: false, status: 503 });
    expect(svc.store.findByRequest(key)).toBeUndefined();
    second = await startAs("order-2");
    try {
      const replies = [];
      for (let i = 0; i < 8; i++) replies.push(await ask(command({ idempotency_key: key })));
      for (const r of replies) expect(r).toEqual(first);
      expect(svc.store.findByRequest(key)).toBeUndefined();
      expect(second.store.findByRequest(key)?.number).toBe((first as { order_number: string }).order_number);
    } finally {
      await second.stop();
    }
  });

  it("leaves anonymous POST /orders as the seed defines it: no customer, no lines, the default restaurant", async () => {
    const answer = await postOrder(svc.url, validOrder());
    expect(answer.status).toBe(201);
    const order = await getJson(`${svc.url}/orders/${answer.body.order_number}`);
    expect(order.body).toMatchObject({ customer_id: null, restaurant_id: "main" });
    expect(order.body.lines).toBeUndefined();
    const [placed] = await orderEventsOnce(broker.url, (e) => e.kind === "placed" && e.order_number === answer.body.order_number, "the OrderPlaced");
    expect(placed.restaurant).toBe("main");
    expect(Object.keys(placed.data).sort()).toEqual(["customer_name", "items", "request_id", "total_amount"]);
  });
});
