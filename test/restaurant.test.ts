import { rmSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { start as startKitchen, type KitchenWorker } from "../src/services/kitchen/index.js";
import { BUCKETS, CONSUMERS, STREAMS, subjects, type AnyOrderEvent } from "../src/services/shared/contracts.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { call, restaurant } from "./helpers/restaurants.js";
import { kindsByOrder, orderEvents } from "./helpers/stream.js";
import { scratchDir } from "./helpers/nats.js";
import { startTestSystem, TEST_TOPOLOGY, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const REJECTED = ["placed", "paid", "rejected", "refunded", "cancelled"];
const COMPLETED = ["placed", "paid", "accepted", "cooking", "ready", "completed"];

describe("restaurant service", () => {
  let sys: TestSystem;
  let api: string;
  let nc: NatsConnection;
  let slow: KitchenWorker;
  const dir = scratchDir("restaurant");
  beforeAll(async () => {
    sys = await startTestSystem({
      roster: {
        payment: { instances: 1, provider: { failureRate: 0, latencyMs: 1 } },
        restaurant: {
          instances: 1,
          restaurants: [restaurant("main"), restaurant("napoli", { acceptance: "manual" }), restaurant("doughless", { reject_rate: 1 }), restaurant("slowpoke"), restaurant("shut")],
        },
        kitchen: [{ name: "chef_mario" }, { name: "chef_sofia", restaurant: "napoli" }, { name: "chef_dough", restaurant: "doughless" }],
      },
    });
    api = sys.launcher.urls("restaurant")[0];
    nc = await connect({ servers: sys.natsUrl });
    // slowpoke's kitchen cooks for a minute: only a hand marking the order ready finishes it in time.
    slow = await startKitchen({ nats: { servers: sys.natsUrl }, name: "chef_slow", restaurant: "slowpoke", cookTimeMs: 60_000, dbFile: join(dir, "slow.db"), logFile: join(dir, "slow.log"), topology: TEST_TOPOLOGY });
  });
  afterAll(async () => {
    await slow?.stop();
    await nc?.close();
    await sys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const statusOf = async (number: string) => (await getJson(`${sys.trackingUrl}/orders/${number}/status`)).body.current_status as string | undefined;
  const place = async (restaurantId: string, type: "takeout" | "dine_in" | "delivery" = "takeout") => {
    const answer = await postOrder(sys.orderUrl, validOrder(type, { restaurant_id: restaurantId }));
    expect(answer.status).toBe(201);
    return answer.body.order_number as string;
  };
  const eventsOf = async (number: string) => (await orderEvents(sys.natsUrl)).filter((e) => e.order_number === number);
  const ledger = async () => {
    const reply = await nc.request(subjects.control("payment", "payment-1", "ledger"), JSON.stringify({ after: 0, limit: 5000 }));
    return (reply.json() as { entries: Array<{ kind: string; order_number: string; payment_id: string; amount: number }> }).entries;
  };

  it("lists its restaurants, shows each with its menu, and writes every one to the restaurants bucket", async () => {
    const list = await call(`${api}/restaurants`);
    expect(list.status).toBe(200);
    expect(list.body.map((r: { id: string }) => r.id)).toEqual(["main", "napoli", "doughless", "slowpoke", "shut"]);
    expect(list.body[1]).toMatchObject({ id: "napoli", name: "Test napoli", open: true, acceptance: "manual", reject_rate: 0, menu_url: "/restaurants/napoli/menu" });
    expect(list.body[1].menu).toBeUndefined();
    expect((await call(`${api}/restaurants/doughless`)).body).toMatchObject({ id: "doughless", reject_rate: 1 });
    const menu = await call(`${api}/restaurants/napoli/menu`);
    expect(menu.body.pizzas.map((p: { name: string }) => p.name)).toEqual(["Marinara", "Diavola", "Capricciosa"]);
    const kv = await new Kvm(nc).open(BUCKETS.restaurants);
    expect((await kv.get("napoli"))!.json()).toMatchObject({ id: "napoli", acceptance: "manual", menu: { crusts: [{ name: "neapolitan", surcharge: 0 }, { name: "wholemeal", surcharge: 1.2 }] } });
    expect((await call(`${api}/health`)).status).toBe(200);
  });

  it("answers 404 naming the restaurant or the order, and 400 for a malformed path", async () => {
    expect(await call(`${api}/restaurants/nowhere`)).toMatchObject({ status: 404, body: { error: "restaurant_not_found", field: "restaurant_id" } });
    expect(await call(`${api}/restaurants/nowhere/menu`)).toMatchObject({ status: 404, body: { field: "restaurant_id" } });
    expect(await call(`${api}/restaurants/napoli/orders/ORD_20000101_001/accept`, "POST")).toMatchObject({ status: 404, body: { error: "order_not_found", field: "order_number" } });
    expect(await call(`${api}/restaurants/nowhere/orders/ORD_20000101_001/reject`, "POST", { reason: "x" })).toMatchObject({ status: 404, body: { field: "restaurant_id" } });
    expect(await call(`${api}/restaurants/%ZZ`)).toMatchObject({ status: 400, body: { error: "malformed_path", field: "path" } });
    expect(await call(`${api}/restaurants/napoli/orders?state=cooking`)).toMatchObject({ status: 400, body: { field: "state" } });
  });

  it("rejects an order when the reject rate says so: refunded once, cancelled, never cooked, even when the rejection is delivered again", async () => {
    const number = await place("doughless", "dine_in");
    await waitFor(async () => (await statusOf(number)) === "cancelled", "the rejected order to be cancelled");
    const events = await eventsOf(number);
    expect(events.map((e) => e.kind)).toEqual(REJECTED);
    const rejected = events.find((e) => e.kind === "rejected") as AnyOrderEvent & { kind: "rejected" };
    expect(rejected).toMatchObject({ restaurant: "doughless", from: "paid", to: "rejected", by: "restaurant-1", data: { reason: "out of dough" } });
    const refunded = events.find((e) => e.kind === "refunded") as AnyOrderEvent & { kind: "refunded" };
    expect(refunded).toMatchObject({ from: "rejected", to: null, by: "payment-1", data: { amount: 28.47, reason: "out of dough" } });
    expect(events.find((e) => e.kind === "cancelled")).toMatchObject({ from: "rejected", to: "cancelled", data: { reason: "rejected by restaurant: out of dough" } });
    const paymentId = (events.find((e) => e.kind === "paid") as AnyOrderEvent & { kind: "paid" }).data.payment_id;
    expect(refunded.data.refund_id).toBe(`ref_${paymentId.replace(/^pay_/, "")}`);

    // The same OrderRejected again, under another msgID (a redelivery past the duplicate window): no second refund.
    await jetstream(nc).publish(subjects.orderEvent("rejected", "doughless", "dine_in", "order-1"), JSON.stringify(rejected), { msgID: `${rejected.id}.again` });
    const jsm = await jetstreamManager(nc);
    await waitFor(async () => {
      const info = await jsm.consumers.info(STREAMS.orders, CONSUMERS.refunds);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, "the refunds consumer to take the repeat");
    expect((await eventsOf(number)).filter((e) => e.kind === "refunded")).toHaveLength(1);
    const entries = (await ledger()).filter((e) => e.order_number === number);
    expect(entries.map((e) => e.kind)).toEqual(["charge", "refund"]);
    expect(entries[1]).toMatchObject({ payment_id: paymentId, amount: 28.47 });
  });

  it("keeps a manual restaurant's orders for its staff: accept sends it to that restaurant's kitchen, reject refunds it; a second answer is 409", async () => {
    const kept = await place("napoli");
    const refused = await place("napoli", "delivery");
    await waitFor(async () => (await call(`${api}/restaurants/napoli/orders`)).body.length === 2, "both napoli orders waiting for the staff");
    // Tracking sees it paid and no further: nothing cooks it until the staff answer.
    await waitFor(async () => (await statusOf(kept)) === "paid", "tracking to see the napoli order paid");
    expect((await call(`${api}/restaurants/napoli/orders/${kept}`)).body).toMatchObject({ state: "waiting", restaurant_id: "napoli" });
    // Another restaurant's staff cannot answer it.
    expect(await call(`${api}/restaurants/main/orders/${kept}/accept`, "POST")).toMatchObject({ status: 404, body: { field: "order_number" } });

    const accepted = await call(`${api}/restaurants/napoli/orders/${kept}/accept`, "POST");
    expect(accepted).toMatchObject({ status: 200, body: { order_number: kept, state: "accepted", decided_by: "staff@napoli" } });
    expect(await call(`${api}/restaurants/napoli/orders/${kept}/accept`, "POST")).toMatchObject({ status: 409, body: { error: "conflict", field: "order_number", reason: "it was already accepted" } });
    expect(await call(`${api}/restaurants/napoli/orders/${kept}/reject`, "POST", { reason: "too late" })).toMatchObject({ status: 409 });
    await waitFor(async () => (await statusOf(kept)) === "completed", "the accepted napoli order to complete");
    const cooked = (await eventsOf(kept)).find((e) => e.kind === "cooking") as AnyOrderEvent & { kind: "cooking" };
    expect(cooked.data.worker).toBe("chef_sofia");

    const rejected = await call(`${api}/restaurants/napoli/orders/${refused}/reject`, "POST", { reason: "no basil left" });
    expect(rejected).toMatchObject({ status: 200, body: { state: "rejected", reason: "no basil left" } });
    await waitFor(async () => (await statusOf(refused)) === "cancelled", "the rejected napoli order to be cancelled");
    expect(kindsByOrder(await orderEvents(sys.natsUrl)).get(refused)).toEqual(REJECTED);
    expect((await eventsOf(refused)).find((e) => e.kind === "cancelled")!.data).toEqual({ reason: "rejected by restaurant: no basil left" });
    expect((await call(`${api}/restaurants/napoli/orders?state=rejected`)).body.map((o: { order_number: string }) => o.order_number)).toEqual([refused]);
  });

  it("refuses a bad rejection body with 400 naming the field, 413 past 64 KiB, and keeps the order waiting", async () => {
    const number = await place("napoli", "dine_in");
    await waitFor(async () => (await call(`${api}/restaurants/napoli/orders/${number}`)).status === 200, "the order waiting at napoli");
    const url = `${api}/restaurants/napoli/orders/${number}/reject`;
    expect(await call(url, "POST", "{not json")).toMatchObject({ status: 400, body: { error: "malformed_json", field: "body" } });
    expect(await call(url, "POST", [1, 2])).toMatchObject({ status: 400, body: { field: "body" } });
    expect(await call(url, "POST", { reason: "" })).toMatchObject({ status: 400, body: { field: "reason" } });
    expect(await call(url, "POST", { reason: 7 })).toMatchObject({ status: 400, body: { field: "reason" } });
    expect(await call(url, "POST", { reason: "x".repeat(201) })).toMatchObject({ status: 400, body: { field: "reason" } });
    expect(await call(url, "POST", { reason: "ok", colour: "red" })).toMatchObject({ status: 400, body: { field: "colour" } });
    expect(await call(url, "POST", { reason: "x".repeat(70_000) })).toMatchObject({ status: 413, body: { error: "payload_too_large", field: "body" } });
    expect(await call(url, "POST", "reason", { "content-type": "text/plain" })).toMatchObject({ status: 415 });
    expect((await call(`${api}/restaurants/napoli/orders/${number}`)).body.state).toBe("waiting");
    expect(await call(`${api}/restaurants/napoli/orders/${number}/accept`, "POST")).toMatchObject({ status: 200 });
    await waitFor(async () => (await statusOf(number)) === "completed", "the order to complete after all");
  });

  it("lets the staff mark an order on the stove ready: the worker cooking it publishes OrderReady at once, saying who marked it", async () => {
    const number = await place("slowpoke");
    await waitFor(async () => (await statusOf(number)) === "cooking", "the slowpoke order on the stove");
    const marked = await call(`${api}/restaurants/slowpoke/orders/${number}/ready`, "POST");
    expect(marked).toMatchObject({ status: 200, body: { order_number: number, status: "ready", worker: "chef_slow" } });
    await waitFor(async () => (await statusOf(number)) === "completed", "the marked order to complete");
    const ready = (await eventsOf(number)).find((e) => e.kind === "ready") as AnyOrderEvent & { kind: "ready" };
    expect(ready.data).toMatchObject({ worker: "chef_slow", marked_by: "staff@slowpoke" });
    expect(ready.data.cook_ms).toBeLessThan(60_000);
    expect(kindsByOrder(await orderEvents(sys.natsUrl)).get(number)).toEqual(COMPLETED);
    // Not on a stove any more (or never: rejected, or still waiting for an answer): 409.
    expect(await call(`${api}/restaurants/slowpoke/orders/${number}/ready`, "POST")).toMatchObject({ status: 409, body: { field: "order_number" } });
    const waiting = await place("napoli");
    await waitFor(async () => (await call(`${api}/restaurants/napoli/orders/${waiting}`)).status === 200, "the napoli order waiting");
    expect(await call(`${api}/restaurants/napoli/orders/${waiting}/ready`, "POST")).toMatchObject({ status: 409, body: { reason: "it is waiting for the restaurant's answer" } });
    await call(`${api}/restaurants/napoli/orders/${waiting}/reject`, "POST");
    expect(await call(`${api}/restaurants/napoli/orders/${waiting}/ready`, "POST")).toMatchObject({ status: 409, body: { reason: "it was rejected" } });
  });

  it("closes and opens a restaurant: a closed one rejects its paid orders (refunded), and the bucket says so", async () => {
    const closed = await call(`${api}/restaurants/shut/close`, "POST");
    expect(closed).toMatchObject({ status: 200, body: { id: "shut", open: false } });
    const kv = await new Kvm(nc).open(BUCKETS.restaurants);
    expect((await kv.get("shut"))!.json()).toMatchObject({ open: false });
    const number = await place("shut");
    await waitFor(async () => (await statusOf(number)) === "cancelled", "the closed restaurant's order to be cancelled");
    expect((await eventsOf(number)).find((e) => e.kind === "rejected")!.data).toEqual({ reason: "restaurant shut is closed" });
    expect((await call(`${api}/restaurants/shut/open`, "POST")).body.open).toBe(true);
    // Open again, it accepts (shut has no kitchen in this system: the order stays accepted).
    const later = await place("shut");
    await waitFor(async () => (await statusOf(later)) === "accepted", "an order after reopening to be accepted");
  });

  it("rejects an order for a restaurant it does not run (refunded), and refuses a restaurant_id that is not an id with 400", async () => {
    const number = await place("atlantis");
    await waitFor(async () => (await statusOf(number)) === "cancelled", "the order for no restaurant to be cancelled");
    expect((await eventsOf(number)).find((e) => e.kind === "rejected")!.data).toEqual({ reason: "no restaurant atlantis" });
    const bad = await postOrder(sys.orderUrl, validOrder("takeout", { restaurant_id: "two words" }));
    expect(bad).toMatchObject({ status: 400, body: { field: "restaurant_id" } });
  });

  it("shows the restaurant in tracking's status and history, and serves each restaurant's board by status", async () => {
    const number = await place("napoli", "takeout");
    await waitFor(async () => (await statusOf(number)) === "paid", "the napoli order paid");
    expect((await getJson(`${sys.trackingUrl}/orders/${number}/status`)).body).toMatchObject({ order_number: number, restaurant_id: "napoli", current_status: "paid" });
    expect((await getJson(`${sys.trackingUrl}/orders/${number}/history`)).body[0]).toMatchObject({ status: "received", restaurant_id: "napoli" });
    const board = async (query: string) => getJson(`${sys.trackingUrl}/restaurants/napoli/orders${query}`);
    await waitFor(async () => (await board("?status=paid")).body.some((o: { order_number: string }) => o.order_number === number), "the order on napoli's board");
    expect((await board("?status=paid")).body.every((o: { status: string }) => o.status === "paid")).toBe(true);
    const all = (await board("")).body as Array<{ order_number: string; status: string }>;
    expect(all.map((o) => o.status)).toEqual(expect.arrayContaining(["completed", "cancelled", "paid"]));
    const mainBoard = (await getJson(`${sys.trackingUrl}/restaurants/main/orders`)).body as Array<{ order_number: string }>;
    expect(mainBoard.some((o) => o.order_number === number)).toBe(false);
    expect(await board("?status=burnt")).toMatchObject({ status: 400, body: { field: "status" } });
    expect(await getJson(`${sys.trackingUrl}/restaurants/nowhere/orders`)).toMatchObject({ status: 404, body: { field: "restaurant_id" } });
    await call(`${api}/restaurants/napoli/orders/${number}/accept`, "POST");
    await waitFor(async () => (await statusOf(number)) === "completed", "the napoli order to complete");
  });

  it("never lets a worker cook another restaurant's order, nor cooks a rejected one", async () => {
    const events = await orderEvents(sys.natsUrl);
    const restaurantOf = new Map(events.filter((e) => e.kind === "placed").map((e) => [e.order_number, e.restaurant]));
    const kitchenOf: Record<string, string> = { chef_mario: "main", chef_sofia: "napoli", chef_dough: "doughless", chef_slow: "slowpoke" };
    const cooks = events.filter((e): e is AnyOrderEvent & { kind: "cooking" } => e.kind === "cooking");
    expect(cooks.length).toBeGreaterThan(3);
    for (const c of cooks) expect(kitchenOf[c.data.worker], `${c.order_number} cooked by ${c.data.worker}`).toBe(restaurantOf.get(c.order_number));
    const rejected = new Set(events.filter((e) => e.kind === "rejected").map((e) => e.order_number));
    expect(rejected.size).toBeGreaterThan(3);
    for (const c of cooks) expect(rejected.has(c.order_number)).toBe(false);
    const worker = (await getJson(`${sys.trackingUrl}/workers/status`)).body.find((w: { worker_name: string }) => w.worker_name === "chef_sofia");
    expect(worker).toMatchObject({ restaurant: "napoli" });
  });
});
