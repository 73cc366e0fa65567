import { INSTANCE_NAME_PATTERN, priorityFor, type OrderItem, type OrderType } from "../shared/contracts.js";
import { checkHandover, checkOrderType, fulfilmentOf } from "../shared/fulfilment.js";
import type { FieldError } from "../shared/http.js";
import type { PricedLine } from "../shared/menus.js";

/** A request that passed validation, with its total (in cents, then euros) and priority. */
export interface ValidOrder {
  customer_name: string;
  order_type: OrderType;
  items: OrderItem[];
  table_number?: number;
  delivery_address?: string;
  total_cents: number;
  total_amount: number;
  priority: number;
  /** The restaurant it is for; none: the default restaurant (an anonymous POST /orders). */
  restaurant_id?: string;
  /** Orders from a cart checkout: its customer and its priced lines. Absent for anonymous POST /orders. */
  customer_id?: string;
  lines?: PricedLine[];
}

/**
 * `maxQuantity` is 10 (the seed's rule); only the TEST-ONLY mutant `validator-quantity-11`
 * (PIZZERIA_MUTANT, see shared/mutants.ts; never in production) raises it, a bug the self-test must catch.
 */
export interface ValidationRules {
  maxQuantity?: number;
}

export type Validation = { ok: true; order: ValidOrder } | { ok: false; errors: FieldError[] };

const KNOWN_FIELDS = new Set(["customer_name", "order_type", "items", "table_number", "delivery_address", "restaurant_id"]);
const ITEM_FIELDS = new Set(["name", "quantity", "price"]);
const NAME_PATTERN = /^[\p{L}\p{M} '\-]+$/u;

/**
 * The seed's rules: customer_name 1-100 letters, spaces, hyphens, apostrophes; order_type one of
 * the three; 1-20 items of name 1-50 chars, quantity 1-10, price 0.01-999.99 (whole cents);
 * dine_in needs table_number 1-100 and no address; delivery needs an address of 10+ chars and no
 * table. Every broken rule is reported, each with its field and reason.
 */
export function validateOrder(body: unknown, rules: ValidationRules = {}): Validation {
  const maxQuantity = rules.maxQuantity ?? 10;
  const errors: FieldError[] = [];
  const fail = (field: string, reason: string) => errors.push({ field, reason });
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    return { ok: false, errors: [{ field: "body", reason: "must be a JSON object" }] };
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!KNOWN_FIELDS.has(key)) fail(key, "is not a known field");

  const name = b.customer_name;
  if (name === undefined) fail("customer_name", "is required");
  else if (typeof name !== "string") fail("customer_name", "must be a string");
  else if (name.trim().length === 0 || name.length > 100) fail("customer_name", "must be 1-100 characters");
  else if (!NAME_PATTERN.test(name)) fail("customer_name", "may contain only letters, spaces, hyphens and apostrophes");

  checkOrderType(b, errors);

  let totalCents = 0;
  const items: OrderItem[] = [];
  if (b.items === undefined) fail("items", "is required");
  else if (!Array.isArray(b.items)) fail("items", "must be an array");
  else if (b.items.length < 1 || b.items.length > 20) fail("items", "must hold 1-20 items");
  else {
    b.items.forEach((raw, i) => {
      const at = `items[${i}]`;
      if (!raw || typeof raw !== "object" || Array.isArray(raw)) return fail(at, "must be an object");
      const item = raw as Record<string, unknown>;
      for (const key of Object.keys(item)) if (!ITEM_FIELDS.has(key)) fail(`${at}.${key}`, "is not a known field");
      const before = errors.length;
      if (typeof item.name !== "string") fail(`${at}.name`, item.name === undefined ? "is required" : "must be a string");
      else if (item.name.trim().length === 0 || item.name.length > 50) fail(`${at}.name`, "must be 1-50 characters");
      if (!Number.isInteger(item.quantity) || (item.quantity as number) < 1 || (item.quantity as number) > maxQuantity) {
        fail(`${at}.quantity`, item.quantity === undefined ? "is required" : "must be an integer from 1 to 10");
      }
      const price = item.price;
      if (typeof price !== "number" || !Number.isFinite(price)) fail(`${at}.price`, price === undefined ? "is required" : "must be a number");
      else if (price < 0.01 || price > 999.99) fail(`${at}.price`, "must be from 0.01 to 999.99");
      // Exact, not within a tolerance: 0.0100000001 would be stored as it is but counted as 0.01. Every
      // decimal with at most 2 places parses to the double nearest n/100, which is what n / 100 gives.
      else if (Math.round(price * 100) / 100 !== price) fail(`${at}.price`, "must be in whole cents (at most 2 decimals)");
      if (errors.length === before) {
        const it = { name: item.name as string, quantity: item.quantity as number, price: price as number };
        items.push(it);
        totalCents += Math.round(it.price * 100) * it.quantity;
      }
    });
  }

  checkHandover(b, errors);

  const restaurant = restaurantOf(b.restaurant_id, fail);
  if (errors.length > 0) return { ok: false, errors };
  const total = totalCents / 100;
  return {
    ok: true,
    order: {
      customer_name: name as string,
      ...fulfilmentOf(b),
      items,
      total_cents: totalCents,
      total_amount: total,
      priority: priorityFor(total),
      ...(restaurant !== undefined ? { restaurant_id: restaurant } : {}),
    },
  };
}

/**
 * An anonymous order may name its restaurant (`restaurant_id`, an id as a subject token); without
 * one it is the default restaurant's. An id no restaurant has is refused by the restaurant service
 * (OrderRejected, refunded, cancelled), not here: the order service does not keep the restaurants.
 */
function restaurantOf(value: unknown, fail: (field: string, reason: string) => void): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !INSTANCE_NAME_PATTERN.test(value)) {
    fail("restaurant_id", "must be a restaurant id of 1-64 letters, digits, _ or -");
    return undefined;
  }
  return value;
}
