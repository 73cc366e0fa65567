import type { OrderType } from "../../services/shared/contracts.js";
import type { ProviderSettings } from "../../services/payment/payment-provider.js";

/** One kitchen worker of a roster. */
export interface WorkerSpec {
  name: string;
  /** The restaurant whose kitchen it cooks in (default DEFAULT_RESTAURANT_ID). */
  restaurant?: string;
  orderTypes?: OrderType[];
  prefetch?: number;
}

/** What to run: the scenario's `services` section, and `up`'s default. */
export interface Roster {
  order: { instances: number; maxConcurrent?: number; port?: number };
  payment: { instances: number; provider?: Partial<ProviderSettings>; concurrency?: number };
  /** The restaurant service: answers every paid order (accepts it, or rejects it to be refunded). */
  restaurant: { instances: number };
  kitchen: WorkerSpec[];
  tracking: { instances: number; port?: number };
  notification: { instances: number };
  /** Seed 000's customers and carts (HTTP, default port 3005 when run alone). */
  customer: { instances: number; port?: number };
}

export const DEFAULT_ROSTER: Roster = {
  order: { instances: 1 },
  payment: { instances: 1 },
  restaurant: { instances: 1 },
  kitchen: [
    { name: "chef_mario", orderTypes: ["dine_in", "takeout", "delivery"] },
    { name: "chef_anna", orderTypes: ["dine_in"] },
    { name: "chef_luigi", orderTypes: ["takeout", "delivery"] },
  ],
  tracking: { instances: 1 },
  notification: { instances: 2 },
  customer: { instances: 1 },
};
