import Database from "better-sqlite3";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { afterEach, describe, expect, it } from "vitest";
import { BUCKETS, type WorkerRecord } from "../src/services/shared/contracts.js";
import type { NotificationService } from "../src/services/notification/index.js";
import { instanceFiles } from "../src/sim/system/settings.js";
import { steadyLoad } from "./helpers/load.js";
import { getJson } from "./helpers/orders.js";
import { kindsByOrder, orderEvents } from "./helpers/stream.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const noDeclines = { instances: 1, provider: { failureRate: 0, latencyMs: 1 } };

async function allCompleted(sys: TestSystem, numbers: string[], timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    for (const n of numbers) {
      const { body } = await getJson(`${sys.trackingUrl}/orders/${n}/status`);
      if (body.current_status !== "completed") return false;
    }
    return true;
  }, `all ${numbers.length} orders to complete`, timeoutMs);
}

/** Each accepted order has each event exactly once in the stream: nothing lost, nothing doubled. */
async function expectExactlyOnce(sys: TestSystem, numbers: string[]): Promise<void> {
  const byOrder = kindsByOrder(await orderEvents(sys.natsUrl));
  for (const n of numbers) expect(byOrder.get(n), n).toEqual(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
  expect(new Set(numbers).size).toBe(numbers.length);
}

async function workerRecord(natsUrl: string, name: string): Promise<WorkerRecord> {
  const nc = await connect({ servers: natsUrl });
  try {
    const kv = await new Kvm(nc).open(BUCKETS.workers);
    return (await kv.get(name))!.json() as WorkerRecord;
  } finally {
    await nc.close();
  }
}

function readDb<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe("recovery", () => {
  let sys: TestSystem | undefined;
  afterEach(async () => {
    await sys?.close();
    sys = undefined;
  });

  it("redelivers an order whose worker was killed mid-cook, and completes it exactly once", async () => {
    sys = await startTestSystem({
      roster: { kitchen: [{ name: "chef_solo" }], payment: noDeclines },
      // Long enough that the crash, sent once the order is seen cooking, lands mid-cook on a loaded machine too.
      cookTimeMs: 3_000,
      heartbeatIntervalMs: 300,
    });
    const load = steadyLoad(() => sys!.orderUrl, 2, 0);
    await load.done;
    const [first] = load.accepted;
    await waitFor(async () => (await orderEvents(sys!.natsUrl)).some((e) => e.kind === "cooking" && e.order_number === first), "the first order to be on the stove");
    await sys.launcher.crashInstance("kitchen/chef_solo");
    await sys.launcher.restartInstance("kitchen/chef_solo");
    await allCompleted(sys, load.accepted);
    await expectExactlyOnce(sys, load.accepted);
    // The worker really started the first order twice: once before the crash, once after.
    const { dbFile } = instanceFiles(sys.runDir, "kitchen", "chef_solo");
    await sys.launcher.stopInstance("kitchen/chef_solo");
    const cooks = readDb<{ order_number: string; attempts: number; state: string }>(dbFile, "SELECT order_number, attempts, state FROM cooks ORDER BY order_number");
    expect(cooks.find((c) => c.order_number === first)).toMatchObject({ attempts: 2, state: "ready" });
  });

  it("hands a crashed worker's order to another worker", async () => {
    sys = await startTestSystem({
      roster: { kitchen: [{ name: "chef_a", orderTypes: ["takeout"] }, { name: "chef_b", orderTypes: ["takeout"] }], payment: noDeclines },
      cookTimeMs: 3_000, // the crash must land mid-cook (see above)
    });
    const { postOrder, validOrder } = await import("./helpers/orders.js");
    const answer = await postOrder(sys.orderUrl, validOrder("takeout"));
    const number = answer.body.order_number as string;
    const cook = await waitFor(async () => (await orderEvents(sys!.natsUrl)).find((e) => e.kind === "cooking" && e.order_number === number), "the order to be cooking");
    const other = cook.by === "chef_a" ? "chef_b" : "chef_a";
    await sys.launcher.crashInstance(`kitchen/${cook.by}`);
    await allCompleted(sys, [number]);
    const events = (await orderEvents(sys.natsUrl)).filter((e) => e.order_number === number);
    expect(events.map((e) => e.kind)).toEqual(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
    expect(events.find((e) => e.kind === "ready")!.by).toBe(other);
  });

  for (const how of ["stop", "kill"] as const) {
    it(`loses and doubles nothing when the nats-server is ${how === "stop" ? "stopped" : "killed -9"} and restarted mid-stream`, async () => {
      sys = await startTestSystem({ roster: { payment: noDeclines } });
      const load = steadyLoad(() => sys!.orderUrl, 120, 10);
      await waitFor(() => load.accepted.length >= 40, "40 orders accepted");
      if (how === "stop") await sys.broker.stop();
      else await sys.broker.kill();
      // The order service keeps taking orders into its outbox while the broker is away.
      const during = load.accepted.length;
      await waitFor(() => load.accepted.length >= during + 10, "orders accepted while the broker is down");
      await sys.broker.restart();
      await load.done;
      expect(load.other).toEqual([]);
      expect(load.accepted).toHaveLength(120);
      await allCompleted(sys, load.accepted, 45_000);
      await expectExactlyOnce(sys, load.accepted);
    });
  }

  it.each([
    ["order/order-1"],
    ["payment/payment-1"],
    ["restaurant/restaurant-1"],
    ["kitchen/chef_mario"],
    ["tracking/tracking-1"],
    ["notification/notification-1"],
  ])("stops %s gracefully mid-stream, leaving nothing half-done", async (id) => {
    sys = await startTestSystem({ roster: { payment: noDeclines }, cookTimeMs: 150 });
    const [service, instance] = id.split("/");
    const load = steadyLoad(() => sys!.launcher.urls("order")[0] ?? "http://127.0.0.1:1", 60, 15);
    await waitFor(() => load.accepted.length >= 20, "20 orders accepted");
    await sys.launcher.stopInstance(id);

    const { dbFile } = instanceFiles(sys.runDir, service, instance);
    if (service !== "tracking" && service !== "notification") {
      // Everything it decided was published before it let go.
      expect(readDb(dbFile, "SELECT id FROM outbox")).toEqual([]);
    }
    if (service === "kitchen") {
      expect(readDb(dbFile, "SELECT order_number FROM cooks WHERE state = 'cooking'")).toEqual([]);
      expect((await workerRecord(sys.natsUrl, instance)).state).toBe("offline");
    }
    if (service === "order") {
      // A stopped order API refuses connections; nothing it accepted is left unpublished.
      const placed = new Set((await orderEvents(sys.natsUrl)).filter((e) => e.kind === "placed").map((e) => e.order_number));
      for (const n of load.accepted) expect(placed.has(n)).toBe(true);
    }

    await sys.launcher.restartInstance(id);
    await load.done;
    expect(load.accepted.length + load.other.length).toBe(60);
    await allCompleted(sys, load.accepted);
    await expectExactlyOnce(sys, load.accepted);
    if (service === "kitchen") {
      // Each worker's count survives its restart (it is what its own database says it cooked).
      await waitFor(async () => {
        const counts = await Promise.all(["chef_mario", "chef_anna", "chef_luigi"].map(async (w) => (await workerRecord(sys!.natsUrl, w)).orders_cooked));
        return counts.reduce((a, b) => a + b, 0) === load.accepted.length;
      }, "the workers' cooked counts to add up to every order");
    }
    for (const sub of ["notification/notification-1", "notification/notification-2"]) {
      const n = sys.launcher.handle<NotificationService>(sub)!;
      await waitFor(() => load.accepted.every((o) => n.seenFor(o).length === 5), `${sub} to announce every change`);
      for (const o of load.accepted) expect(n.seenFor(o)).toEqual(["paid", "accepted", "cooking", "ready", "completed"]);
    }
  });
});
