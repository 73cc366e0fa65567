import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { start, type OrderService } from "../src/services/order/index.js";
import { dayKey, formatOrderNumber, orderKey } from "../src/services/order/order-numbers.js";
import { Kvm } from "@nats-io/kv";
import { BUCKETS, subjects } from "../src/services/shared/contracts.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";

/** The order service's tables as version 0.1.0 wrote them (text primary key, item rows, a rowid log). */
const V1_SCHEMA = `
CREATE TABLE orders (
  number TEXT PRIMARY KEY, day TEXT NOT NULL, seq INTEGER NOT NULL, request_id TEXT NOT NULL UNIQUE,
  customer_name TEXT NOT NULL, order_type TEXT NOT NULL, table_number INTEGER, delivery_address TEXT,
  total_amount REAL NOT NULL, priority INTEGER NOT NULL, status TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, completed_at TEXT
);
CREATE INDEX orders_day_seq ON orders (day, seq);
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_number TEXT NOT NULL REFERENCES orders(number), name TEXT NOT NULL, quantity INTEGER NOT NULL, price REAL NOT NULL);
CREATE TABLE order_status_log (
  id INTEGER PRIMARY KEY, order_number TEXT NOT NULL REFERENCES orders(number), event_id TEXT NOT NULL UNIQUE,
  from_status TEXT, status TEXT NOT NULL, changed_by TEXT NOT NULL, changed_at TEXT NOT NULL
);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, subject TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL);
`;

function writeV1Database(file: string): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(V1_SCHEMA);
  const order = db.prepare(
    `INSERT INTO orders VALUES (?, ?, ?, ?, 'Old Customer', 'takeout', NULL, NULL, 27.5, 1, ?, '2025-03-09T10:00:00.000Z', '2025-03-09T10:00:03.000Z', ?)`,
  );
  order.run("ORD_20250309_001", "20250309", 1, "old-req-1", "completed", "2025-03-09T10:00:03.000Z");
  order.run("ORD_20250309_1000", "20250309", 1000, "old-req-2", "received", null);
  const item = db.prepare("INSERT INTO order_items (order_number, name, quantity, price) VALUES (?, ?, ?, ?)");
  item.run("ORD_20250309_001", "Margherita Pizza", 2, 12.5);
  item.run("ORD_20250309_001", "Cola", 1, 2.5);
  item.run("ORD_20250309_1000", "Calzone", 1, 11);
  const log = db.prepare("INSERT INTO order_status_log (order_number, event_id, from_status, status, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)");
  // Written as they happened; completed and ready in the same millisecond, as the order service does.
  log.run("ORD_20250309_001", "ORD_20250309_001.placed", null, "received", "order-1", "2025-03-09T10:00:00.000Z");
  log.run("ORD_20250309_001", "ORD_20250309_001.paid", "received", "paid", "payment-1", "2025-03-09T10:00:01.000Z");
  log.run("ORD_20250309_001", "ORD_20250309_001.cooking", "paid", "cooking", "chef_anna", "2025-03-09T10:00:02.000Z");
  log.run("ORD_20250309_001", "ORD_20250309_001.ready", "cooking", "ready", "chef_anna", "2025-03-09T10:00:03.000Z");
  log.run("ORD_20250309_001", "ORD_20250309_001.completed", "ready", "completed", "order-1", "2025-03-09T10:00:03.000Z");
  log.run("ORD_20250309_1000", "ORD_20250309_1000.placed", null, "received", "order-1", "2025-03-09T11:00:00.000Z");
  db.close();
}

describe("order store", () => {
  const t = useTestNats();
  const dir = scratchDir("order-store");
  const services: OrderService[] = [];
  afterAll(async () => {
    for (const s of services) await s.stop();
  });
  const startOrder = async (instance: string, numberBlockSize?: number) => {
    const svc = await start({ nats: { servers: t.broker.url }, instance, port: 0, numberBlockSize, dbFile: join(dir, `${instance}.db`), logFile: join(dir, `${instance}.log`) });
    services.push(svc);
    return svc;
  };

  it("keys orders by their number as an integer that sorts as numbers are handed out, past 999 a day and across days", () => {
    expect(orderKey("ORD_20250309_001")).toBe(dayKey("20250309") + 1);
    expect(orderKey("ORD_20250309_1000")! - orderKey("ORD_20250309_999")!).toBe(1);
    expect(orderKey("ORD_20250310_001")).toBeGreaterThan(orderKey("ORD_20250309_9999999999")!);
    expect(dayKey("20250301") - dayKey("20250228")).toBe(1e10);
    expect(orderKey("ORD_29991231_9999999")).toBeLessThan(Number.MAX_SAFE_INTEGER);
    expect(orderKey("not an order")).toBeNull();
    expect(orderKey("ORD_2025030_001")).toBeNull();
  });

  it("moves a database of the earlier layout into the current one and serves its orders, items and history as before", async () => {
    writeV1Database(join(dir, "order-old.db"));
    const svc = await startOrder("order-old");

    const old = await getJson(`${svc.url}/orders/ORD_20250309_001`);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ number: "ORD_20250309_001", request_id: "old-req-1", restaurant_id: "main", status: "completed", completed_at: "2025-03-09T10:00:03.000Z" });
    expect(old.body.items).toEqual([
      { name: "Margherita Pizza", quantity: 2, price: 12.5 },
      { name: "Cola", quantity: 1, price: 2.5 },
    ]);
    expect(old.body.history.map((h: { status: string }) => h.status)).toEqual(["received", "paid", "cooking", "ready", "completed"]);
    expect(old.body.history[2]).toEqual({ from_status: "paid", status: "cooking", changed_by: "chef_anna", changed_at: "2025-03-09T10:00:02.000Z" });
    expect((await getJson(`${svc.url}/orders/ORD_20250309_1000`)).body.items).toEqual([{ name: "Calzone", quantity: 1, price: 11 }]);

    // A new order beside them; a retry of an old request is still recognised.
    const placed = await postOrder(svc.url, validOrder("dine_in"));
    expect(placed.status).toBe(201);
    const fresh = await getJson(`${svc.url}/orders/${placed.body.order_number}`);
    expect(fresh.body.items).toEqual(validOrder("dine_in").items);
    expect(fresh.body.history.map((h: { status: string }) => h.status)).toEqual(["received"]);
    const replay = await postOrder(svc.url, validOrder("takeout"), { "idempotency-key": "old-req-2" });
    expect(replay).toMatchObject({ status: 201, body: { order_number: "ORD_20250309_1000" } });

    // Paging walks them in numbering order: the old day first, 001 before 1000.
    const reply = await t.nc.request(subjects.control("order", "order-old", "orders"), JSON.stringify({ after: null, limit: 10 }));
    const numbers = (JSON.parse(reply.string()) as { orders: Array<{ number: string }> }).orders.map((o) => o.number);
    expect(numbers).toEqual(["ORD_20250309_001", "ORD_20250309_1000", placed.body.order_number]);
    const next = await t.nc.request(subjects.control("order", "order-old", "orders"), JSON.stringify({ after: "ORD_20250309_001", limit: 1 }));
    expect((JSON.parse(next.string()) as { orders: Array<{ number: string }> }).orders.map((o) => o.number)).toEqual(["ORD_20250309_1000"]);
  });

  it("numbers on after the highest number of the day its database holds when the shared counter was lost", async () => {
    const first = await startOrder("order-seq", 5);
    const numbers: string[] = [];
    for (let i = 0; i < 3; i++) numbers.push((await postOrder(first.url, validOrder("takeout"))).body.order_number as string);
    await first.stop();
    const day = numbers[0].slice(4, 12);
    const n0 = Number(numbers[0].slice(13));
    expect(numbers).toEqual([0, 1, 2].map((i) => formatOrderNumber(day, n0 + i)));
    // The counter in KV is gone (a new broker, a purged bucket): the next block starts above what is stored.
    await (await new Kvm(t.nc).open(BUCKETS.orderSequence)).purge(`seq_${day}`);
    const again = await startOrder("order-seq", 5);
    const next = await postOrder(again.url, validOrder("takeout"));
    expect(next).toMatchObject({ status: 201, body: { order_number: formatOrderNumber(day, n0 + 3) } });
  });

  it("refuses, with the file and the reason, a database it cannot move to the current layout, and leaves it as it was", async () => {
    const file = join(dir, "order-odd.db");
    const odd = new Database(file);
    odd.exec("CREATE TABLE orders (number TEXT PRIMARY KEY, note TEXT); INSERT INTO orders VALUES ('ORD_20250309_001', 'kept');");
    odd.close();
    await expect(startOrder("order-odd")).rejects.toMatchObject({ name: "ConfigError", message: expect.stringContaining(`${file}: cannot move its orders to the current layout`) });
    const after = new Database(file, { readonly: true });
    expect(after.prepare("SELECT number, note FROM orders").all()).toEqual([{ number: "ORD_20250309_001", note: "kept" }]);
    after.close();
  });

  it("answers 404 for a number it does not hold, and for what is not an order number", async () => {
    const svc = await startOrder("order-404");
    expect((await getJson(`${svc.url}/orders/ORD_20250309_001`)).status).toBe(404);
    expect((await getJson(`${svc.url}/orders/pizza`)).status).toBe(404);
  });
});
