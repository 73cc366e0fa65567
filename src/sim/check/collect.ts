import type { NatsConnection } from "@nats-io/transport-node";
import type { OrderStatus } from "../../services/shared/contracts.js";
import { ask } from "../system/control-client.js";
import type { OrderRecord } from "./checker.js";

/** Every order an order-service instance holds, paged over its control subject. */
export async function collectOrders(nc: NatsConnection, instance: string): Promise<OrderRecord[]> {
  const out: OrderRecord[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { orders: Array<{ number: string; request_id: string; status: OrderStatus }> } = await ask(nc, "order", instance, "orders", { after, limit: 5_000 });
    for (const o of page.orders) out.push({ instance, number: o.number, request_id: o.request_id, status: o.status });
    if (page.orders.length < 5_000) return out;
    after = page.orders[page.orders.length - 1].number;
  }
}

/** Everything a notification subscriber announced, in order: [order number, status]. */
export async function collectNotifications(nc: NatsConnection, instance: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  let after = 0;
  for (;;) {
    const page: { rows: Array<[string, string]>; next: number | null } = await ask(nc, "notification", instance, "seen", { after, limit: 20_000 });
    out.push(...page.rows);
    if (page.next === null || page.rows.length < 20_000) return out;
    after = page.next;
  }
}

/**
 * What every order-service instance holds and every notification subscriber announced, for the
 * checker. An instance that cannot answer is reported through `complain` (its orders then show
 * up as lost: the checker cannot vouch for what it was not told).
 */
export async function collectAccounts(
  nc: NatsConnection,
  instances: ReadonlyArray<{ id: string; service: string; instance: string }>,
  complain: (message: string) => void,
): Promise<{ orders: OrderRecord[]; notifications: Record<string, Array<[string, string]>> }> {
  const orders: OrderRecord[] = [];
  const notifications: Record<string, Array<[string, string]>> = {};
  for (const i of instances) {
    try {
      if (i.service === "order") orders.push(...(await collectOrders(nc, i.instance)));
      else if (i.service === "notification") notifications[i.instance] = await collectNotifications(nc, i.instance);
    } catch (err) {
      complain(`could not collect what ${i.id} holds: ${(err as Error).message}`);
    }
  }
  return { orders, notifications };
}
