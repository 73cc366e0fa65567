import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { INSTANCE_NAME_PATTERN } from "../shared/contracts.js";
import { ConfigError, errorMessage } from "../shared/errors.js";
import { ACCEPTANCE_MODES, PIZZA_SIZES, type Menu, type RestaurantDefinition } from "../shared/menus.js";

/** What is wrong with a definition: where (a key path), what was expected, what was there. */
export interface DefinitionProblem {
  path: Array<string | number>;
  expected: string;
  found: unknown;
}

type Check<T> = { ok: true; value: T } | { ok: false; problem: DefinitionProblem };

class Bad extends Error {
  constructor(readonly problem: DefinitionProblem) {
    super(problem.expected);
  }
}

const bad = (path: Array<string | number>, expected: string, found: unknown): never => {
  throw new Bad({ path, expected, found });
};

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function mapping(v: unknown, path: Array<string | number>, keys: readonly string[], what: string): Record<string, unknown> {
  if (!isObject(v)) bad(path, `${what} with keys ${keys.join(", ")}`, v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad([...path, k], `one of the keys ${keys.join(", ")}`, o[k]);
  return o;
}

function name(v: unknown, path: Array<string | number>): string {
  if (typeof v !== "string" || v.trim().length === 0 || v.length > 50) bad(path, "a name of 1-50 characters", v);
  return v as string;
}

function money(v: unknown, path: Array<string | number>, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > 999.99 || Math.round(v * 100) / 100 !== v) {
    bad(path, `an amount from ${min.toFixed(2)} to 999.99 in whole cents`, v);
  }
  return v as number;
}

function offers<T>(v: unknown, path: Array<string | number>, what: string, min: number, one: (o: unknown, p: Array<string | number>) => T): T[] {
  if (!Array.isArray(v) || v.length < min || v.length > 50) bad(path, `a list of ${min}-50 ${what}`, v);
  const list = (v as unknown[]).map((o, i) => one(o, [...path, i]));
  const names = list.map((o) => (o as { name: string }).name);
  names.forEach((n, i) => names.indexOf(n) !== i && bad([...path, i, "name"], `a name not used before in ${what}`, n));
  return list;
}

function menuOf(v: unknown, path: Array<string | number>): Menu {
  const m = mapping(v, path, ["pizzas", "crusts", "toppings", "sides", "drinks"], "a menu");
  const priced = (what: string) => (o: unknown, p: Array<string | number>) => {
    const x = mapping(o, p, ["name", "price"], what);
    return { name: name(x.name, [...p, "name"]), price: money(x.price, [...p, "price"], 0.01) };
  };
  return {
    pizzas: offers(m.pizzas, [...path, "pizzas"], "pizzas", 1, (o, p) => {
      const x = mapping(o, p, ["name", "prices"], "a pizza");
      const prices = mapping(x.prices, [...p, "prices"], PIZZA_SIZES, "prices by size");
      return { name: name(x.name, [...p, "name"]), prices: Object.fromEntries(PIZZA_SIZES.map((s) => [s, money(prices[s], [...p, "prices", s], 0.01)])) as Menu["pizzas"][number]["prices"] };
    }),
    crusts: offers(m.crusts, [...path, "crusts"], "crusts", 1, (o, p) => {
      const x = mapping(o, p, ["name", "surcharge"], "a crust");
      return { name: name(x.name, [...p, "name"]), surcharge: x.surcharge === undefined ? 0 : money(x.surcharge, [...p, "surcharge"], 0) };
    }),
    toppings: m.toppings === undefined ? [] : offers(m.toppings, [...path, "toppings"], "toppings", 0, priced("a topping")),
    sides: m.sides === undefined ? [] : offers(m.sides, [...path, "sides"], "sides", 0, priced("a side")),
    drinks: m.drinks === undefined ? [] : offers(m.drinks, [...path, "drinks"], "drinks", 0, priced("a drink")),
  };
}

/** Check a menu (a scenario's inline menu, or one read from a file). */
export function checkMenu(value: unknown, path: Array<string | number> = []): Check<Menu> {
  try {
    return { ok: true, value: menuOf(value, path) };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** Check a list of restaurant definitions (ids unique and safe as subject tokens, names, modes, rates, menus). */
export function checkRestaurants(value: unknown): Check<RestaurantDefinition[]> {
  try {
    if (!Array.isArray(value) || value.length === 0 || value.length > 20) bad([], "a list of 1-20 restaurants", value);
    const seen = new Set<string>();
    const list = (value as unknown[]).map((item, i): RestaurantDefinition => {
      const r = mapping(item, [i], ["id", "name", "open", "acceptance", "reject_rate", "menu"], "a restaurant");
      if (typeof r.id !== "string" || !INSTANCE_NAME_PATTERN.test(r.id)) bad([i, "id"], "an id of 1-64 letters, digits, _ or -", r.id);
      if (seen.has(r.id as string)) bad([i, "id"], "an id not used before", r.id);
      seen.add(r.id as string);
      if (r.open !== undefined && typeof r.open !== "boolean") bad([i, "open"], "true or false", r.open);
      if (r.acceptance !== undefined && !(ACCEPTANCE_MODES as readonly unknown[]).includes(r.acceptance)) bad([i, "acceptance"], `one of ${ACCEPTANCE_MODES.join(", ")}`, r.acceptance);
      const rate = r.reject_rate ?? 0;
      if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) bad([i, "reject_rate"], "a number from 0 to 1", r.reject_rate);
      return {
        id: r.id as string,
        name: name(r.name, [i, "name"]),
        open: (r.open as boolean | undefined) ?? true,
        acceptance: (r.acceptance as RestaurantDefinition["acceptance"] | undefined) ?? "auto",
        reject_rate: rate as number,
        menu: menuOf(r.menu, [i, "menu"]),
      };
    });
    return { ok: true, value: list };
  } catch (err) {
    if (err instanceof Bad) return { ok: false, problem: err.problem };
    throw err;
  }
}

/** `pizzeria service restaurant --restaurants file`: a JSON or YAML list of restaurants, or a ConfigError naming the file and the key. */
export function readRestaurantsFile(file: string): RestaurantDefinition[] {
  let value: unknown;
  try {
    const text = readFileSync(file, "utf8");
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`cannot read restaurants file ${file}: ${errorMessage(err)}`);
  }
  const checked = checkRestaurants(value);
  if (checked.ok) return checked.value;
  const { path, expected, found } = checked.problem;
  const where = path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "") || "(root)";
  throw new ConfigError(`${file}: ${where}: expected ${expected}, found ${JSON.stringify(found) ?? "nothing"}`);
}
