/**
 * The payloads of the customer side of the contracts (contracts.ts names the subjects, streams,
 * consumers and event kinds): the checkout command a cart is turned into an order by, and the
 * events on the CUSTOMERS stream.
 */
import type { CustomerEventKind, OrderStatus, OrderType } from "./contracts.js";
import type { PricedLine } from "./menus.js";

// ---------------------------------------------------------------------------------------------
// Checkout: a cart becomes an order
// ---------------------------------------------------------------------------------------------

/**
 * What the customer service sends on `subjects.checkoutCommand`. The order service makes at most
 * one order per `idempotency_key` (the cart's checkout), so a retried or raced checkout, or one
 * resent after the customer service crashed, answers with the same order.
 */
export interface CheckoutCommand {
  idempotency_key: string;
  customer_id: string;
  customer_name: string;
  restaurant_id: string;
  order_type: OrderType;
  table_number?: number;
  delivery_address?: string;
  /** Lines priced from the restaurant's menu at checkout (menus.ts `priceLine`). */
  lines: PricedLine[];
  total_amount: number;
}

export type CheckoutReply =
  | { ok: true; order_number: string; total_amount: number; status: OrderStatus }
  | { ok: false; status: number; field?: string; reason: string };

// ---------------------------------------------------------------------------------------------
// Customer events (stream CUSTOMERS), written by the customer service through its outbox
// ---------------------------------------------------------------------------------------------

export interface CustomerRegisteredData {
  name: string;
  email: string;
  phone: string;
}

/** A cart became an order: which, from which restaurant, with the lines priced at checkout. */
export interface CartCheckedOutData {
  cart_id: string;
  order_number: string;
  restaurant_id: string;
  /** The CheckoutCommand's key: the order's request_id. */
  checkout_key: string;
  order_type: OrderType;
  lines: PricedLine[];
  total_amount: number;
}

export interface CustomerEventData {
  registered: CustomerRegisteredData;
  cart_checked_out: CartCheckedOutData;
}

export interface CustomerEvent<K extends CustomerEventKind = CustomerEventKind> {
  /** `customer.<id>.registered` / `cart.<cart_id>.checked_out`: also the msgID. */
  id: string;
  kind: K;
  customer_id: string;
  /** The customer-service instance that wrote it. */
  by: string;
  at: string;
  data: CustomerEventData[K];
}

export function customerEventId(kind: CustomerEventKind, customerId: string, cartId?: string): string {
  return kind === "registered" ? `customer.${customerId}.registered` : `cart.${cartId}.checked_out`;
}
