/**
 * The customer side of a run, for the checkouts pass: every CartCheckedOut on the CUSTOMERS
 * stream, what each customer instance's read model lists (paged over its control subject), and
 * the restaurants' menus as the restaurants bucket holds them.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS, type OrderStatus } from "../../services/shared/contracts.js";
import { type CustomerEvent } from "../../services/shared/customer-contracts.js";
import { listRestaurants, openRestaurantsBucket } from "../../services/shared/restaurants.js";
import { ask } from "../system/control-client.js";
import { readStream } from "../system/stream-reader.js";
import type { CustomersInput } from "./checker-types.js";

type Instances = ReadonlyArray<{ service: string; instance: string }>;

export async function collectCustomerView(nc: NatsConnection, instance: string): Promise<CustomersInput["views"][number]> {
  const orders: CustomersInput["views"][number]["orders"] = [];
  const LIMIT = 2_000;
  let after: string | null = null;
  for (;;) {
    const page: { orders: Array<{ order_number: string; customer_id: string; status: OrderStatus; total_amount: number }> } = await ask(nc, "customer", instance, "orders", { after, limit: LIMIT });
    for (const o of page.orders) orders.push({ orderNumber: o.order_number, customerId: o.customer_id, status: o.status, totalAmount: o.total_amount });
    if (page.orders.length < LIMIT) break;
    after = page.orders[page.orders.length - 1].order_number;
  }
  return { source: `customer/${instance}`, orders };
}

export async function collectCheckouts(nc: NatsConnection): Promise<CustomersInput["checkouts"]> {
  const out: CustomersInput["checkouts"] = [];
  for (const m of await readStream(nc, STREAMS.customers)) {
    let e: CustomerEvent;
    try {
      e = JSON.parse(m.data) as CustomerEvent;
    } catch {
      continue;
    }
    if (e.kind !== "cart_checked_out") continue;
    const d = (e as CustomerEvent<"cart_checked_out">).data;
    out.push({ customerId: e.customer_id, cartId: d.cart_id, orderNumber: d.order_number, checkoutKey: d.checkout_key, restaurantId: d.restaurant_id, total: d.total_amount });
  }
  return out;
}

/** Undefined when the run had no customer service. */
export async function collectCustomers(nc: NatsConnection, instances: Instances, replicas = 1): Promise<CustomersInput | undefined> {
  const customers = instances.filter((i) => i.service === "customer");
  if (customers.length === 0) return undefined;
  const views = [];
  for (const i of customers) views.push(await collectCustomerView(nc, i.instance));
  const restaurants = await listRestaurants(await openRestaurantsBucket(nc, replicas));
  return { checkouts: await collectCheckouts(nc), views, restaurants };
}
