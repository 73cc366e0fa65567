import { BUCKETS } from "./contracts.js";
import { openBucket, type KV } from "./kv.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "./menus.js";
import type { NatsConnection } from "./nats.js";

/**
 * The restaurants bucket (BUCKETS.restaurants): every restaurant's definition (name, open state,
 * menu), keyed by id. The restaurant service writes it with `publishRestaurants`; the customer
 * service reads a restaurant from it when a cart line is added and at checkout, so it prices from
 * the menu as it is then and sees a restaurant close at once.
 */
export function openRestaurantsBucket(nc: NatsConnection, replicas: number): Promise<KV> {
  return openBucket(nc, BUCKETS.restaurants, { replicas });
}

/** Write each definition under its id (what the restaurant service does at start and on a change). */
export async function publishRestaurants(kv: KV, definitions: readonly RestaurantDefinition[]): Promise<void> {
  for (const d of definitions) await kv.put(d.id, JSON.stringify(d));
}

/**
 * Fill an empty bucket with `definitions` (the default two restaurants): a system without a
 * restaurant service still has menus to price carts from. A bucket that holds any is left alone.
 */
export async function seedRestaurants(kv: KV, definitions: readonly RestaurantDefinition[] = DEFAULT_RESTAURANTS): Promise<boolean> {
  for await (const _ of await kv.keys()) return false;
  await publishRestaurants(kv, definitions);
  return true;
}

/** Every restaurant the bucket holds, by id. */
export async function listRestaurants(kv: KV): Promise<RestaurantDefinition[]> {
  const out: RestaurantDefinition[] = [];
  for await (const key of await kv.keys()) {
    const r = await readRestaurant(kv, key);
    if (r) out.push(r);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** A restaurant's definition, or null when the bucket has none of that id (or the key is not a valid one). */
export async function readRestaurant(kv: KV, id: string): Promise<RestaurantDefinition | null> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  const entry = await kv.get(id);
  if (!entry || entry.operation !== "PUT") return null;
  return entry.json() as RestaurantDefinition;
}
