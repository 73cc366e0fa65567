import { isOrderType, ORDER_TYPES, type OrderType } from "./contracts.js";
import type { FieldError } from "./http.js";

/** How an order is handed over: the seed's order_type with its table or address. */
export interface Fulfilment {
  order_type: OrderType;
  table_number?: number;
  delivery_address?: string;
}

/**
 * The seed's rules for how an order is handed over, the same for `POST /orders`, a cart checkout
 * and the checkout command: order_type one of the three; dine_in needs table_number 1-100 and no
 * address; delivery needs an address of 10+ characters and no table; takeout has neither. Every
 * broken rule is added to `errors`; the fulfilment is returned when none was.
 */
export function validateFulfilment(b: Record<string, unknown>, errors: FieldError[]): Fulfilment | null {
  const before = errors.length;
  checkOrderType(b, errors);
  checkHandover(b, errors);
  return errors.length > before ? null : fulfilmentOf(b);
}

/** The first half of the rules: order_type. */
export function checkOrderType(b: Record<string, unknown>, errors: FieldError[]): void {
  const type = b.order_type;
  if (type === undefined) errors.push({ field: "order_type", reason: "is required" });
  else if (!isOrderType(type)) errors.push({ field: "order_type", reason: `must be one of ${ORDER_TYPES.join(", ")}` });
}

/** The second half: the table or the address the order type needs, and none it does not. */
export function checkHandover(b: Record<string, unknown>, errors: FieldError[]): void {
  const fail = (field: string, reason: string) => errors.push({ field, reason });
  const { order_type: type, table_number: table, delivery_address: address } = b;
  if (type === "dine_in") {
    if (table === undefined) fail("table_number", "is required for dine_in orders");
    else if (!Number.isInteger(table) || (table as number) < 1 || (table as number) > 100) fail("table_number", "must be an integer from 1 to 100");
    if (address !== undefined) fail("delivery_address", "must be absent for dine_in orders");
  } else if (type === "delivery") {
    if (address === undefined) fail("delivery_address", "is required for delivery orders");
    else if (typeof address !== "string" || address.trim().length < 10) fail("delivery_address", "must be at least 10 characters");
    if (table !== undefined) fail("table_number", "must be absent for delivery orders");
  } else if (type === "takeout") {
    if (table !== undefined) fail("table_number", "must be absent for takeout orders");
    if (address !== undefined) fail("delivery_address", "must be absent for takeout orders");
  }
}

/** The fulfilment of a body that passed both checks. */
export function fulfilmentOf(b: Record<string, unknown>): Fulfilment {
  const type = b.order_type as OrderType;
  return {
    order_type: type,
    ...(type === "dine_in" ? { table_number: b.table_number as number } : {}),
    ...(type === "delivery" ? { delivery_address: b.delivery_address as string } : {}),
  };
}
