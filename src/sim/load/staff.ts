import { createHash } from "node:crypto";
import type { OrderEvent } from "../../services/shared/contracts.js";
import type { RestaurantDefinition } from "../../services/shared/menus.js";

/** Why the harness's staff turn an order down. */
export const STAFF_REJECT_REASON = "the staff turned it down";

const RETRIES = 20;

/**
 * The staff of a scenario's `manual` restaurants: for each paid order of theirs the harness sees
 * on the stream, they answer through the restaurant API as FoodWala's restaurant app would:
 * accept, or reject (a share of `reject_rate`, by a draw fixed by the seed and the order number).
 * The restaurant service may not have taken the OrderPaid yet when the harness sees it (404): the
 * answer is tried again a little later.
 */
export class Staff {
  private readonly manual: Map<string, RestaurantDefinition>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    restaurants: readonly RestaurantDefinition[],
    private readonly seed: number,
    private readonly api: () => string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    this.manual = new Map(restaurants.map((r) => [r.id, r]));
  }

  answer(e: OrderEvent<"paid">): void {
    const r = this.manual.get(e.restaurant);
    if (!r) return;
    const reject = r.reject_rate > 0 && draw(`${this.seed}:staff:${e.order_number}`) < r.reject_rate;
    void this.send(r.id, e.order_number, reject, 1);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
  }

  private async send(restaurant: string, number: string, reject: boolean, attempt: number): Promise<void> {
    if (this.stopped) return;
    const base = this.api();
    let status = 0;
    if (base) {
      const url = `${base}/restaurants/${encodeURIComponent(restaurant)}/orders/${encodeURIComponent(number)}/${reject ? "reject" : "accept"}`;
      const init: RequestInit = reject ? { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: STAFF_REJECT_REASON }) } : { method: "POST" };
      status = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) }).then(async (res) => (await res.arrayBuffer(), res.status), () => 0);
    }
    if (status === 200 || status === 409) return; // answered (409: answered before, by an earlier try)
    if (attempt >= RETRIES) {
      this.warn(`the staff of ${restaurant} could not answer order ${number} (last: ${status === 0 ? "no answer" : `HTTP ${status}`})`);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.send(restaurant, number, reject, attempt + 1);
    }, Math.min(100 * attempt, 1_000));
    this.timers.add(t);
  }
}

function draw(key: string): number {
  return parseInt(createHash("sha256").update(key).digest("hex").slice(0, 12), 16) / 2 ** 48;
}
