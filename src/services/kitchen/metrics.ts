import { watchDurable } from "../shared/consumer.js";
import type { ServiceLifecycle } from "../shared/service-lifecycle.js";
import type { Hand } from "./hand.js";
import type { Stove } from "./stove.js";

/**
 * The worker's USE figures, read at scrape time: the stove's occupancy (utilisation: 1 while an
 * order cooks; `rate(kitchen_stove_busy_seconds_total)` is its busy share), the orders held
 * waiting for it (saturation), what it cooked, and its durables' pending and ack-pending. Served
 * on the worker's metrics port (it has no HTTP API).
 */
export function serveKitchenMetrics(life: ServiceLifecycle, stove: Stove, hand: Hand, durables: string[]): Promise<{ url: string; port: number }> {
  const { metrics, js } = life.rt;
  metrics.gauge("kitchen_stove_busy", "1 while an order is on this worker's stove, else 0", () => (stove.current ? 1 : 0));
  metrics.gauge("kitchen_orders_held", "Orders this worker holds (fetched, waiting for its stove or cooking)", () => hand.size);
  metrics.countedTotal("kitchen_orders_cooked_total", "Orders this worker cooked (kept across its restarts, from its database)", () => stove.cooked);
  metrics.countedTotal("kitchen_stove_busy_seconds_total", "Time this worker's stove spent cooking (kept across its restarts)", () => stove.busyMs / 1000);
  for (const durable of durables) watchDurable(metrics, js, durable);
  return life.serveMetrics();
}
