import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RESTAURANTS } from "../src/services/shared/menus.js";
import { OrderGenerator } from "../src/sim/load/order-generator.js";
import { parseScenario, ScenarioError } from "../src/sim/scenario/scenario.js";
import { rosterInstances } from "../src/sim/scenario/fault-targets.js";

const BASE = `name: two-restaurants
seed: 7
load:
  - { duration: 2s, rate: 5 }
`;

const TWO = `${BASE}restaurants:
  - id: main
    rejectRate: 0.1
    kitchen: [{ name: chef_mario }, { name: chef_anna, types: [dine_in], prefetch: 2 }]
  - id: napoli
    name: Da Napoli
    acceptance: manual
    menu:
      pizzas: [{ name: Marinara, prices: { S: 8.5, M: 11, L: 13.5 } }]
      crusts: [{ name: neapolitan }]
      drinks: [{ name: Chinotto, price: 2.8 }]
    kitchen: [{ name: chef_sofia }]
`;

function errorOf(text: string, file = "bad.yaml"): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("parsed without an error");
}

describe("scenario restaurants", () => {
  const dir = mkdtempSync(join(tmpdir(), "pizzeria-restaurants-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the restaurants it lists, each with its menu, answer mode, reject rate and kitchen", () => {
    const s = parseScenario(TWO, "two.yaml");
    const [main, napoli] = s.roster.restaurant.restaurants!;
    expect(main).toEqual({ ...DEFAULT_RESTAURANTS[0], name: "main", reject_rate: 0.1 });
    expect(napoli).toMatchObject({ id: "napoli", name: "Da Napoli", open: true, acceptance: "manual", reject_rate: 0 });
    expect(napoli.menu).toEqual({ pizzas: [{ name: "Marinara", prices: { S: 8.5, M: 11, L: 13.5 } }], crusts: [{ name: "neapolitan", surcharge: 0 }], toppings: [], sides: [], drinks: [{ name: "Chinotto", price: 2.8 }] });
    expect(s.roster.restaurant.seed).toBe(7);
    expect(s.roster.kitchen.map((w) => [w.name, w.restaurant])).toEqual([["chef_mario", "main"], ["chef_anna", "main"], ["chef_sofia", "napoli"]]);
    expect(s.orders.restaurants).toEqual({ main: 0.5, napoli: 0.5 });
    expect(rosterInstances(s.roster)).toContain("restaurant/restaurant-1");
    expect(parseScenario(`${BASE}chaos:\n  - { at: 1s, kill: restaurant/1, restartAfter: 1s }\n`, "f.yaml").chaos[0].target).toBe("restaurant/restaurant-1");
  });

  it("gives each restaurant its share of orders, each order sent with its restaurant_id; without restaurants the bodies are as before", () => {
    const s = parseScenario(TWO.replace("load:", "orders:\n  restaurants: { main: 3, napoli: 1 }\nload:"), "two.yaml");
    expect(s.orders.restaurants).toEqual({ main: 0.75, napoli: 0.25 });
    const bodies = new OrderGenerator(s).take(400).map((r) => JSON.parse(r.body) as { restaurant_id?: string });
    const napoli = bodies.filter((b) => b.restaurant_id === "napoli").length;
    expect(bodies.every((b) => b.restaurant_id === "main" || b.restaurant_id === "napoli")).toBe(true);
    expect(napoli).toBeGreaterThan(60);
    expect(napoli).toBeLessThan(140);
    const plain = new OrderGenerator(parseScenario(BASE, "plain.yaml")).take(20).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(plain.some((b) => "restaurant_id" in b)).toBe(false);
  });

  it("reads a menu from a YAML file beside the scenario, and names the key inside it that is wrong", () => {
    writeFileSync(join(dir, "menu.yaml"), "pizzas:\n  - { name: Diavola, prices: { S: 9, M: 12, L: 15 } }\ncrusts: [{ name: thin, surcharge: 1 }]\n");
    writeFileSync(join(dir, "bad-menu.yaml"), "pizzas:\n  - { name: Diavola, prices: { S: 9, M: 0, L: 15 } }\ncrusts: [{ name: thin }]\n");
    const file = join(dir, "s.yaml");
    const withMenu = (menu: string) => `${BASE}restaurants:\n  - { id: main, menu: ${menu}, kitchen: [{ name: chef_mario }] }\n`;
    expect(parseScenario(withMenu("menu.yaml"), file).roster.restaurant.restaurants![0].menu.pizzas[0].name).toBe("Diavola");
    const bad = errorOf(withMenu("bad-menu.yaml"), file);
    expect(bad).toMatchObject({ path: "restaurants[0].menu", expected: "an amount from 0.01 to 999.99 in whole cents at pizzas[0].prices.M in the menu file bad-menu.yaml", found: "0" });
    expect(errorOf(withMenu("missing.yaml"), file)).toMatchObject({ path: "restaurants[0].menu", expected: "a menu mapping, or the path of a readable YAML or JSON menu file" });
  });

  it.each([
    ["an unknown key", `${BASE}restaurants:\n  - { id: main, colour: red, kitchen: [{ name: a }] }\n`, "restaurants[0].colour", /one of the keys id, name, menu/],
    ["an id that is not a token", `${BASE}restaurants:\n  - { id: "da napoli", kitchen: [{ name: a }] }\n`, "restaurants[0].id", /restaurant id of 1-64/],
    ["an id twice", `${BASE}restaurants:\n  - { id: main, kitchen: [{ name: a }] }\n  - { id: main, kitchen: [{ name: b }] }\n`, "restaurants[1].id", /not used before/],
    ["no kitchen", `${BASE}restaurants:\n  - { id: main }\n`, "restaurants[0].kitchen", /at least 1 kitchen worker/],
    ["a worker in two kitchens", `${BASE}restaurants:\n  - { id: main, kitchen: [{ name: a }] }\n  - { id: napoli, kitchen: [{ name: a }] }\n`, "restaurants[1].kitchen", /not used by another restaurant \(a cooks at main\)/],
    ["a kitchen missing a type", `${BASE}restaurants:\n  - { id: main, kitchen: [{ name: a, types: [dine_in] }] }\n`, "restaurants[0].kitchen", /takeout has none at main/],
    ["a reject rate over 1", `${BASE}restaurants:\n  - { id: main, rejectRate: 2, kitchen: [{ name: a }] }\n`, "restaurants[0].rejectRate", /from 0 to 1/],
    ["an unknown acceptance", `${BASE}restaurants:\n  - { id: main, acceptance: maybe, kitchen: [{ name: a }] }\n`, "restaurants[0].acceptance", /one of auto, manual/],
    ["a bad inline menu", `${BASE}restaurants:\n  - { id: main, menu: { pizzas: [] , crusts: [{ name: x }] }, kitchen: [{ name: a }] }\n`, "restaurants[0].menu.pizzas", /a list of 1-50 pizzas/],
    ["services.kitchen beside restaurants", `${BASE}restaurants:\n  - { id: main, kitchen: [{ name: a }] }\nservices:\n  kitchen: [{ name: b }]\n`, "services.kitchen", /each restaurant lists its own kitchen/],
    ["a share of a restaurant not listed", `${BASE}orders: { restaurants: { rome: 1 } }\nrestaurants:\n  - { id: main, kitchen: [{ name: a }] }\n`, "orders.restaurants.rome", /one of the keys main/],
    ["shares without restaurants", `${BASE}orders: { restaurants: { main: 1 } }\n`, "orders.restaurants", /without a top-level restaurants/],
  ])("refuses %s with its path, what was expected and what was found", (_what, text, path, expected) => {
    const e = errorOf(text);
    expect(e.path).toBe(path);
    expect(e.expected).toMatch(expected);
    expect(e.message).toBe(`bad.yaml: ${e.path}: expected ${e.expected}, found ${e.found}`);
  });
});
