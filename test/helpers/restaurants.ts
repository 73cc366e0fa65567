import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../../src/services/shared/menus.js";

const [MAIN, NAPOLI] = DEFAULT_RESTAURANTS;

/** A restaurant of the test systems: one of the default menus under another id and answer mode. */
export function restaurant(id: string, changes: Partial<RestaurantDefinition> = {}): RestaurantDefinition {
  const base = id === "napoli" ? NAPOLI : MAIN;
  return { ...base, id, name: `Test ${id}`, ...changes };
}

export interface Answer {
  status: number;
  body: any;
}

/** A request to the restaurant API: JSON body (or raw text), JSON answer. */
export async function call(url: string, method = "GET", body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}
