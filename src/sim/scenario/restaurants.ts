/**
 * The scenario's `restaurants:` key: the restaurants the restaurant service runs (id, name, menu
 * inline or as a file beside the scenario, acceptance, reject rate, open) and each one's kitchen
 * (its workers, as `services.kitchen` lists them). Without the key a scenario runs as before: the
 * one restaurant `main`, its kitchen `services.kitchen`.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { INSTANCE_NAME_PATTERN } from "../../services/shared/contracts.js";
import { errorMessage } from "../../services/shared/errors.js";
import { ACCEPTANCE_MODES, DEFAULT_RESTAURANTS, type Menu, type RestaurantDefinition } from "../../services/shared/menus.js";
import { checkMenu, type DefinitionProblem } from "../../services/restaurant/definitions.js";
import { given, type PathSeg, type Reader } from "./reader.js";
import type { WorkerSpec } from "./roster.js";

export const RESTAURANT_KEYS = ["id", "name", "menu", "acceptance", "rejectRate", "open", "kitchen"];

export interface ScenarioRestaurants {
  definitions: RestaurantDefinition[];
  /** Every restaurant's workers, each with its restaurant. */
  kitchen: WorkerSpec[];
}

/** `readWorkers` reads one kitchen list (the scenario's `services.kitchen` reader) at a path. */
export function readRestaurants(r: Reader, value: unknown, readWorkers: (value: unknown, path: PathSeg[]) => WorkerSpec[]): ScenarioRestaurants {
  const raw = r.list(value, ["restaurants"], { min: 1, max: 20, of: "restaurants" });
  const ids = new Set<string>();
  const workers = new Map<string, string>();
  const definitions: RestaurantDefinition[] = [];
  const kitchen: WorkerSpec[] = [];
  raw.forEach((item, i) => {
    const path: PathSeg[] = ["restaurants", i];
    const m = r.mapping(item, path, RESTAURANT_KEYS, "a restaurant");
    const idExpected = "a restaurant id of 1-64 letters, digits, _ or -";
    r.required(m.id, [...path, "id"], idExpected);
    const id = r.string(m.id, [...path, "id"], idExpected, INSTANCE_NAME_PATTERN);
    if (ids.has(id)) r.fail([...path, "id"], `a restaurant id not used before (${[...ids].join(", ")})`, id);
    ids.add(id);
    const name = given(m.name) ? r.string(m.name, [...path, "name"], "a name of 1-50 characters", /^.{1,50}$/s) : id;
    const acceptance = given(m.acceptance) ? r.oneOf(m.acceptance, [...path, "acceptance"], ACCEPTANCE_MODES) : "auto";
    const rejectRate = given(m.rejectRate) ? r.number(m.rejectRate, [...path, "rejectRate"], { min: 0, max: 1 }) : 0;
    const open = given(m.open) ? r.boolean(m.open, [...path, "open"]) : true;
    const menu = readMenu(r, m.menu, [...path, "menu"], id);
    r.required(m.kitchen, [...path, "kitchen"], "a list of at least 1 kitchen worker (the restaurant's kitchen)");
    for (const w of readWorkers(m.kitchen, [...path, "kitchen"])) {
      const at = workers.get(w.name);
      if (at !== undefined) r.fail([...path, "kitchen"], `worker names not used by another restaurant (${w.name} cooks at ${at})`, w.name);
      workers.set(w.name, id);
      kitchen.push({ ...w, restaurant: id });
    }
    definitions.push({ id, name, open, acceptance, reject_rate: rejectRate, menu });
  });
  return { definitions, kitchen };
}

/** A menu inline, or a path to a YAML or JSON file (relative to the scenario's folder); none: the default menu of that id, or the classic one. */
function readMenu(r: Reader, value: unknown, path: PathSeg[], id: string): Menu {
  if (!given(value)) return (DEFAULT_RESTAURANTS.find((d) => d.id === id) ?? DEFAULT_RESTAURANTS[0]).menu;
  if (typeof value === "string") {
    const file = resolve(dirname(r.file), value);
    let parsed: unknown;
    try {
      const text = readFileSync(file, "utf8");
      parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      return r.fail(path, "a menu mapping, or the path of a readable YAML or JSON menu file", value, `${JSON.stringify(value)} (${errorMessage(err)})`);
    }
    const checked = checkMenu(parsed);
    if (!checked.ok) return failProblem(r, path, checked.problem, ` in the menu file ${value}`);
    return checked.value;
  }
  const checked = checkMenu(value, path);
  if (!checked.ok) return failProblem(r, [], checked.problem, "");
  return checked.value;
}

function failProblem(r: Reader, base: PathSeg[], p: DefinitionProblem, where: string): never {
  if (base.length === 0) return r.fail(p.path, p.expected, p.found);
  const inner = p.path.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "");
  return r.fail(base, `${p.expected} at ${inner || "(root)"}${where}`, p.found);
}

/**
 * `orders.restaurants`: the share of orders each restaurant gets (weights, normalised), every key a
 * restaurant the scenario runs. None given: every restaurant an equal share.
 */
export function readShares(r: Reader, value: unknown, restaurants: readonly RestaurantDefinition[]): Record<string, number> {
  const ids = restaurants.map((d) => d.id);
  if (!given(value)) return Object.fromEntries(ids.map((id) => [id, 1 / ids.length]));
  const t = r.mapping(value, ["orders", "restaurants"], ids, "a mapping of restaurant ids to weights");
  const weights = Object.fromEntries(ids.map((id) => [id, given(t[id]) ? r.number(t[id], ["orders", "restaurants", id], { min: 0, max: 1e9 }) : 0]));
  const sum = ids.reduce((s, id) => s + weights[id], 0);
  if (!(sum > 0)) r.fail(["orders", "restaurants"], "weights with a sum above 0", value);
  return Object.fromEntries(ids.map((id) => [id, weights[id] / sum]));
}
