import { validateFulfilment, type Fulfilment } from "../shared/fulfilment.js";
import { HttpError, type FieldError } from "../shared/http.js";
import { MAX_LINE_QUANTITY, MAX_TOPPINGS, PIZZA_SIZES, type CartLineRequest, type PizzaSize } from "../shared/menus.js";

/** The seed's customer_name rule: the name becomes the order's customer_name. */
const NAME_PATTERN = /^[\p{L}\p{M} '\-]+$/u;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]*$/;

export function invalid(errors: FieldError[]): HttpError {
  return new HttpError(400, "validation_failed", `${errors[0].field} ${errors[0].reason}`, errors);
}

function asObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalid([{ field: "body", reason: "must be a JSON object" }]);
  return body as Record<string, unknown>;
}

function unknownFields(b: Record<string, unknown>, known: readonly string[], errors: FieldError[], prefix = ""): void {
  for (const key of Object.keys(b)) if (!known.includes(key)) errors.push({ field: `${prefix}${key}`, reason: "is not a known field" });
}

/** `POST /customers {name, email, phone}`: every broken rule, each with its field and reason. */
export function validateCustomer(body: unknown): { name: string; email: string; phone: string } {
  const b = asObject(body);
  const errors: FieldError[] = [];
  unknownFields(b, ["name", "email", "phone"], errors);
  const { name, email, phone } = b;
  if (name === undefined) errors.push({ field: "name", reason: "is required" });
  else if (typeof name !== "string") errors.push({ field: "name", reason: "must be a string" });
  else if (name.trim().length === 0 || name.length > 100) errors.push({ field: "name", reason: "must be 1-100 characters" });
  else if (!NAME_PATTERN.test(name)) errors.push({ field: "name", reason: "may contain only letters, spaces, hyphens and apostrophes" });
  if (email === undefined) errors.push({ field: "email", reason: "is required" });
  else if (typeof email !== "string") errors.push({ field: "email", reason: "must be a string" });
  else if (email.length > 254 || !EMAIL_PATTERN.test(email)) errors.push({ field: "email", reason: "must be an email address (name@domain.tld, at most 254 characters)" });
  if (phone === undefined) errors.push({ field: "phone", reason: "is required" });
  else if (typeof phone !== "string") errors.push({ field: "phone", reason: "must be a string" });
  else {
    const digits = phone.replace(/[^0-9]/g, "").length;
    if (!PHONE_PATTERN.test(phone) || digits < 7 || digits > 15) errors.push({ field: "phone", reason: "must be 7-15 digits, with an optional leading +, spaces, hyphens or parentheses" });
  }
  if (errors.length > 0) throw invalid(errors);
  return { name: name as string, email: email as string, phone: phone as string };
}

/** `POST /customers/:id/cart/items`: the shape; whether the menu has it is the pricing's question. */
export function validateCartItem(body: unknown): { restaurantId: string; line: CartLineRequest } {
  const b = asObject(body);
  const errors: FieldError[] = [];
  unknownFields(b, ["restaurant_id", "item", "size", "crust", "toppings", "quantity"], errors);
  const { restaurant_id: restaurant, item, size, crust, toppings, quantity } = b;
  if (restaurant === undefined) errors.push({ field: "restaurant_id", reason: "is required" });
  else if (typeof restaurant !== "string" || restaurant.length === 0) errors.push({ field: "restaurant_id", reason: "must be a non-empty string" });
  if (item === undefined) errors.push({ field: "item", reason: "is required" });
  else if (typeof item !== "string" || item.trim().length === 0 || item.length > 50) errors.push({ field: "item", reason: "must be a string of 1-50 characters" });
  if (size !== undefined && !(PIZZA_SIZES as readonly unknown[]).includes(size)) errors.push({ field: "size", reason: `must be one of ${PIZZA_SIZES.join(", ")}` });
  if (crust !== undefined && (typeof crust !== "string" || crust.length === 0 || crust.length > 50)) errors.push({ field: "crust", reason: "must be a string of 1-50 characters" });
  if (toppings !== undefined) {
    if (!Array.isArray(toppings)) errors.push({ field: "toppings", reason: "must be an array of topping names" });
    else if (toppings.length > MAX_TOPPINGS) errors.push({ field: "toppings", reason: `at most ${MAX_TOPPINGS}` });
    else if (toppings.some((t) => typeof t !== "string")) errors.push({ field: "toppings", reason: "must be an array of topping names" });
    else if (new Set(toppings).size !== toppings.length) errors.push({ field: "toppings", reason: "must not name a topping twice" });
  }
  if (quantity === undefined) errors.push({ field: "quantity", reason: "is required" });
  else if (!Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > MAX_LINE_QUANTITY) errors.push({ field: "quantity", reason: `must be an integer from 1 to ${MAX_LINE_QUANTITY}` });
  if (errors.length > 0) throw invalid(errors);
  const line: CartLineRequest = {
    item: item as string,
    quantity: quantity as number,
    ...(size !== undefined ? { size: size as PizzaSize } : {}),
    ...(crust !== undefined ? { crust: crust as string } : {}),
    ...(toppings !== undefined ? { toppings: toppings as string[] } : {}),
  };
  return { restaurantId: restaurant as string, line };
}

/** `POST /customers/:id/cart/checkout {order_type, table_number?, delivery_address?}`: the seed's rules. */
export function validateCheckout(body: unknown): Fulfilment {
  const b = asObject(body);
  const errors: FieldError[] = [];
  unknownFields(b, ["order_type", "table_number", "delivery_address"], errors);
  const fulfilment = validateFulfilment(b, errors);
  if (errors.length > 0 || !fulfilment) throw invalid(errors);
  return fulfilment;
}
