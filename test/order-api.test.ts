import { request } from "node:http";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start, type OrderService } from "../src/services/order/index.js";
import { STREAMS } from "../src/services/shared/contracts.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { postOrder, validOrder } from "./helpers/orders.js";
import { orderEventsOnce } from "./helpers/stream.js";

describe("order API at its edges", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  let nc: NatsConnection;
  const services: OrderService[] = [];
  const startOrder = async (instance: string, extra: Partial<Parameters<typeof start>[0]> = {}) => {
    const s = await start({
      nats: { servers: broker.url },
      instance,
      port: 0,
      dbFile: join(dir, `${instance}.db`),
      logFile: join(dir, `${instance}.log`),
      ...extra,
    });
    services.push(s);
    return s;
  };
  const storedMessages = async () => (await (await jetstreamManager(nc)).streams.info(STREAMS.orders)).state.messages;

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("order-api");
    nc = await connect({ servers: broker.url });
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await nc.close();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores and publishes nothing for rejected orders: invalid fields, malformed JSON, wrong type, oversized", async () => {
    const svc = await startOrder("order-1");
    const before = await storedMessages();
    const invalid = await postOrder(svc.url, validOrder("dine_in", { table_number: 0 }));
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ error: "validation_failed", field: "table_number", reason: "must be an integer from 1 to 100" });

    const malformed = await postOrder(svc.url, '{"customer_name": "Jane", ');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: "malformed_json", field: "body" });
    expect(malformed.body.reason).toMatch(/not valid JSON/);

    const wrongType = await postOrder(svc.url, JSON.stringify(validOrder()), { "content-type": "text/plain" });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body).toMatchObject({ field: "content-type", reason: "must be application/json, got text/plain" });

    const huge = validOrder("takeout", { customer_name: "A".repeat(70 * 1024) });
    const oversized = await postOrder(svc.url, huge);
    expect(oversized.status).toBe(413);
    expect(oversized.body).toMatchObject({ error: "payload_too_large", field: "body", reason: "must be at most 65536 bytes" });

    const notObject = await postOrder(svc.url, "[1,2]");
    expect(notObject.status).toBe(400);
    expect(notObject.body).toMatchObject({ field: "body", reason: "must be a JSON object" });

    expect(svc.store.countsByStatus()).toEqual({});
    expect(svc.outbox.pending()).toBe(0);
    expect(await storedMessages()).toBe(before);
    // ...and the service is still fine afterwards.
    expect((await postOrder(svc.url, validOrder())).status).toBe(201);
  });

  it("answers 404 and 405 with a JSON body", async () => {
    const [svc] = services;
    const missing = await fetch(`${svc.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
    const wrongMethod = await fetch(`${svc.url}/menu`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
  });

  it("replays the same order for a repeated Idempotency-Key instead of creating a second one", async () => {
    const [svc] = services;
    const first = await postOrder(svc.url, validOrder(), { "idempotency-key": "req-abc-1" });
    const again = await postOrder(svc.url, validOrder(), { "idempotency-key": "req-abc-1" });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.order_number).toBe(first.body.order_number);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const placed = await orderEventsOnce(broker.url, (e) => e.kind === "placed" && e.data.request_id === "req-abc-1", "the OrderPlaced of req-abc-1");
    expect(placed).toHaveLength(1);
  });

  it("answers 503 with Retry-After beyond --max-concurrent instead of queueing", async () => {
    const svc = await startOrder("order-busy", { maxConcurrent: 1 });
    const port = new URL(svc.url).port;
    // Hold one request open mid-body so it stays in flight.
    const held = request({ host: "127.0.0.1", port, path: "/orders", method: "POST", headers: { "content-type": "application/json", "content-length": "5000" } });
    const heldAnswer = new Promise<number>((resolve) => held.on("response", (res) => resolve(res.statusCode!)));
    held.on("error", () => undefined);
    held.write('{"customer_name":');
    await new Promise((r) => held.once("socket", (s) => (s.connecting ? s.once("connect", r) : r(undefined))));
    let busy;
    for (let i = 0; i < 100; i++) {
      busy = await postOrder(svc.url, validOrder());
      if (busy.status === 503) break;
    }
    expect(busy!.status).toBe(503);
    expect(busy!.headers.get("retry-after")).toBe("1");
    expect(busy!.body).toMatchObject({ error: "overloaded" });
    held.end(" ".repeat(5000 - 17));
    expect(await heldAnswer).toBe(400);
    expect((await postOrder(svc.url, validOrder())).status).toBe(201);
  });

  it("keeps order numbers unique across several order-service instances", async () => {
    const a = await startOrder("order-a", { numberBlockSize: 5 });
    const b = await startOrder("order-b", { numberBlockSize: 5 });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => postOrder(i % 2 ? a.url : b.url, validOrder())));
    expect(answers.every((x) => x.status === 201)).toBe(true);
    const numbers = answers.map((x) => x.body.order_number as string);
    expect(new Set(numbers).size).toBe(60);
    for (const n of numbers) expect(n).toMatch(/^ORD_\d{8}_\d{3,}$/);
  });
});
