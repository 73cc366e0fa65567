import { describe, expect, it } from "vitest";
import { validateCheckout } from "../src/services/customer/validation.js";
import { DEFAULT_RESTAURANTS, isPricingError, priceLine } from "../src/services/shared/menus.js";
import { OrderGenerator } from "../src/sim/load/order-generator.js";
import { parseScenario, ScenarioError } from "../src/sim/scenario/scenario.js";

const scenarioWith = (orders: string) => parseScenario(`name: carts\nseed: 11\nload:\n  - { duration: 10s, rate: 5 }\norders:\n  invalid: 0.1\n${orders}`, "carts.yaml");

describe("orders through carts in the load", () => {
  it("sends exactly what it sent before when the scenario has no viaCart (or 0)", () => {
    const before = new OrderGenerator(scenarioWith("")).take(300);
    const zero = new OrderGenerator(scenarioWith("  viaCart: 0\n")).take(300);
    expect(zero).toEqual(before);
    expect(before.some((r) => r.cart !== undefined)).toBe(false);
  });

  it("sends the share asked of the valid orders through carts, the same for the same seed, each a journey the services accept", () => {
    const s = scenarioWith("  viaCart: 0.3\n");
    const a = new OrderGenerator(s).take(2_000);
    expect(new OrderGenerator(s).take(2_000)).toEqual(a);
    const valid = a.filter((r) => r.valid);
    const carts = valid.filter((r) => r.cart);
    expect(carts.length / valid.length).toBeGreaterThan(0.26);
    expect(carts.length / valid.length).toBeLessThan(0.34);
    expect(a.filter((r) => !r.valid).every((r) => r.cart === undefined)).toBe(true);
    const menus = new Map(DEFAULT_RESTAURANTS.map((r) => [r.id, r.menu]));
    for (const r of carts) {
      const cart = r.cart!;
      expect(cart.lines.length).toBeGreaterThanOrEqual(1);
      for (const line of cart.lines) expect(isPricingError(priceLine(menus.get(cart.restaurant_id)!, line))).toBe(false);
      expect(validateCheckout(JSON.parse(r.body)).order_type).toBe(r.orderType);
      expect(cart.customer.email).toBe(`cust-11-${r.seq}@customers.example`);
    }
    // The default roster has the one restaurant main, with its kitchen.
    expect(new Set(carts.map((r) => r.cart!.restaurant_id))).toEqual(new Set(["main"]));
  });

  it("fills carts at the scenario's restaurants that have a kitchen, by the orders' restaurant shares", () => {
    const scenario = (orders: string, napoli: string) =>
      parseScenario(
        `name: two\nseed: 3\nload:\n  - { duration: 10s, rate: 5 }\norders:\n  viaCart: 1\n${orders}restaurants:\n  - { id: main, kitchen: [{ name: chef_mario }] }\n  - { id: napoli${napoli} }\n`,
        "two.yaml",
      );
    const at = (s: ReturnType<typeof scenario>) => new OrderGenerator(s).take(1_000).map((r) => r.cart!.restaurant_id);
    const kitchen = ", kitchen: [{ name: chef_sofia }]";
    expect(new Set(at(scenario("", kitchen)))).toEqual(new Set(["main", "napoli"]));
    const shared = at(scenario("  restaurants: { main: 3, napoli: 1 }\n", kitchen));
    const napoliShare = shared.filter((r) => r === "napoli").length / shared.length;
    expect(napoliShare).toBeGreaterThan(0.2);
    expect(napoliShare).toBeLessThan(0.3);
  });

  it("refuses a viaCart outside 0..1 with the key's path, what was expected and what was found", () => {
    for (const bad of ["1.5", "-0.1", "lots"]) {
      let error: unknown;
      try {
        scenarioWith(`  viaCart: ${bad}\n`);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect(error).toMatchObject({ path: "orders.viaCart", expected: "a number from 0 to 1" });
    }
  });
});
