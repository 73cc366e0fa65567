import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_TYPES, type OrderType } from "../src/services/shared/contracts.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { kindsByOrder, orderEvents } from "./helpers/stream.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

describe("the order pipeline, end to end over HTTP", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // No declines here: every order must go the whole way.
    sys = await startTestSystem({ roster: { payment: { instances: 1, provider: { failureRate: 0, latencyMs: 2 } } } });
  });
  afterAll(() => sys?.close());

  it("takes each order to completed in tracking with its full history in order", async () => {
    const numbers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const type: OrderType = ORDER_TYPES[i % 3];
      const answer = await postOrder(sys.orderUrl, validOrder(type));
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ order_number: expect.stringMatching(/^ORD_\d{8}_\d{3,}$/), status: "received", total_amount: 28.47 });
      numbers.push(answer.body.order_number as string);
    }
    expect(new Set(numbers).size).toBe(numbers.length);

    for (const number of numbers) {
      const status = await waitFor(async () => {
        const { body } = await getJson(`${sys.trackingUrl}/orders/${number}/status`);
        return body.current_status === "completed" ? body : null;
      }, `${number} to complete`);
      expect(status.order_number).toBe(number);
      expect(status.processed_by).toMatch(/^chef_/);
      const history = await getJson(`${sys.trackingUrl}/orders/${number}/history`);
      expect(history.status).toBe(200);
      expect(history.body.map((h: { status: string }) => h.status)).toEqual(["received", "paid", "accepted", "cooking", "ready", "completed"]);
      const times = history.body.map((h: { timestamp: string }) => Date.parse(h.timestamp));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(history.body[0].changed_by).toBe("order-1");
      expect(history.body[1].changed_by).toBe("payment-1");
    }

    // The stream holds each event exactly once per order.
    const byOrder = kindsByOrder(await orderEvents(sys.natsUrl));
    for (const number of numbers) expect(byOrder.get(number)).toEqual(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
  });

  it("numbers orders ORD_<UTC day>_NNN from 001 and reports them through the order API too", async () => {
    const answer = await postOrder(sys.orderUrl, validOrder("dine_in"));
    const day = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    expect(answer.body.order_number).toMatch(new RegExp(`^ORD_${day}_\\d{3,}$`));
    const mine = await getJson(`${sys.orderUrl}/orders/${answer.body.order_number}`);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(2);
    expect(mine.body.priority).toBe(1);
  });

  it("answers the seed's other endpoints: menu, health, workers, and 404 for unknown orders", async () => {
    const menu = await getJson(`${sys.orderUrl}/menu`);
    expect(menu.body.items.length).toBeGreaterThan(5);
    expect((await getJson(`${sys.orderUrl}/health`)).body.status).toBe("ok");
    const missing = await getJson(`${sys.trackingUrl}/orders/ORD_20000101_001/status`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: "order_not_found", field: "order_number" });
    const workers = await waitFor(async () => {
      const { body } = await getJson(`${sys.trackingUrl}/workers/status`);
      return body.length === 3 ? body : null;
    }, "three workers in tracking");
    expect(workers.map((w: { worker_name: string }) => w.worker_name).sort()).toEqual(["chef_anna", "chef_luigi", "chef_mario"]);
    expect(workers.every((w: { status: string }) => w.status === "online")).toBe(true);
  });

  it("gives a high-value order priority 10 and a mid-value one 5", async () => {
    const big = await postOrder(sys.orderUrl, validOrder("takeout", { items: [{ name: "Family Feast Pizza", quantity: 3, price: 34.99 }] }));
    const mid = await postOrder(sys.orderUrl, validOrder("takeout", { items: [{ name: "Family Feast Pizza", quantity: 2, price: 34.99 }] }));
    expect(big.body.total_amount).toBe(104.97);
    const bigOrder = await getJson(`${sys.orderUrl}/orders/${big.body.order_number}`);
    const midOrder = await getJson(`${sys.orderUrl}/orders/${mid.body.order_number}`);
    expect(bigOrder.body.priority).toBe(10);
    expect(midOrder.body.priority).toBe(5);
  });
});

describe("two order services on one stream", () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ roster: { order: { instances: 2 }, payment: { instances: 1, provider: { failureRate: 0, latencyMs: 2 } } } });
  });
  afterAll(() => sys?.close());

  // Each order service's durable takes every order event (no filter on the origin: see
  // consumerConfig) and must apply only those of its own orders.
  it("takes each instance's orders to completed in that instance, and leaves the other's alone", async () => {
    const urls = sys.launcher.urls("order");
    expect(urls).toHaveLength(2);
    const placed: Array<{ url: string; other: string; number: string }> = [];
    for (let i = 0; i < 20; i++) {
      const answer = await postOrder(urls[i % 2], validOrder(ORDER_TYPES[i % 3]));
      expect(answer.status).toBe(201);
      placed.push({ url: urls[i % 2], other: urls[(i + 1) % 2], number: answer.body.order_number as string });
    }
    expect(new Set(placed.map((p) => p.number)).size).toBe(20);
    for (const p of placed) {
      const mine = await waitFor(async () => {
        const { body } = await getJson(`${p.url}/orders/${p.number}`);
        return body.status === "completed" ? body : null;
      }, `${p.number} completed in the order service that took it`);
      expect(mine.number).toBe(p.number);
      expect(mine.history.map((h: { status: string }) => h.status)).toEqual(["received", "paid", "accepted", "cooking", "ready", "completed"]);
      expect((await getJson(`${p.other}/orders/${p.number}`)).status).toBe(404);
    }
    // Neither tried to apply the other's events (it would have logged an event for an unknown order).
    for (const instance of ["order-1", "order-2"]) {
      const log = readFileSync(join(sys.runDir, "logs", `order-${instance}.log`), "utf8");
      expect(log).not.toMatch(/unknown_order_event/);
      expect(log).toMatch(/order_status_changed/);
    }
  });
});
