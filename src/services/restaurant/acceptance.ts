import { createHash } from "node:crypto";
import type { RestaurantDefinition } from "../shared/menus.js";

/** Why an `auto` restaurant refuses an order (seed 004's restaurant, out of dough). */
export const AUTO_REJECT_REASON = "out of dough";

export type AutoAnswer = { decision: "accepted" } | { decision: "rejected"; reason: string } | { decision: "wait" };

/**
 * How a restaurant answers a paid order by itself: a closed one rejects it; a `manual` one leaves
 * it to its staff; an `auto` one rejects `reject_rate` of its orders, chosen by a draw fixed by the
 * seed, the restaurant and the order number, so the same run rejects the same orders.
 */
export function autoAnswer(restaurant: RestaurantDefinition, orderNumber: string, seed: number): AutoAnswer {
  if (!restaurant.open) return { decision: "rejected", reason: `restaurant ${restaurant.id} is closed` };
  if (restaurant.acceptance === "manual") return { decision: "wait" };
  if (restaurant.reject_rate > 0 && unitDraw(`${seed}:${restaurant.id}:${orderNumber}`) < restaurant.reject_rate) {
    return { decision: "rejected", reason: AUTO_REJECT_REASON };
  }
  return { decision: "accepted" };
}

/** A number in [0, 1) fixed by the key. */
function unitDraw(key: string): number {
  return parseInt(createHash("sha256").update(key).digest("hex").slice(0, 12), 16) / 2 ** 48;
}
