import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { immediate, openDatabase } from "../src/services/shared/db.js";
import { orderEvent } from "../src/services/shared/events.js";
import type { AnyOrderEvent, EventData } from "../src/services/shared/contracts.js";
import { itemsOf } from "../src/services/tracking/graphql/resolvers.js";
import { ReadModel, TRACKING_SCHEMA, type AppliedChange } from "../src/services/tracking/read-model.js";
import { scratchDir } from "./helpers/nats.js";

const header = (number: string) => ({ order_number: number, order_type: "takeout" as const, priority: 1, restaurant: "napoli", origin: "order-1" });
const placed = (number: string, data: Record<string, unknown>): AnyOrderEvent =>
  orderEvent("placed", header(number), null, "order-1", { customer_name: "Jane", total_amount: 9.5, request_id: `r-${number}`, ...data } as unknown as EventData["placed"]).payload as AnyOrderEvent;

describe("what tracking's read model keeps and tells for GraphQL", () => {
  const dir = scratchDir("graphql-model");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps a checkout's priced lines and its customer, and an order's plain items", () => {
    const db = openDatabase(join(dir, "lines.db"), TRACKING_SCHEMA);
    const model = new ReadModel(db);
    const lines = [{ item: "Marinara", name: "Marinara (L, thin)", size: "L", crust: "thin", toppings: ["basil", 7], quantity: 2, unit_price: 11.5 }];
    model.apply(placed("ORD_20250101_001", { customer_id: "cus_1", items: [{ name: "Marinara", quantity: 2, price: 11.5 }], lines }));
    model.apply(placed("ORD_20250101_002", { items: [{ name: "Cola", quantity: 1, price: 2.49 }] }));
    model.apply(placed("ORD_20250101_003", { items: "not a list" }));
    expect(model.order("ORD_20250101_001")?.customer_id).toBe("cus_1");
    expect(itemsOf(model.order("ORD_20250101_001")!.items)).toEqual([{ name: "Marinara (L, thin)", quantity: 2, price: 11.5, size: "L", crust: "thin", toppings: ["basil"] }]);
    expect(itemsOf(model.order("ORD_20250101_002")!.items)).toEqual([{ name: "Cola", quantity: 1, price: 2.49, size: null, crust: null, toppings: [] }]);
    expect(itemsOf(model.order("ORD_20250101_003")!.items)).toBeNull();
    // Lines without a name or a whole quantity are left out, not guessed.
    expect(itemsOf(JSON.stringify([{ quantity: 1 }, { name: "x", quantity: 1.5 }, null, { item: "Cola", quantity: 3 }]))).toEqual([{ name: "Cola", quantity: 3, price: 0, size: null, crust: null, toppings: [] }]);
    expect(itemsOf("{broken")).toBeNull();
    db.close();
  });

  it("tells its listeners each applied change after the commit: not a duplicate, not a refusal, not a rolled-back write", () => {
    const db = openDatabase(join(dir, "tell.db"), TRACKING_SCHEMA);
    const model = new ReadModel(db);
    const heard: AppliedChange[] = [];
    const inTransaction: boolean[] = [];
    const stop = model.onChange((c) => {
      heard.push(c);
      inTransaction.push(db.inTransaction);
    });
    const first = placed("ORD_20250101_010", { items: [] });
    model.apply(first);
    model.apply(first); // a redelivery
    const ready = orderEvent("ready", header("ORD_20250101_010"), "cooking", "chef", { worker: "chef", cook_ms: 1 }).payload as AnyOrderEvent;
    expect(model.apply(ready).result).toBe("refused");
    expect(() =>
      immediate(db, () => {
        model.apply(orderEvent("paid", header("ORD_20250101_010"), "received", "payment-1", { amount: 9.5, payment_id: "p" }).payload as AnyOrderEvent);
        throw new Error("the batch fails");
      }),
    ).toThrow("the batch fails");
    expect(model.order("ORD_20250101_010")?.status).toBe("received");
    expect(heard).toEqual([{ order_number: "ORD_20250101_010", restaurant: "napoli", from_status: null, status: "received", changed_by: "order-1", changed_at: first.at }]);
    expect(inTransaction).toEqual([false]); // told once stored
    expect(model.listenerCount()).toBe(1);
    stop();
    expect(model.listenerCount()).toBe(0);
    db.close();
  });
});
