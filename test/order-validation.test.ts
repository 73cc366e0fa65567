import { describe, expect, it } from "vitest";
import { validateOrder } from "../src/services/order/validation.js";
import { validOrder } from "./helpers/orders.js";

/** Each case breaks exactly one rule of the seed and names the field and reason the 400 must carry. */
const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
  ["customer_name missing", validOrder("takeout", { customer_name: undefined }), "customer_name", /required/],
  ["customer_name not a string", validOrder("takeout", { customer_name: 42 }), "customer_name", /string/],
  ["customer_name empty", validOrder("takeout", { customer_name: "" }), "customer_name", /1-100/],
  ["customer_name only spaces", validOrder("takeout", { customer_name: "   " }), "customer_name", /1-100/],
  ["customer_name 101 chars", validOrder("takeout", { customer_name: "a".repeat(101) }), "customer_name", /1-100/],
  ["customer_name with digits", validOrder("takeout", { customer_name: "R2 D2" }), "customer_name", /letters, spaces, hyphens and apostrophes/],
  ["customer_name with punctuation", validOrder("takeout", { customer_name: "Jane; DROP TABLE" }), "customer_name", /letters/],
  ["order_type missing", validOrder("takeout", { order_type: undefined }), "order_type", /required/],
  ["order_type unknown", validOrder("takeout", { order_type: "drive_through" }), "order_type", /one of dine_in, takeout, delivery/],
  ["items missing", validOrder("takeout", { items: undefined }), "items", /required/],
  ["items not an array", validOrder("takeout", { items: "pizza" }), "items", /array/],
  ["items empty", validOrder("takeout", { items: [] }), "items", /1-20/],
  ["21 items", validOrder("takeout", { items: Array.from({ length: 21 }, () => ({ name: "Cola", quantity: 1, price: 2.49 })) }), "items", /1-20/],
  ["item not an object", validOrder("takeout", { items: [5] }), "items[0]", /object/],
  ["item name missing", validOrder("takeout", { items: [{ quantity: 1, price: 1 }] }), "items[0].name", /required/],
  ["item name empty", validOrder("takeout", { items: [{ name: "", quantity: 1, price: 1 }] }), "items[0].name", /1-50/],
  ["item name 51 chars", validOrder("takeout", { items: [{ name: "x".repeat(51), quantity: 1, price: 1 }] }), "items[0].name", /1-50/],
  ["quantity 0", validOrder("takeout", { items: [{ name: "Cola", quantity: 0, price: 1 }] }), "items[0].quantity", /1 to 10/],
  ["quantity 11", validOrder("takeout", { items: [{ name: "Cola", quantity: 11, price: 1 }] }), "items[0].quantity", /1 to 10/],
  ["quantity fractional", validOrder("takeout", { items: [{ name: "Cola", quantity: 1.5, price: 1 }] }), "items[0].quantity", /integer/],
  ["price 0", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 0 }] }), "items[0].price", /0.01 to 999.99/],
  ["price 1000", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 1000 }] }), "items[0].price", /0.01 to 999.99/],
  ["price as string", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: "2.49" }] }), "items[0].price", /number/],
  ["price in fractions of a cent", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 2.499 }] }), "items[0].price", /whole cents/],
  ["price a hair off whole cents", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 0.0100000001 }] }), "items[0].price", /whole cents/],
  ["unknown item field", validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 2.49, size: "L" }] }), "items[0].size", /not a known field/],
  ["dine_in without table", validOrder("dine_in", { table_number: undefined }), "table_number", /required for dine_in/],
  ["dine_in table 0", validOrder("dine_in", { table_number: 0 }), "table_number", /1 to 100/],
  ["dine_in table 101", validOrder("dine_in", { table_number: 101 }), "table_number", /1 to 100/],
  ["dine_in with address", validOrder("dine_in", { delivery_address: "12 Long Street, Springfield" }), "delivery_address", /absent for dine_in/],
  ["delivery without address", validOrder("delivery", { delivery_address: undefined }), "delivery_address", /required for delivery/],
  ["delivery address of 9 chars", validOrder("delivery", { delivery_address: "1 Main St" }), "delivery_address", /at least 10/],
  ["delivery with table", validOrder("delivery", { table_number: 3 }), "table_number", /absent for delivery/],
  ["takeout with table", validOrder("takeout", { table_number: 3 }), "table_number", /absent for takeout/],
  ["takeout with address", validOrder("takeout", { delivery_address: "12 Long Street, Springfield" }), "delivery_address", /absent for takeout/],
  ["unknown top-level field", validOrder("takeout", { coupon: "FREE" }), "coupon", /not a known field/],
];

describe("order validation (the seed's rules)", () => {
  it.each(cases)("refuses %s, naming the field and the reason", (_name, body, field, reason) => {
    const result = validateOrder(JSON.parse(JSON.stringify(body)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const error = result.errors.find((e) => e.field === field);
    expect(error, `errors were ${JSON.stringify(result.errors)}`).toBeDefined();
    expect(error!.reason).toMatch(reason);
    expect(result.errors).toHaveLength(1); // each case breaks one rule only
  });

  it("refuses a body that is not an object", () => {
    for (const body of [null, [], "x", 3]) {
      expect(validateOrder(body)).toEqual({ ok: false, errors: [{ field: "body", reason: "must be a JSON object" }] });
    }
  });

  it("reports every broken rule at once", () => {
    const result = validateOrder({ customer_name: "", order_type: "dine_in", items: [] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.field)).toEqual(["customer_name", "items", "table_number"]);
  });

  it("accepts the edges of every range and computes total and priority in cents", () => {
    const result = validateOrder({
      customer_name: "A",
      order_type: "dine_in",
      table_number: 100,
      items: [
        { name: "x".repeat(50), quantity: 10, price: 999.99 },
        { name: "y", quantity: 1, price: 0.01 },
      ],
    });
    expect(result).toMatchObject({ ok: true, order: { total_amount: 9999.91, priority: 10, table_number: 100 } });
    const accented = validateOrder(validOrder("delivery", { customer_name: "Zoë D'Arcy-Ñúñez", delivery_address: "1234567890" }));
    expect(accented.ok).toBe(true);
  });

  it("sets priority 10 above 100, 5 from 50 to 100, else 1", () => {
    const total = (price: number) => validateOrder(validOrder("takeout", { items: [{ name: "P", quantity: 1, price }] }));
    expect(total(100.01)).toMatchObject({ order: { priority: 10 } });
    expect(total(100)).toMatchObject({ order: { priority: 5 } });
    expect(total(50)).toMatchObject({ order: { priority: 5 } });
    expect(total(49.99)).toMatchObject({ order: { priority: 1 } });
    // 0.1 + 0.2 style drift must not leak into totals
    const sum = validateOrder(validOrder("takeout", { items: [{ name: "a", quantity: 3, price: 0.1 }, { name: "b", quantity: 1, price: 0.2 }] }));
    expect(sum).toMatchObject({ order: { total_amount: 0.5 } });
  });
});
