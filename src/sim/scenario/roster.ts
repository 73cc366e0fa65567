import type { OrderType } from "../../services/shared/contracts.js";
import type { ProviderSettings } from "../../services/payment/payment-provider.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../../services/shared/menus.js";

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
  /**
   * The restaurant service: answers every paid order (accepts it, or rejects it to be refunded).
   * `restaurants`: what it runs (default: the one restaurant `main`); `seed`: which orders an auto
   * restaurant rejects; `port`: of the first instance's HTTP API (0 or none: any free port).
   */
  restaurant: { instances: number; restaurants?: RestaurantDefinition[]; seed?: number; port?: number };
  kitchen: WorkerSpec[];
  tracking: { instances: number; port?: number };
  notification: { instances: number };
  /** Seed 000's customers and carts (HTTP, default port 3005 when run alone). */
  customer: { instances: number; port?: number };
  /** The reporting service (the back office's reports, its own read model); `port` of the first instance (0 or none: any free port). */
  reporting: { instances: number; port?: number };
}

export const DEFAULT_ROSTER: Roster = {
  order: { instances: 1 },
  payment: { instances: 1 },
  restaurant: { instances: 1, restaurants: [DEFAULT_RESTAURANTS[0]] },
  kitchen: [
    { name: "chef_mario", orderTypes: ["dine_in", "takeout", "delivery"] },
    { name: "chef_anna", orderTypes: ["dine_in"] },
    { name: "chef_luigi", orderTypes: ["takeout", "delivery"] },
  ],
  tracking: { instances: 1 },
  notification: { instances: 2 },
  customer: { instances: 1 },
  reporting: { instances: 1 },
};

/**
 * What `up` runs: the default roster, with both default restaurants (`main` and `napoli`, their
 * own menus) and a kitchen for each: napoli gets a worker of its own for every type.
 */
export const UP_ROSTER: Roster = {
  ...DEFAULT_ROSTER,
  restaurant: { instances: 1, restaurants: [...DEFAULT_RESTAURANTS], port: 3004 },
  reporting: { instances: 1, port: 3006 },
  kitchen: [...DEFAULT_ROSTER.kitchen, { name: "chef_sofia", restaurant: "napoli", orderTypes: ["dine_in", "takeout", "delivery"] }],
};
