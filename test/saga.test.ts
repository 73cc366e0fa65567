import { afterEach, describe, expect, it } from "vitest";
import { ORDER_TYPES, type OrderType } from "../src/services/shared/contracts.js";
import type { NotificationService } from "../src/services/notification/index.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { kindsByOrder, orderEvents } from "./helpers/stream.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

async function placeMany(sys: TestSystem, count: number, types: readonly OrderType[] = ORDER_TYPES): Promise<string[]> {
  const numbers: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await postOrder(sys.orderUrl, validOrder(types[i % types.length]));
    expect(answer.status).toBe(201);
    numbers.push(answer.body.order_number as string);
  }
  return numbers;
}

async function finalStatuses(sys: TestSystem, numbers: string[]): Promise<string[]> {
  return waitFor(async () => {
    const statuses = await Promise.all(numbers.map(async (n) => (await getJson(`${sys.trackingUrl}/orders/${n}/status`)).body.current_status as string));
    return statuses.every((s) => s === "completed" || s === "cancelled") ? statuses : null;
  }, "every order to reach a terminal state");
}

describe("the saga", () => {
  let sys: TestSystem | undefined;
  afterEach(async () => {
    await sys?.close();
    sys = undefined;
  });

  it("cancels an order whose payment fails, and never cooks it", async () => {
    sys = await startTestSystem({ roster: { payment: { instances: 1, provider: { failureRate: 1, latencyMs: 1 } } } });
    const numbers = await placeMany(sys, 12);
    expect(await finalStatuses(sys, numbers)).toEqual(numbers.map(() => "cancelled"));
    const byOrder = kindsByOrder(await orderEvents(sys.natsUrl));
    for (const n of numbers) expect(byOrder.get(n)).toEqual(["placed", "payment_failed", "cancelled"]);
    const history = await getJson(`${sys.trackingUrl}/orders/${numbers[0]}/history`);
    expect(history.body.map((h: { status: string }) => h.status)).toEqual(["received", "cancelled"]);
    // Each subscriber announced the cancellation once.
    for (const id of ["notification/notification-1", "notification/notification-2"]) {
      const sub = sys.launcher.handle<NotificationService>(id)!;
      await waitFor(() => numbers.every((n) => sub.seenFor(n).length === 1), `${id} to see every cancellation`);
      expect(sub.seenFor(numbers[0])).toEqual(["cancelled"]);
    }
  });

  it("declines the same orders whatever the order of processing: the provider answers per order, not per attempt", async () => {
    sys = await startTestSystem({ roster: { payment: { instances: 2, provider: { failureRate: 0.5, latencyMs: 1, seed: 7 } } } });
    const numbers = await placeMany(sys, 40);
    const statuses = await finalStatuses(sys, numbers);
    const cancelled = statuses.filter((s) => s === "cancelled").length;
    expect(cancelled).toBeGreaterThan(5);
    expect(cancelled).toBeLessThan(35);
    const events = await orderEvents(sys.natsUrl);
    for (const n of numbers) {
      const outcomes = events.filter((e) => e.order_number === n && (e.kind === "paid" || e.kind === "payment_failed"));
      expect(outcomes).toHaveLength(1);
    }
  });

  it("gives a specialist only the order types it handles", async () => {
    sys = await startTestSystem({
      roster: {
        kitchen: [
          { name: "chef_anna", orderTypes: ["dine_in"] },
          { name: "chef_luigi", orderTypes: ["takeout", "delivery"] },
        ],
        payment: { instances: 1, provider: { failureRate: 0, latencyMs: 1 } },
      },
    });
    const numbers = await placeMany(sys, 45);
    await finalStatuses(sys, numbers);
    const cooking = (await orderEvents(sys.natsUrl)).filter((e) => e.kind === "cooking");
    expect(cooking).toHaveLength(45);
    const byWorker = (name: string) => cooking.filter((e) => e.by === name).map((e) => e.order_type);
    expect(byWorker("chef_anna")).toHaveLength(15);
    expect(new Set(byWorker("chef_anna"))).toEqual(new Set(["dine_in"]));
    expect(new Set(byWorker("chef_luigi"))).toEqual(new Set(["takeout", "delivery"]));
  });
});
