import { describe, expect, it } from "vitest";
import { MENU } from "../src/services/order/menu.js";
import { validateOrder } from "../src/services/order/validation.js";
import { ORDER_TYPES, type OrderType } from "../src/services/shared/contracts.js";
import { arrivalsFor } from "../src/sim/load/arrivals.js";
import { CUSTOMER_NAMES, INVALID_KINDS, OrderGenerator, oversizedRequest, type PlannedRequest } from "../src/sim/load/order-generator.js";
import type { OrderMix, Phase } from "../src/sim/scenario/scenario.js";

const equal: Record<OrderType, number> = { dine_in: 1 / 3, takeout: 1 / 3, delivery: 1 / 3 };
const mix = (over: Partial<OrderMix> = {}): OrderMix => ({ types: equal, items: { min: 1, max: 3 }, invalid: 0, ...over });
const take = (seed: number, orders: OrderMix, n: number) => new OrderGenerator({ seed, orders }).take(n);

const BODY_LIMIT = 64 * 1024;
const NAME_PATTERN = /^[\p{L}\p{M} '\-]+$/u;

describe("determinism", () => {
  const orders = mix({ invalid: 0.1, items: { min: 1, max: 5 } });

  it("gives identical first 2,000 requests for the same seed", () => {
    const a = take(42, orders, 2000);
    expect(JSON.stringify(take(42, orders, 2000))).toBe(JSON.stringify(a));
    expect(a.map((r) => r.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(a[0].requestId).toBe("req-42-1");
    expect(a[1999].requestId).toBe("req-42-2000");
  });

  it("gives different requests for a different seed", () => {
    const bodies = (seed: number) => JSON.stringify(take(seed, orders, 2000).map((r) => r.body));
    expect(bodies(43)).not.toBe(bodies(42));
  });

  it("draws bodies from a stream separate from the arrival schedule", () => {
    const load: Phase[] = [{ startMs: 0, durationMs: 60_000, rate: 20, rampTo: 20, arrival: "poisson" }];
    const aloneArrivals = [...arrivalsFor({ seed: 9, load })];
    const aloneBodies = take(9, orders, aloneArrivals.length);
    // Interleave: one body per arrival, as the runner does.
    const gen = new OrderGenerator({ seed: 9, orders });
    const mixedArrivals: number[] = [];
    const mixedBodies: PlannedRequest[] = [];
    for (const at of arrivalsFor({ seed: 9, load })) {
      mixedArrivals.push(at);
      mixedBodies.push(gen.next());
    }
    expect(mixedArrivals).toEqual(aloneArrivals);
    expect(mixedBodies).toEqual(aloneBodies);
  });
});

describe("valid requests", () => {
  const requests = take(7, mix({ items: { min: 2, max: 6 } }), 3000);

  it("all pass the order service's validation", () => {
    for (const r of requests) {
      expect(r.valid).toBe(true);
      expect(r.expectedStatus).toBe(201);
      expect(r.contentType).toBe("application/json");
      expect(r.invalidKind).toBeUndefined();
      const v = validateOrder(JSON.parse(r.body));
      if (!v.ok) throw new Error(`${r.body} failed: ${JSON.stringify(v.errors)}`);
      expect(v.order.order_type).toBe(r.orderType);
    }
  });

  it("follow the menu, the item bounds and the per-type fields", () => {
    const prices = new Map(MENU.map((m) => [m.name, m.price]));
    for (const r of requests) {
      const b = JSON.parse(r.body);
      expect(Buffer.byteLength(r.body)).toBeLessThan(BODY_LIMIT);
      expect(CUSTOMER_NAMES).toContain(b.customer_name);
      expect(b.customer_name).toMatch(NAME_PATTERN);
      expect(b.items.length).toBeGreaterThanOrEqual(2);
      expect(b.items.length).toBeLessThanOrEqual(6);
      for (const item of b.items) {
        expect(prices.get(item.name)).toBe(item.price);
        expect(item.quantity).toBeGreaterThanOrEqual(1);
        expect(item.quantity).toBeLessThanOrEqual(3);
      }
      if (b.order_type === "dine_in") {
        expect(Number.isInteger(b.table_number) && b.table_number >= 1 && b.table_number <= 100).toBe(true);
        expect(b.delivery_address).toBeUndefined();
      } else if (b.order_type === "delivery") {
        expect(b.delivery_address.length).toBeGreaterThanOrEqual(10);
        expect(b.table_number).toBeUndefined();
      } else {
        expect(b.table_number).toBeUndefined();
        expect(b.delivery_address).toBeUndefined();
      }
    }
    const counts = new Set(requests.map((r) => JSON.parse(r.body).items.length));
    expect([...counts].sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it("draw order types by weight and never a weight-0 type", () => {
    const rs = take(3, mix({ types: { dine_in: 0.25, takeout: 0.75, delivery: 0 } }), 4000);
    const tally = Object.fromEntries(ORDER_TYPES.map((t) => [t, rs.filter((r) => r.orderType === t).length]));
    expect(tally.delivery).toBe(0);
    expect(Math.abs(tally.takeout / 4000 - 0.75)).toBeLessThan(0.03);
  });
});

describe("invalid requests", () => {
  const requests = take(11, mix({ invalid: 0.25, items: { min: 1, max: 5 } }), 8000);
  const invalid = requests.filter((r) => !r.valid);

  it("make up the configured share and cover every kind", () => {
    expect(Math.abs(invalid.length / requests.length - 0.25)).toBeLessThan(0.02);
    expect(new Set(invalid.map((r) => r.invalidKind))).toEqual(new Set(INVALID_KINDS));
  });

  it("each break exactly one rule, the one named by expectedField", () => {
    for (const r of invalid) {
      expect(r.expectedField).toBeTruthy();
      expect(Buffer.byteLength(r.body)).toBeLessThan(BODY_LIMIT);
      if (r.invalidKind === "malformed_json") {
        expect(r).toMatchObject({ expectedStatus: 400, expectedField: "body", contentType: "application/json" });
        expect(() => JSON.parse(r.body)).toThrow(SyntaxError);
        continue;
      }
      if (r.invalidKind === "wrong_content_type") {
        expect(r).toMatchObject({ expectedStatus: 415, expectedField: "content-type", contentType: "text/plain" });
        expect(validateOrder(JSON.parse(r.body)).ok).toBe(true); // only the content type is wrong
        continue;
      }
      expect(r.expectedStatus).toBe(400);
      expect(r.contentType).toBe("application/json");
      const v = validateOrder(JSON.parse(r.body));
      if (v.ok) throw new Error(`${r.invalidKind} passed validation: ${r.body}`);
      expect(v.errors.map((e) => e.field), `${r.invalidKind}: ${r.body}`).toEqual([r.expectedField]);
    }
  });

  it("break the rule each kind names", () => {
    const one = (kind: string) => JSON.parse(invalid.find((r) => r.invalidKind === kind)!.body);
    expect(one("missing_customer_name").customer_name).toBeUndefined();
    expect(one("name_with_digits").customer_name).toMatch(/\d/);
    expect(one("name_too_long").customer_name).toHaveLength(101);
    expect(ORDER_TYPES).not.toContain(one("unknown_order_type").order_type);
    expect(one("empty_items").items).toEqual([]);
    expect(one("too_many_items").items).toHaveLength(21);
    expect(one("quantity_zero").items.some((i: { quantity: number }) => i.quantity === 0)).toBe(true);
    expect(one("quantity_too_high").items.some((i: { quantity: number }) => i.quantity === 11)).toBe(true);
    expect(one("price_zero").items.some((i: { price: number }) => i.price === 0)).toBe(true);
    expect(one("price_too_high").items.some((i: { price: number }) => i.price === 1000)).toBe(true);
    expect(one("price_three_decimals").items.some((i: { price: number }) => /\.\d{3}$/.test(String(i.price)))).toBe(true);
    expect(one("dine_in_without_table")).toMatchObject({ order_type: "dine_in" });
    expect(one("dine_in_with_address").delivery_address.length).toBeGreaterThanOrEqual(10);
    expect(one("delivery_without_address")).toMatchObject({ order_type: "delivery" });
    expect(one("delivery_short_address").delivery_address).toHaveLength(5);
    expect(one("takeout_with_table")).toMatchObject({ order_type: "takeout" });
  });

  it("never appear when the share is 0", () => {
    expect(take(11, mix(), 2000).every((r) => r.valid)).toBe(true);
  });
});

describe("a planned run (issue 13: every validation rule in every run with invalid requests)", () => {
  const planned = (seed: number, orders: OrderMix, n: number) => new OrderGenerator({ seed, orders }, { planned: n }).take(n);

  it("sends every invalid kind at least once, even when the share would round to one request", () => {
    const rs = planned(1, mix({ invalid: 0.02 }), 50);
    const invalid = rs.filter((r) => !r.valid);
    expect(invalid).toHaveLength(INVALID_KINDS.length);
    expect(new Set(invalid.map((r) => r.invalidKind))).toEqual(new Set(INVALID_KINDS));
  });

  it("sends exactly the share asked for, rounded, when that covers every kind, spread over the run", () => {
    for (const seed of [1, 2, 3]) {
      const rs = planned(seed, mix({ invalid: 0.1 }), 2000);
      const invalid = rs.filter((r) => !r.valid);
      expect(invalid).toHaveLength(200);
      expect(new Set(invalid.map((r) => r.invalidKind))).toEqual(new Set(INVALID_KINDS));
      // Spread out, not bunched at one end: some in each half.
      expect(invalid.filter((r) => r.seq <= 1000).length).toBeGreaterThan(0);
      expect(invalid.filter((r) => r.seq > 1000).length).toBeGreaterThan(0);
    }
  });

  it("is deterministic for a seed, and past the plan goes on drawing at the share", () => {
    const orders = mix({ invalid: 0.05 });
    expect(JSON.stringify(planned(42, orders, 500))).toBe(JSON.stringify(planned(42, orders, 500)));
    const gen = new OrderGenerator({ seed: 42, orders }, { planned: 100 });
    gen.take(100);
    expect(gen.take(10).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
  });

  it("sends no invalid request at a share of 0, planned or not", () => {
    expect(planned(11, mix(), 500).every((r) => r.valid)).toBe(true);
  });

  it("sends every kind in an unplanned stream as soon as it has sent 19 invalid requests", () => {
    const invalid = take(5, mix({ invalid: 0.2 }), 2000).filter((r) => !r.valid);
    expect(new Set(invalid.slice(0, INVALID_KINDS.length).map((r) => r.invalidKind))).toEqual(new Set(INVALID_KINDS));
  });
});

describe("oversizedRequest", () => {
  it("is valid JSON past the 64 KiB limit and expects 413", () => {
    const r = oversizedRequest(5);
    expect(Buffer.byteLength(r.body)).toBeGreaterThan(BODY_LIMIT);
    expect(() => JSON.parse(r.body)).not.toThrow();
    expect(r).toMatchObject({ seq: 5, valid: false, expectedStatus: 413, expectedField: "body", contentType: "application/json" });
  });
});

describe("constructor checks", () => {
  it("refuses weights with nothing above 0 and impossible item bounds", () => {
    expect(() => new OrderGenerator({ seed: 1, orders: mix({ types: { dine_in: 0, takeout: 0, delivery: 0 } }) })).toThrow(RangeError);
    expect(() => new OrderGenerator({ seed: 1, orders: mix({ items: { min: 3, max: 2 } }) })).toThrow(RangeError);
  });
});
