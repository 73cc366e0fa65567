import type { AnyOrderEvent } from "../../services/shared/contracts.js";
import type { RestaurantDefinition } from "../../services/shared/menus.js";
import type { Scenario } from "../scenario/scenario.js";
import { Staff } from "../load/staff.js";
import type { LogEntry, RestaurantFigures } from "./run-events.js";

type Counted = "placed" | "accepted" | "rejected" | "refunded" | "completed" | "cancelled";
const COUNTED = new Set<string>(["placed", "accepted", "rejected", "refunded", "completed", "cancelled"]);

/**
 * The restaurants as a run sees them, from the ORDERS stream: each one's placed, accepted,
 * rejected, refunded, completed and cancelled orders (the dashboard's rows, the report's section),
 * each rejection and refund told in the event log, and a paid order of a `manual` restaurant
 * handed to the harness's staff, who answer it over the restaurant API.
 */
export class RestaurantWatch {
  private readonly figures = new Map<string, RestaurantFigures>();
  private readonly completedAtTick = new Map<string, number>();
  private readonly staff: Staff | null;

  constructor(
    scenario: Pick<Scenario, "roster" | "seed">,
    private readonly log: (level: LogEntry["level"], message: string) => void,
    restaurantApi: () => string | undefined,
  ) {
    const restaurants: readonly RestaurantDefinition[] = scenario.roster.restaurant.restaurants ?? [];
    for (const r of restaurants) this.of(r.id);
    const manual = restaurants.filter((r) => r.acceptance === "manual");
    this.staff = manual.length > 0 ? new Staff(manual, scenario.seed, restaurantApi, (message) => log("warn", message)) : null;
  }

  /**
   * `placedElsewhere`: an order of someone else's (the customer page's): the harness's staff leave
   * it to the staff on the page's board, who answer it there.
   */
  event(e: AnyOrderEvent, placedElsewhere = false): void {
    if (e.kind === "paid" && !placedElsewhere) this.staff?.answer(e);
    if (!COUNTED.has(e.kind)) return;
    this.of(e.restaurant)[e.kind as Counted]++;
    if (e.kind === "rejected") this.log("warn", `order ${e.order_number} rejected by ${e.restaurant} (${e.by}): ${e.data.reason}`);
    if (e.kind === "refunded") this.log("info", `order ${e.order_number} refunded ${e.data.amount.toFixed(2)} (${e.data.refund_id}) by ${e.by}`);
  }

  /** The figures now, with each restaurant's completions since the last call (a tick's second). */
  view(): RestaurantFigures[] {
    return [...this.figures.values()].map((f) => {
      const before = this.completedAtTick.get(f.id) ?? 0;
      this.completedAtTick.set(f.id, f.completed);
      return { ...f, completedPerSecond: f.completed - before };
    });
  }

  /** The totals, for the report. */
  totals(): RestaurantFigures[] {
    return [...this.figures.values()].map((f) => ({ ...f }));
  }

  stop(): void {
    this.staff?.stop();
  }

  private of(id: string): RestaurantFigures {
    let f = this.figures.get(id);
    if (!f) {
      f = { id, placed: 0, accepted: 0, rejected: 0, refunded: 0, completed: 0, cancelled: 0, completedPerSecond: 0 };
      this.figures.set(id, f);
    }
    return f;
  }
}
