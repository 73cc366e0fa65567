/**
 * Restaurants and their menus (seed 004's restaurants, seed 000's pizzas with size, crust and
 * toppings), and the one pricing rule every service and the checker use: a cart line is priced
 * from its restaurant's menu, never from what a client says.
 */

export const PIZZA_SIZES = ["S", "M", "L"] as const;
export type PizzaSize = (typeof PIZZA_SIZES)[number];

export interface PizzaOffer {
  name: string;
  /** Price of one pizza of each size, before crust and toppings. */
  prices: Record<PizzaSize, number>;
}

export interface CrustOffer {
  name: string;
  surcharge: number;
}

export interface ToppingOffer {
  name: string;
  price: number;
}

/** A side or a drink: one price, no size, crust or toppings. */
export interface FixedOffer {
  name: string;
  price: number;
}

export interface Menu {
  pizzas: PizzaOffer[];
  crusts: CrustOffer[];
  toppings: ToppingOffer[];
  sides: FixedOffer[];
  drinks: FixedOffer[];
}

/** How a restaurant answers a paid order: by itself (`auto`, with a reject rate) or by its staff (`manual`). */
export const ACCEPTANCE_MODES = ["auto", "manual"] as const;
export type AcceptanceMode = (typeof ACCEPTANCE_MODES)[number];

export interface RestaurantDefinition {
  /** Safe as one NATS subject token and a consumer name (see INSTANCE_NAME_PATTERN). */
  id: string;
  name: string;
  open: boolean;
  acceptance: AcceptanceMode;
  /** Share of paid orders an `auto` restaurant rejects (out of dough), 0..1. */
  reject_rate: number;
  menu: Menu;
}

/** What a client asks to put in a cart. Size and crust apply to pizzas only; toppings too. */
export interface CartLineRequest {
  item: string;
  size?: PizzaSize;
  crust?: string;
  toppings?: string[];
  quantity: number;
}

/** A priced line: `unit_price` is the menu's price of one, `name` what the order shows. */
export interface PricedLine {
  item: string;
  name: string;
  size?: PizzaSize;
  crust?: string;
  toppings: string[];
  quantity: number;
  unit_price: number;
}

/** Why a line cannot be priced: the field that is wrong and the reason, for a 400. */
export interface PricingError {
  field: string;
  reason: string;
}

export const MAX_LINE_QUANTITY = 10;
export const MAX_TOPPINGS = 10;

/** Money in cents, so sums agree exactly between the services and the checker. */
export function roundMoney(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Price one line from a menu, or say which field is wrong. */
export function priceLine(menu: Menu, line: CartLineRequest): PricedLine | PricingError {
  if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
    return { field: "quantity", reason: `must be an integer from 1 to ${MAX_LINE_QUANTITY}` };
  }
  const pizza = menu.pizzas.find((p) => p.name === line.item);
  if (pizza) return pricePizza(menu, pizza, line);
  const fixed = [...menu.sides, ...menu.drinks].find((o) => o.name === line.item);
  if (!fixed) return { field: "item", reason: `'${line.item}' is not on this restaurant's menu` };
  if (line.size !== undefined || line.crust !== undefined || (line.toppings?.length ?? 0) > 0) {
    return { field: "item", reason: `'${line.item}' takes no size, crust or toppings` };
  }
  return { item: fixed.name, name: fixed.name, toppings: [], quantity: line.quantity, unit_price: fixed.price };
}

function pricePizza(menu: Menu, pizza: PizzaOffer, line: CartLineRequest): PricedLine | PricingError {
  const size = line.size ?? "M";
  if (!(PIZZA_SIZES as readonly string[]).includes(size)) return { field: "size", reason: `must be one of ${PIZZA_SIZES.join(", ")}` };
  const crustName = line.crust ?? menu.crusts[0]?.name;
  const crust = menu.crusts.find((c) => c.name === crustName);
  if (!crust) return { field: "crust", reason: `'${String(line.crust)}' is not a crust of this restaurant` };
  const toppings = line.toppings ?? [];
  if (toppings.length > MAX_TOPPINGS) return { field: "toppings", reason: `at most ${MAX_TOPPINGS}` };
  let unit = pizza.prices[size] + crust.surcharge;
  for (const name of toppings) {
    const topping = menu.toppings.find((t) => t.name === name);
    if (!topping) return { field: "toppings", reason: `'${name}' is not a topping of this restaurant` };
    unit += topping.price;
  }
  const extras = toppings.length > 0 ? ` + ${toppings.join(", ")}` : "";
  const name = `${pizza.name} (${size}, ${crust.name}${extras})`;
  return { item: pizza.name, name, size, crust: crust.name, toppings: [...toppings], quantity: line.quantity, unit_price: roundMoney(unit) };
}

export function isPricingError(value: PricedLine | PricingError): value is PricingError {
  return "reason" in value;
}

/** Total of priced lines, in cents then back, so it is the same sum wherever it is taken. */
export function linesTotal(lines: readonly Pick<PricedLine, "quantity" | "unit_price">[]): number {
  return roundMoney(lines.reduce((sum, l) => sum + Math.round(l.unit_price * 100) * l.quantity, 0) / 100);
}

/** The restaurant that anonymous `POST /orders` belongs to (seed 002's single pizzeria). */
export const DEFAULT_RESTAURANT_ID = "main";

const CLASSIC_MENU: Menu = {
  pizzas: [
    { name: "Margherita", prices: { S: 9.99, M: 12.99, L: 15.99 } },
    { name: "Pepperoni", prices: { S: 11.49, M: 14.99, L: 17.99 } },
    { name: "Quattro Formaggi", prices: { S: 12.99, M: 16.5, L: 19.99 } },
    { name: "Funghi", prices: { S: 10.49, M: 13.99, L: 16.49 } },
  ],
  crusts: [
    { name: "classic", surcharge: 0 },
    { name: "thin", surcharge: 0 },
    { name: "stuffed", surcharge: 2.5 },
  ],
  toppings: [
    { name: "mozzarella", price: 1.5 },
    { name: "mushrooms", price: 1.25 },
    { name: "olives", price: 1 },
    { name: "basil", price: 0.5 },
  ],
  sides: [
    { name: "Garlic Bread", price: 4.99 },
    { name: "Caesar Salad", price: 8.99 },
  ],
  drinks: [
    { name: "Cola", price: 2.49 },
    { name: "Sparkling Water", price: 1.99 },
  ],
};

const NAPOLI_MENU: Menu = {
  pizzas: [
    { name: "Marinara", prices: { S: 8.5, M: 11, L: 13.5 } },
    { name: "Diavola", prices: { S: 11.99, M: 15.49, L: 18.49 } },
    { name: "Capricciosa", prices: { S: 12.49, M: 15.99, L: 18.99 } },
  ],
  crusts: [
    { name: "neapolitan", surcharge: 0 },
    { name: "wholemeal", surcharge: 1.2 },
  ],
  toppings: [
    { name: "nduja", price: 2.2 },
    { name: "anchovies", price: 1.8 },
    { name: "buffalo mozzarella", price: 2.5 },
  ],
  sides: [{ name: "Arancini", price: 6.5 }],
  drinks: [
    { name: "Chinotto", price: 2.8 },
    { name: "Espresso", price: 1.6 },
  ],
};

/** What `up` starts with when a scenario names no restaurants: two restaurants, two menus. */
export const DEFAULT_RESTAURANTS: readonly RestaurantDefinition[] = [
  { id: DEFAULT_RESTAURANT_ID, name: "Pizzeria Centrale", open: true, acceptance: "auto", reject_rate: 0, menu: CLASSIC_MENU },
  { id: "napoli", name: "Da Napoli", open: true, acceptance: "auto", reject_rate: 0, menu: NAPOLI_MENU },
];
