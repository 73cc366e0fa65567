import type { OrderEvent } from "../src/services/shared/contracts.js";
import { request } from "node:http";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start, type OrderService } from "../src/services/order/index.js";
import { MAX_IDEMPOTENCY_KEY_LENGTH, requestFingerprint } from "../src/services/shared/idempotency.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { waitFor } from "./helpers/wait.js";
import { orderEventsOnce } from "./helpers/stream.js";

describe("request fingerprints", () => {
  it("are the same for the same JSON in another key order or spacing, and differ for another body or route", () => {
    const a = requestFingerprint("POST /orders", JSON.parse('{"a":1,"b":{"c":[1,2],"d":"x"}}'));
    const b = requestFingerprint("POST /orders", JSON.parse('{ "b": { "d": "x", "c": [1, 2] }, "a": 1 }'));
    expect(a).toBe(b);
    expect(requestFingerprint("POST /orders", { a: 1, b: { c: [2, 1], d: "x" } })).not.toBe(a);
    expect(requestFingerprint("POST /other", JSON.parse('{"a":1,"b":{"c":[1,2],"d":"x"}}'))).not.toBe(a);
  });
});

describe("Idempotency-Key on POST /orders (IETF draft, Stripe's practice)", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  let svc: OrderService;

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("idempotency");
    svc = await start({ nats: { servers: broker.url }, port: 0, dbFile: join(dir, "order.db"), logFile: join(dir, "order.log") });
  });
  afterAll(async () => {
    await svc?.stop();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the same answer for the same key and the same body, even with its fields in another order", async () => {
    const body = validOrder("delivery");
    const first = await postOrder(svc.url, body, { "idempotency-key": "same-1" });
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await postOrder(svc.url, JSON.stringify(reordered, null, 2), { "idempotency-key": "same-1" });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("refuses the same key with a different body with 422 naming the key, and makes no second order", async () => {
    const first = await postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "k1" });
    expect(first.status).toBe(201);
    const other = validOrder("takeout", { customer_name: "Someone Else", items: [{ name: "Funghi Pizza", quantity: 3, price: 13.99 }] });
    const second = await postOrder(svc.url, other, { "idempotency-key": "k1" });
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ error: "idempotency_key_reused", field: "Idempotency-Key" });
    expect(second.body.message).toContain('"k1"');
    expect(second.body.reason).toContain(first.body.order_number as string);
    const placed = await orderEventsOnce<OrderEvent<"placed">>(broker.url, (e) => e.kind === "placed" && e.data.request_id === "k1", "the OrderPlaced of k1");
    expect(placed).toHaveLength(1);
    expect(placed[0].data.customer_name).toBe("Jane O'Neil-Doe");
    // The first request, sent again, still gets its order.
    const replay = await postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "k1" });
    expect(replay.body.order_number).toBe(first.body.order_number);
  });

  it("answers 409 while the key's first request is still in progress, then the first request's order to a retry", async () => {
    const port = new URL(svc.url).port;
    const text = JSON.stringify(validOrder("takeout"));
    // The first request is held mid-body: it is in progress until the rest arrives.
    const held = request({ host: "127.0.0.1", port, path: "/orders", method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), "idempotency-key": "slow-1" } });
    const heldAnswer = new Promise<{ status: number; body: string }>((resolve) =>
      held.on("response", (res) => {
        let b = "";
        res.on("data", (c) => (b += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: b }));
      }),
    );
    held.write(text.slice(0, 10));
    await new Promise((r) => held.once("socket", (s) => (s.connecting ? s.once("connect", r) : r(undefined))));
    // The service has begun it (its headers are in) before the retry is sent.
    await waitFor(async () => (await getJson(`${svc.url}/health`)).body.in_flight === 1, "the held request in flight");
    const busy = await postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "slow-1" });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ error: "idempotency_key_in_progress", field: "Idempotency-Key" });
    expect(busy.headers.get("retry-after")).toBe("1");
    held.end(text.slice(10));
    const first = await heldAnswer;
    expect(first.status).toBe(201);
    const retry = await postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "slow-1" });
    expect(retry.status).toBe(201);
    expect(retry.body.order_number).toBe(JSON.parse(first.body).order_number);
  });

  it("makes one order from a storm of concurrent requests with one key: the others are replays or 409", async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "storm-1" })));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    expect(new Set(created.map((a) => a.body.order_number)).size).toBe(1);
    const placed = await orderEventsOnce(broker.url, (e) => e.kind === "placed" && e.data.request_id === "storm-1", "the OrderPlaced of storm-1");
    expect(placed).toHaveLength(1);
  });

  it("refuses a key over 255 characters, or an empty one, with 400 and stores nothing", async () => {
    const before = svc.store.countsByStatus().received ?? 0;
    const long = await postOrder(svc.url, validOrder(), { "idempotency-key": "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1) });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: "invalid_idempotency_key", field: "Idempotency-Key", reason: "must be at most 255 characters, got 256" });
    const empty = await postOrder(svc.url, validOrder(), { "idempotency-key": " " });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ field: "Idempotency-Key", reason: "must not be empty" });
    const exact = await postOrder(svc.url, validOrder(), { "idempotency-key": "k".repeat(MAX_IDEMPOTENCY_KEY_LENGTH) });
    expect(exact.status).toBe(201);
    expect(svc.store.countsByStatus().received ?? 0).toBe(before + 1);
  });

  it("keeps X-Request-Id working as the key when no Idempotency-Key is sent", async () => {
    const first = await postOrder(svc.url, validOrder(), { "x-request-id": "xr-1" });
    const again = await postOrder(svc.url, validOrder(), { "x-request-id": "xr-1" });
    expect(again.body.order_number).toBe(first.body.order_number);
    const other = await postOrder(svc.url, validOrder("dine_in"), { "x-request-id": "xr-1" });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe("idempotency_key_reused");
  });
});
