import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { start as startKitchen } from "../src/services/kitchen/index.js";
import { STREAMS } from "../src/services/shared/contracts.js";
import { WorkerNameTakenError } from "../src/services/shared/errors.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { orderEvents } from "./helpers/stream.js";
import { startTestSystem, TEST_TOPOLOGY, type TestSystem } from "./helpers/system.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

describe("kitchen workers", () => {
  let sys: TestSystem;
  let dir: string;
  beforeAll(async () => {
    sys = await startTestSystem({
      roster: { kitchen: [{ name: "chef_mario", prefetch: 5 }], payment: { instances: 1, provider: { failureRate: 0, latencyMs: 1 } } },
      cookTimeMs: 60_000,
      heartbeatIntervalMs: 200,
    });
    dir = scratchDir("kitchen");
  });
  afterAll(async () => {
    await sys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("cooks the highest-priority order it holds first", async () => {
    // Nothing leaves the stove by itself here (a minute's cooking): each order is marked ready by
    // hand once the worker holds the others, so which order it picks next is its choice alone,
    // not a race between the payments and the first order's cooking time.
    const cheap = () => validOrder("takeout", { items: [{ name: "Cola", quantity: 1, price: 2.49 }] });
    const cookingEvents = async () => (await orderEvents(sys.natsUrl)).filter((e) => e.kind === "cooking").map((e) => e.order_number);
    const first = await postOrder(sys.orderUrl, cheap());
    await waitFor(async () => (await cookingEvents()).includes(first.body.order_number as string) || null, "the first order on the stove");
    const low1 = await postOrder(sys.orderUrl, cheap());
    const low2 = await postOrder(sys.orderUrl, cheap());
    const high = await postOrder(sys.orderUrl, validOrder("takeout", { items: [{ name: "Family Feast Pizza", quantity: 4, price: 34.99 }] }));
    const numbers = [first, low1, low2, high].map((a) => a.body.order_number as string);
    // All three are held (delivered, unacked) while the first cooks...
    const nc = await connect({ servers: sys.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => (await jsm.consumers.info(STREAMS.orders, "kitchen_main_takeout")).num_ack_pending === 4 || null, "the worker to hold all four");
    } finally {
      await nc.close();
    }
    const [restaurantUrl] = sys.launcher.urls("restaurant");
    for (let done = 0; done < 4; done++) {
      const cooking = await waitFor(async () => (await cookingEvents())[done] ?? null, `order ${done + 1} on the stove`);
      const ready = await waitFor(async () => {
        const res = await fetch(`${restaurantUrl}/restaurants/main/orders/${cooking}/ready`, { method: "POST" });
        return res.ok || null; // 409 while the stove has not taken it yet
      }, `${cooking} marked ready`);
      expect(ready).toBe(true);
    }
    await waitFor(async () => {
      const statuses = await Promise.all(numbers.map(async (n) => (await getJson(`${sys.trackingUrl}/orders/${n}/status`)).body.current_status));
      return statuses.every((s) => s === "completed") || null;
    }, "all four to complete");
    // ...and the big one goes on the stove next.
    const cookingOrder = await cookingEvents();
    expect(cookingOrder.slice(0, 2)).toEqual([numbers[0], numbers[3]]);
    expect(cookingOrder.slice(2).sort()).toEqual([numbers[1], numbers[2]].sort());
  });

  it("refuses a second worker with the name of one that is online", async () => {
    const attempt = startKitchen({ nats: { servers: sys.natsUrl }, name: "chef_mario", dbFile: join(dir, "dup.db"), logFile: join(dir, "dup.log"), topology: TEST_TOPOLOGY });
    await expect(attempt).rejects.toBeInstanceOf(WorkerNameTakenError);
    await expect(attempt).rejects.toThrow(/"chef_mario" is already online/);
  });

  it("shows a crashed worker offline after two missed heartbeats, and a stopped one at once", async () => {
    const workerStatus = async (name: string) => ((await getJson(`${sys.trackingUrl}/workers/status`)).body as Array<{ worker_name: string; status: string }>).find((w) => w.worker_name === name)?.status;
    const ghost = await startKitchen({ nats: { servers: sys.natsUrl }, name: "chef_ghost", dbFile: join(dir, "ghost.db"), logFile: join(dir, "ghost.log"), heartbeatIntervalMs: 200, topology: TEST_TOPOLOGY });
    await waitFor(async () => (await workerStatus("chef_ghost")) === "online", "chef_ghost online");
    const crashedAt = Date.now();
    await ghost.abort();
    await waitFor(async () => (await workerStatus("chef_ghost")) === "offline", "chef_ghost offline");
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(200);

    const polite = await startKitchen({ nats: { servers: sys.natsUrl }, name: "chef_polite", dbFile: join(dir, "polite.db"), logFile: join(dir, "polite.log"), heartbeatIntervalMs: 60_000, topology: TEST_TOPOLOGY });
    await waitFor(async () => (await workerStatus("chef_polite")) === "online", "chef_polite online");
    await polite.stop();
    await waitFor(async () => (await workerStatus("chef_polite")) === "offline", "chef_polite offline right after stopping");
  });
});
