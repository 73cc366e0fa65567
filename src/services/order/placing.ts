import { errorField } from "../shared/errors.js";
import type { GroupCommit } from "../shared/group-commit.js";
import { HttpError } from "../shared/http.js";
import type { Logger } from "../shared/logger.js";
import { OrderNumbersUnavailableError, utcDay, type OrderNumbers } from "./order-numbers.js";
import type { OrderRow, OrderStore } from "./store.js";
import type { ValidOrder } from "./validation.js";

export type Placed = OrderRow | { replayed: OrderRow & { fingerprint: string | null } };

/**
 * How both ways in (POST /orders and a checkout command) store an order: under its request id,
 * numbered inside the group commit's transaction, with the fingerprint of the request that made
 * it. When an order of that request id got there first (the id is UNIQUE in this file), that one
 * is handed back as `replayed`; out of order numbers for a while, 503.
 */
export function orderPlacer(deps: { store: OrderStore; group: GroupCommit; numbers: OrderNumbers; log: Logger }) {
  const { store, group, numbers, log } = deps;
  return async function placeOrReplay(order: ValidOrder, requestId: string, fingerprint: string | null, keyed: boolean): Promise<Placed> {
    const now = new Date();
    const day = utcDay(now);
    for (let attempt = 0; ; attempt++) {
      try {
        await numbers.ensure(day);
        return await store.placeInGroup(group, order, requestId, () => {
          const n = numbers.take(day);
          if (!n) throw new OrderNumbersUnavailableError("order numbers used up; reserving more");
          return n;
        }, now, fingerprint);
      } catch (err) {
        if (err instanceof OrderNumbersUnavailableError) {
          if (attempt < 2) continue;
          log.error({ action: "order_numbers_unavailable", request_id: requestId, error: errorField(err) }, err.message);
          throw new HttpError(503, "unavailable", "Order numbers cannot be reserved right now; retry shortly", [], { "retry-after": "1" });
        }
        if (keyed && /UNIQUE constraint failed: orders.request_id/.test((err as Error).message)) return { replayed: store.findByRequest(requestId)! };
        throw err;
      }
    }
  };
}
