import { ORDER_TYPES } from "../../src/services/shared/contracts.js";
import { postOrder, validOrder } from "./orders.js";

export interface SteadyLoad {
  /** Order numbers of 201 answers so far. */
  accepted: string[];
  /** Statuses other than 201 (connection refused counts as 0). */
  other: number[];
  /** Resolves when `count` requests have been answered. */
  done: Promise<void>;
}

/** Send `count` orders one after another, `gapMs` apart, to whichever order URL `target()` names. */
export function steadyLoad(target: () => string, count: number, gapMs = 10): SteadyLoad {
  const accepted: string[] = [];
  const other: number[] = [];
  const done = (async () => {
    for (let i = 0; i < count; i++) {
      try {
        const answer = await postOrder(target(), validOrder(ORDER_TYPES[i % 3]), { "idempotency-key": `load-${i}` });
        if (answer.status === 201) accepted.push(answer.body.order_number as string);
        else other.push(answer.status);
      } catch {
        other.push(0);
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  return { accepted, other, done };
}
