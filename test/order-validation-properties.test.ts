import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ORDER_TYPES, type OrderType } from "../src/services/shared/contracts.js";
import { validateOrder, type ValidOrder } from "../src/services/order/validation.js";

/**
 * The order validator against the README's rules: any body ends in a valid order that keeps every
 * rule or in field errors naming real fields, never in a throw; and bodies built from the rules
 * are accepted with the right total and priority. Seeds are fixed so that a failure reproduces.
 */

const TOP_FIELDS = ["customer_name", "order_type", "items", "table_number", "delivery_address"];
const ITEM_FIELDS = ["name", "quantity", "price"];
const isPlainObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** A field error may name the body, a field the rules know, or a key the body (or that item) really has. */
function namesRealField(body: unknown, field: string): boolean {
  if (!isPlainObject(body)) return field === "body";
  if (TOP_FIELDS.includes(field) || Object.keys(body).includes(field)) return true;
  const item = /^items\[(\d+)\](?:\.(.*))?$/s.exec(field);
  if (!item || !Array.isArray(body.items)) return false;
  const i = Number(item[1]);
  if (i >= body.items.length) return false;
  const sub = item[2];
  return sub === undefined || ITEM_FIELDS.includes(sub) || (isPlainObject(body.items[i]) && Object.keys(body.items[i]).includes(sub));
}

/** An accepted order keeps every rule of the README, and is the body it came from. */
function expectKeepsTheRules(body: Record<string, unknown>, order: ValidOrder): void {
  expect(order.customer_name).toBe(body.customer_name);
  expect(order.customer_name.length).toBeGreaterThanOrEqual(1);
  expect(order.customer_name.length).toBeLessThanOrEqual(100);
  expect(order.customer_name).toMatch(/^[\p{L}\p{M} '-]+$/u);
  expect(ORDER_TYPES).toContain(order.order_type);
  expect(order.items).toEqual(body.items);
  expect(order.items.length >= 1 && order.items.length <= 20).toBe(true);
  let cents = 0;
  for (const it of order.items) {
    expect(it.name.length >= 1 && it.name.length <= 50).toBe(true);
    expect(Number.isInteger(it.quantity) && it.quantity >= 1 && it.quantity <= 10).toBe(true);
    expect(it.price >= 0.01 && it.price <= 999.99).toBe(true);
    expect(Math.round(it.price * 100) / 100).toBe(it.price);
    cents += Math.round(it.price * 100) * it.quantity;
  }
  expect(order.total_cents).toBe(cents);
  expect(order.total_amount).toBe(cents / 100);
  expect(order.priority).toBe(cents > 10_000 ? 10 : cents >= 5_000 ? 5 : 1);
  if (order.order_type === "dine_in") {
    expect(Number.isInteger(order.table_number) && order.table_number! >= 1 && order.table_number! <= 100).toBe(true);
    expect(body.delivery_address).toBeUndefined();
  } else {
    expect(body.table_number).toBeUndefined();
  }
  if (order.order_type === "delivery") expect((order.delivery_address ?? "").trim().length).toBeGreaterThanOrEqual(10);
  else expect(body.delivery_address).toBeUndefined();
}

function acceptsOrNamesFields(body: unknown): void {
  const result = validateOrder(body);
  if (result.ok) {
    expectKeepsTheRules(body as Record<string, unknown>, result.order);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  for (const e of result.errors) {
    expect(namesRealField(body, e.field), `field ${JSON.stringify(e.field)} of ${JSON.stringify(body)}`).toBe(true);
    expect(typeof e.reason === "string" && e.reason.length > 0).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------
// Bodies built from the README's rules
// ---------------------------------------------------------------------------------------------

const LETTERS = [..."abcxyzABCXYZ", "é", "ñ", "Ø", "ß", "ж", "λ", "中", "ي", "ü", "Ł"];
const customerName = fc
  .tuple(fc.constantFrom(...LETTERS), fc.array(fc.constantFrom(...LETTERS, " ", "-", "'", "\u0301"), { maxLength: 99 }))
  .map(([first, rest]) => first + rest.join(""));
const itemName = fc.string({ unit: "binary", minLength: 1, maxLength: 50 }).filter((n) => n.length <= 50 && n.trim().length > 0);
/** Prices in whole cents, with the ranges' edges and the totals where priority changes more likely than chance. */
const cents = fc.oneof(fc.integer({ min: 1, max: 99_999 }), fc.constantFrom(1, 99_999, 4_999, 5_000, 5_001, 10_000, 10_001, 10, 30));
const item = fc.record({ name: itemName, quantity: fc.integer({ min: 1, max: 10 }), cents });
const address = fc.string({ minLength: 10, maxLength: 80 }).filter((a) => a.trim().length >= 10);

interface Planned {
  body: Record<string, unknown>;
  cents: number;
}

const validBody: fc.Arbitrary<Planned> = fc
  .record({ name: customerName, type: fc.constantFrom<OrderType>(...ORDER_TYPES), items: fc.array(item, { minLength: 1, maxLength: 20 }), table: fc.integer({ min: 1, max: 100 }), address })
  .map(({ name, type, items, table, address: addr }) => ({
    body: {
      customer_name: name,
      order_type: type,
      items: items.map((i) => ({ name: i.name, quantity: i.quantity, price: i.cents / 100 })),
      ...(type === "dine_in" ? { table_number: table } : {}),
      ...(type === "delivery" ? { delivery_address: addr } : {}),
    },
    cents: items.reduce((sum, i) => sum + i.cents * i.quantity, 0),
  }));

// ---------------------------------------------------------------------------------------------
// Anything else
// ---------------------------------------------------------------------------------------------

/** A whole-cents price off by a hair: not whole cents, however close. */
const almostCents = fc.tuple(fc.integer({ min: 1, max: 99_999 }), fc.constantFrom(1e-10, -1e-9, 1e-8, 3e-7)).map(([c, hair]) => c / 100 + hair);
const oddValue = fc.oneof(
  almostCents,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-0, 0.005, 0.015, 999.995, 1e308, -1, 10.5, 1.1, "", " ", "\u0000", "\u202e", "12", "dine_in ", "DINE_IN", [], {}, null, true),
  fc.double(),
  fc.string({ unit: "binary", maxLength: 120 }),
);
const fieldName = fc.oneof(fc.constantFrom(...TOP_FIELDS, ...ITEM_FIELDS, "__proto__", "constructor", "toString", "items[0]", ""), fc.string({ maxLength: 8 }));

/** A valid body with a few fields (top-level or in an item) replaced, removed or added. */
const mutatedBody = fc
  .tuple(validBody, fc.array(fc.record({ inItem: fc.boolean(), at: fc.nat(), field: fieldName, value: oddValue, remove: fc.boolean() }), { minLength: 1, maxLength: 3 }))
  .map(([{ body }, changes]) => {
    const copy = structuredClone(body) as Record<string, unknown>;
    for (const c of changes) {
      const items = copy.items as Array<Record<string, unknown>>;
      const target = c.inItem && Array.isArray(items) && isPlainObject(items[c.at % items.length]) ? items[c.at % items.length] : copy;
      if (c.remove) delete target[c.field];
      else Object.defineProperty(target, c.field, { value: c.value, enumerable: true, writable: true, configurable: true });
    }
    // What the service validates is what JSON.parse made of the request.
    return JSON.parse(JSON.stringify(copy)) as unknown;
  });

describe("order validation properties", () => {
  it("accepts every body built from the README's rules, with the right total and priority", () => {
    fc.assert(
      fc.property(validBody, ({ body, cents: expectedCents }) => {
        const result = validateOrder(JSON.parse(JSON.stringify(body)));
        expect(result.ok, JSON.stringify(result)).toBe(true);
        if (!result.ok) return;
        expect(result.order.total_cents).toBe(expectedCents);
        expect(result.order.total_amount).toBe(expectedCents / 100);
        expect(result.order.priority).toBe(expectedCents > 10_000 ? 10 : expectedCents >= 5_000 ? 5 : 1);
        expectKeepsTheRules(body, result.order);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("turns mutated valid bodies into a valid order or field errors naming real fields, never a throw", () => {
    fc.assert(fc.property(mutatedBody, acceptsOrNamesFields), { seed: 42, numRuns: 400 });
  });

  it("accepts a price only in whole cents, however close another price comes, and then totals it exactly", () => {
    const anyPrice = fc.oneof(almostCents, fc.double({ min: 0.01, max: 999.99, noNaN: true }), cents.map((c) => c / 100));
    const repriced = fc.tuple(validBody, fc.nat(), anyPrice).map(([{ body }, at, price]) => {
      const items = body.items as Array<Record<string, unknown>>;
      items[at % items.length].price = price;
      return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    });
    fc.assert(fc.property(repriced, acceptsOrNamesFields), { seed: 42, numRuns: 300 });
  });

  it("does the same for any JSON value and any JavaScript value at all", () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 })), acceptsOrNamesFields), { seed: 42, numRuns: 300 });
  });
});
