/**
 * The journeys a scenario's `journeys:` asks for, drawn from the seed: which journey each arrival
 * starts (its own stream, `journeys/kind`), then everything the journey will do (the restaurant it
 * browses, the customer it signs up or the pool member it logs in as, the lines it adds, its
 * pauses, its checkout's order type and body), each journey from a stream of its own
 * (`journeys/<seq>`), so the same seed gives the same journeys, steps, items and pauses, and one
 * journey's draws never shift another's.
 */
import type { OrderType } from "../../services/shared/contracts.js";
import { DEFAULT_RESTAURANTS, type CartLineRequest, type RestaurantDefinition } from "../../services/shared/menus.js";
import type { JourneySpec, TrackMode } from "../scenario/journeys.js";
import type { Scenario } from "../scenario/scenario.js";
import { checkoutBody, drawLine } from "./cart-journeys.js";
import { Rng } from "./rng.js";

export interface CustomerDetails {
  name: string;
  email: string;
  phone: string;
}

/** A step as it will be taken: the scenario's step with its draws made. */
export type PlannedStep =
  | { kind: "browse"; restaurantId: string }
  | { kind: "signup"; customer: CustomerDetails; key: string }
  /** `poolIndex`: the returning customer drawn (another free one is taken while that one is out on a journey). */
  | { kind: "login"; poolIndex: number }
  | { kind: "add"; lines: CartLineRequest[] }
  | { kind: "remove"; count: number }
  | { kind: "think"; ms: number }
  /** `key`: the checkout's Idempotency-Key; `body`: its JSON. */
  | { kind: "checkout"; key: string; orderType: OrderType; body: string }
  | { kind: "track"; mode: TrackMode }
  | { kind: "abandon" };

export interface JourneyPlan {
  seq: number;
  /** `jrn-<seed>-<seq>`. */
  id: string;
  /** The journey's name in the scenario. */
  kind: string;
  steps: PlannedStep[];
}

/** Returning customers to log in as: this many per run, each registered (under its own key) the first time one is used. */
export const LOGIN_POOL_SIZE = 40;

/** The returning customer `i` of the pool: always the same account for a seed (its registration key makes it so). */
export function poolCustomer(seed: number, i: number, names: readonly string[]): { customer: CustomerDetails; key: string } {
  const rng = Rng.derive(seed, `journeys/pool/${i}`);
  const digits = String(rng.int(0, 9_999_999)).padStart(7, "0");
  return { customer: { name: rng.pick(names), email: `pool-${seed}-${i}@customers.example`, phone: `+1 555 ${digits}` }, key: `pool-${seed}-${i}` };
}

export interface PlannerDraws {
  names: readonly string[];
  address: (rng: Rng) => string;
}

export class JourneyPlanner {
  private readonly kinds: Rng;
  private readonly weights: Record<string, number>;
  private readonly byName: Map<string, JourneySpec>;

  constructor(
    private readonly scenario: Pick<Scenario, "seed" | "orders"> & { journeys: JourneySpec[] },
    /** The restaurants a journey may browse (open, with a kitchen). */
    private readonly restaurants: readonly RestaurantDefinition[] = DEFAULT_RESTAURANTS,
    private readonly draws: PlannerDraws,
  ) {
    this.kinds = Rng.derive(scenario.seed, "journeys/kind");
    this.weights = Object.fromEntries(scenario.journeys.map((j) => [j.name, j.weight]));
    this.byName = new Map(scenario.journeys.map((j) => [j.name, j]));
  }

  /** The journey of arrival `seq` (1-based). */
  next(seq: number): JourneyPlan {
    const spec = this.byName.get(this.kinds.weighted(this.weights))!;
    const id = `jrn-${this.scenario.seed}-${seq}`;
    const rng = Rng.derive(this.scenario.seed, `journeys/${seq}`);
    let restaurant: RestaurantDefinition | null = null;
    let lines = 0;
    const steps = spec.steps.map((step): PlannedStep => {
      switch (step.kind) {
        case "browse": {
          restaurant = this.pickRestaurant(rng);
          return { kind: "browse", restaurantId: restaurant.id };
        }
        case "signup": {
          const digits = String(rng.int(0, 9_999_999)).padStart(7, "0");
          return { kind: "signup", customer: { name: rng.pick(this.draws.names), email: `${id}@customers.example`, phone: `+1 555 ${digits}` }, key: `${id}.customer` };
        }
        case "login":
          return { kind: "login", poolIndex: rng.int(0, LOGIN_POOL_SIZE - 1) };
        case "add": {
          const n = rng.int(step.items.min, step.items.max);
          // A range may draw more than a cart holds: what would pass 20 lines is not drawn.
          const count = Math.min(n, 20 - lines);
          lines += count;
          return { kind: "add", lines: Array.from({ length: count }, () => drawLine(rng, restaurant!)) };
        }
        case "remove": {
          // The scenario's check makes sure the adds' minimum covers this; more is never taken than is there.
          const count = Math.min(step.items, Math.max(0, lines - (hasLaterCheckout(spec, step) ? 1 : 0)));
          lines -= count;
          return { kind: "remove", count };
        }
        case "think":
          return { kind: "think", ms: rng.int(step.ms.min, step.ms.max) };
        case "checkout": {
          const type = rng.weighted(step.orderTypes ?? this.scenario.orders.types);
          const body = checkoutBody(type, () => rng.int(1, 100), () => this.draws.address(rng));
          return { kind: "checkout", key: `${id}.checkout`, orderType: type, body: JSON.stringify(body) };
        }
        case "track":
          return { kind: "track", mode: step.mode };
        case "abandon":
          return { kind: "abandon" };
      }
    });
    return { seq, id, kind: spec.name, steps };
  }

  /** Drawn by `orders.restaurants` shares when the scenario gives them, else evenly. */
  private pickRestaurant(rng: Rng): RestaurantDefinition {
    const shares = this.scenario.orders.restaurants;
    if (shares) {
      const served = Object.fromEntries(Object.entries(shares).filter(([id]) => this.restaurants.some((r) => r.id === id)));
      if (Object.values(served).some((w) => w > 0)) {
        const id = rng.weighted(served);
        return this.restaurants.find((r) => r.id === id)!;
      }
    }
    return rng.pick(this.restaurants);
  }
}

function hasLaterCheckout(spec: JourneySpec, step: JourneySpec["steps"][number]): boolean {
  return spec.steps.slice(spec.steps.indexOf(step) + 1).some((s) => s.kind === "checkout");
}
