import { call as callJson, type JsonAnswer } from "./customers.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../../src/services/shared/menus.js";

const [MAIN, NAPOLI] = DEFAULT_RESTAURANTS;

/** A restaurant of the test systems: one of the default menus under another id and answer mode. */
export function restaurant(id: string, changes: Partial<RestaurantDefinition> = {}): RestaurantDefinition {
  const base = id === "napoli" ? NAPOLI : MAIN;
  return { ...base, id, name: `Test ${id}`, ...changes };
}

export type { JsonAnswer as Answer } from "./customers.js";

/** A request to the restaurant API: JSON body (or raw text), JSON answer (the customers' helper, URL first). */
export function call(url: string, method = "GET", body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  return callJson(method, url, body, headers);
}
