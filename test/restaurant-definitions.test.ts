import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkMenu, checkRestaurants, readRestaurantsFile } from "../src/services/restaurant/definitions.js";
import { autoAnswer } from "../src/services/restaurant/acceptance.js";
import { ConfigError } from "../src/services/shared/errors.js";
import { DEFAULT_RESTAURANTS } from "../src/services/shared/menus.js";

describe("restaurant definitions", () => {
  const dir = mkdtempSync(join(tmpdir(), "pizzeria-defs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the default restaurants as they are, and fills in open, acceptance and reject_rate", () => {
    expect(checkRestaurants(JSON.parse(JSON.stringify(DEFAULT_RESTAURANTS)))).toEqual({ ok: true, value: DEFAULT_RESTAURANTS });
    const [plain] = (checkRestaurants([{ id: "r1", name: "R", menu: DEFAULT_RESTAURANTS[0].menu }]) as { value: typeof DEFAULT_RESTAURANTS[number][] }).value;
    expect(plain).toMatchObject({ open: true, acceptance: "auto", reject_rate: 0 });
  });

  it.each([
    [[], [], "a list of 1-20 restaurants"],
    [[{ id: "a b", name: "x", menu: DEFAULT_RESTAURANTS[0].menu }], [0, "id"], "an id of 1-64 letters, digits, _ or -"],
    [[{ id: "a", name: "x", menu: DEFAULT_RESTAURANTS[0].menu }, { id: "a", name: "y", menu: DEFAULT_RESTAURANTS[0].menu }], [1, "id"], "an id not used before"],
    [[{ id: "a", name: "x", reject_rate: 1.5, menu: DEFAULT_RESTAURANTS[0].menu }], [0, "reject_rate"], "a number from 0 to 1"],
    [[{ id: "a", name: "x", acceptance: "sometimes", menu: DEFAULT_RESTAURANTS[0].menu }], [0, "acceptance"], "one of auto, manual"],
    [[{ id: "a", name: "x", menu: DEFAULT_RESTAURANTS[0].menu, chef: "me" }], [0, "chef"], "one of the keys id, name, open, acceptance, reject_rate, menu"],
    [[{ id: "a", name: "", menu: DEFAULT_RESTAURANTS[0].menu }], [0, "name"], "a name of 1-50 characters"],
  ])("refuses %j at %j: %s", (value, path, expected) => {
    const checked = checkRestaurants(value);
    expect(checked).toMatchObject({ ok: false, problem: { path, expected } });
  });

  it("checks a menu: pizzas priced for every size in whole cents, unique names, known keys", () => {
    const menu = DEFAULT_RESTAURANTS[1].menu;
    expect(checkMenu(menu)).toEqual({ ok: true, value: menu });
    expect(checkMenu({ ...menu, pizzas: [{ name: "X", prices: { S: 1, M: 2 } }] })).toMatchObject({ ok: false, problem: { path: ["pizzas", 0, "prices", "L"] } });
    expect(checkMenu({ ...menu, drinks: [{ name: "Cola", price: 1.005 }] })).toMatchObject({ ok: false, problem: { path: ["drinks", 0, "price"], expected: "an amount from 0.01 to 999.99 in whole cents" } });
    expect(checkMenu({ ...menu, crusts: [{ name: "thin" }, { name: "thin" }] })).toMatchObject({ ok: false, problem: { path: ["crusts", 1, "name"] } });
    expect(checkMenu({ ...menu, desserts: [] })).toMatchObject({ ok: false, problem: { path: ["desserts"] } });
  });

  it("reads a --restaurants file, or says which file and key are wrong", () => {
    const good = join(dir, "r.json");
    writeFileSync(good, JSON.stringify([{ id: "solo", name: "Solo", acceptance: "manual", menu: DEFAULT_RESTAURANTS[0].menu }]));
    expect(readRestaurantsFile(good)[0]).toMatchObject({ id: "solo", acceptance: "manual" });
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "- { id: solo, name: Solo, reject_rate: lots, menu: {} }\n");
    expect(() => readRestaurantsFile(bad)).toThrow(ConfigError);
    expect(() => readRestaurantsFile(bad)).toThrow(`${bad}: [0].reject_rate: expected a number from 0 to 1, found "lots"`);
    expect(() => readRestaurantsFile(join(dir, "none.yaml"))).toThrow(/cannot read restaurants file/);
  });

  it("answers an auto restaurant's orders by a draw fixed by seed, restaurant and order: the same orders are rejected every time", () => {
    const r = { ...DEFAULT_RESTAURANTS[0], reject_rate: 0.3 };
    const numbers = Array.from({ length: 400 }, (_, i) => `ORD_20261202_${String(i + 1).padStart(3, "0")}`);
    const rejected = numbers.filter((n) => autoAnswer(r, n, 7).decision === "rejected");
    expect(numbers.filter((n) => autoAnswer(r, n, 7).decision === "rejected")).toEqual(rejected);
    expect(rejected.length).toBeGreaterThan(80);
    expect(rejected.length).toBeLessThan(160);
    expect(numbers.filter((n) => autoAnswer(r, n, 8).decision === "rejected")).not.toEqual(rejected);
    expect(autoAnswer({ ...r, open: false }, numbers[0], 7)).toEqual({ decision: "rejected", reason: "restaurant main is closed" });
    expect(autoAnswer({ ...r, acceptance: "manual" }, numbers[0], 7)).toEqual({ decision: "wait" });
    expect(autoAnswer({ ...r, reject_rate: 0 }, numbers[0], 7)).toEqual({ decision: "accepted" });
  });
});
