import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/services/shared/db.js";
import { orderEvent } from "../src/services/shared/events.js";
import { ReadModel, TRACKING_SCHEMA } from "../src/services/tracking/read-model.js";
import type { AnyOrderEvent, EventData } from "../src/services/shared/contracts.js";
import { scratchDir } from "./helpers/nats.js";

const placed = (number: string, restaurant: string, extra: Record<string, unknown> = {}): AnyOrderEvent =>
  orderEvent("placed", { order_number: number, order_type: "takeout", priority: 1, restaurant, origin: "order-1" }, null, "order-1", {
    customer_name: "Jane",
    items: [{ name: "Cola", quantity: 1, price: 2.49 }],
    total_amount: 2.49,
    request_id: `r-${number}`,
    ...extra,
  } as EventData["placed"]).payload as AnyOrderEvent;

describe("tracking's read model and the restaurant board", () => {
  const dir = scratchDir("tracking-board");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("adds the restaurant and customer to a read model written before restaurants; its orders are the default restaurant's", () => {
    const file = join(dir, "old.db");
    const old = new Database(file);
    old.exec(`CREATE TABLE orders (number TEXT PRIMARY KEY, order_type TEXT NOT NULL, customer_name TEXT NOT NULL, total_amount REAL NOT NULL, priority INTEGER NOT NULL,
      origin TEXT NOT NULL, status TEXT NOT NULL, processed_by TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO orders VALUES ('ORD_20250101_001', 'takeout', 'Old Timer', 9.99, 1, 'order-1', 'completed', 'chef_mario', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z');`);
    old.close();
    const db = openDatabase(file, TRACKING_SCHEMA);
    const model = new ReadModel(db);
    expect(model.order("ORD_20250101_001")).toMatchObject({ restaurant: null, customer_id: null, status: "completed" });
    expect(model.board("main", null, 10).map((o) => o.number)).toEqual(["ORD_20250101_001"]);
    expect(model.board("napoli", null, 10)).toEqual([]);

    expect(model.apply(placed("ORD_20250101_002", "napoli", { customer_id: "cus_42" })).result).toBe("applied");
    expect(model.apply(placed("ORD_20250101_003", "main")).result).toBe("applied");
    expect(model.order("ORD_20250101_002")).toMatchObject({ restaurant: "napoli", customer_id: "cus_42" });
    expect(model.board("napoli", "received", 10).map((o) => o.number)).toEqual(["ORD_20250101_002"]);
    expect(model.board("main", "received", 10).map((o) => o.number)).toEqual(["ORD_20250101_003"]);
    expect(model.board("main", null, 10).map((o) => o.number)).toEqual(["ORD_20250101_001", "ORD_20250101_003"]);
    db.close();
  });
});
