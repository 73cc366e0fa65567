/**
 * Orders that go through a cart (seed 000's customer -> cart -> checkout) instead of a direct
 * `POST /orders`: what the load generator sends for a share of its valid orders (`orders.viaCart`),
 * drawn from its own stream of the seed, so a scenario without the key sends exactly what it
 * sent before. The items come from the restaurants' menus; the service prices them.
 */
import type { OrderType } from "../../services/shared/contracts.js";
import { DEFAULT_RESTAURANT_ID, DEFAULT_RESTAURANTS, PIZZA_SIZES, type CartLineRequest, type RestaurantDefinition } from "../../services/shared/menus.js";
import type { Rng } from "./rng.js";

/** One customer's way to an order: an account, the lines put in one restaurant's cart, then the checkout (the planned request's body). */
export interface CartJourney {
  customer: { name: string; email: string; phone: string };
  restaurant_id: string;
  lines: CartLineRequest[];
}

/** The restaurants carts are filled at: those with a kitchen worker in the roster (another's orders would never be cooked). */
export function restaurantsServedBy(kitchen: ReadonlyArray<{ restaurant?: string }>, restaurants: readonly RestaurantDefinition[] = DEFAULT_RESTAURANTS): readonly RestaurantDefinition[] {
  // Open ones only, when there are any: a closed restaurant's cart cannot be filled (409).
  const open = restaurants.filter((r) => r.open);
  if (open.length > 0) restaurants = open;
  const served = restaurants.filter((r) => kitchen.some((w) => (w.restaurant ?? DEFAULT_RESTAURANT_ID) === r.id));
  return served.length > 0 ? served : restaurants;
}

/** The request id of the order a journey's checkout makes: what the customer service sends as the command's key. */
export function checkoutRequestId(customerId: string, idempotencyKey: string): string {
  return `${customerId}:${idempotencyKey}`;
}

export function drawJourney(
  rng: Rng,
  label: string,
  customerName: string,
  lineCount: number,
  restaurants: readonly RestaurantDefinition[] = DEFAULT_RESTAURANTS,
): CartJourney {
  const open = restaurants.filter((r) => r.open);
  const restaurant = rng.pick(open.length > 0 ? open : restaurants);
  const lines = Array.from({ length: lineCount }, () => drawLine(rng, restaurant));
  const digits = String(rng.int(0, 9_999_999)).padStart(7, "0");
  return { customer: { name: customerName, email: `${label}@customers.example`, phone: `+1 555 ${digits}` }, restaurant_id: restaurant.id, lines };
}

/** One line of a restaurant's menu: a pizza with size, crust and toppings (6 in 10 when there are both), or a side or drink. */
export function drawLine(rng: Rng, restaurant: RestaurantDefinition): CartLineRequest {
  const { menu } = restaurant;
  const fixed = [...menu.sides, ...menu.drinks];
  const quantity = rng.int(1, 3);
  if (fixed.length === 0 || (menu.pizzas.length > 0 && rng.chance(0.6))) {
    const pizza = rng.pick(menu.pizzas);
    const toppings = menu.toppings.filter(() => rng.chance(0.25)).slice(0, 3).map((t) => t.name);
    return { item: pizza.name, size: rng.pick(PIZZA_SIZES), crust: rng.pick(menu.crusts).name, toppings, quantity };
  }
  return { item: rng.pick(fixed).name, quantity };
}

/** The checkout body of a journey: the order type with its table or address. */
export function checkoutBody(type: OrderType, table: () => number, address: () => string): Record<string, unknown> {
  if (type === "dine_in") return { order_type: type, table_number: table() };
  if (type === "delivery") return { order_type: type, delivery_address: address() };
  return { order_type: type };
}
