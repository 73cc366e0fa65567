import { rmSync } from "node:fs";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, describe, expect, it } from "vitest";
import { start, type RestaurantService } from "../src/services/restaurant/index.js";
import { BUCKETS, CONSUMERS, STREAMS, subjects, type AnyOrderEvent } from "../src/services/shared/contracts.js";
import { orderEvent } from "../src/services/shared/events.js";
import { call, restaurant } from "./helpers/restaurants.js";
import { orderEvents } from "./helpers/stream.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";
import { TEST_TOPOLOGY } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

describe("restaurant service across restarts", () => {
  const t = useTestNats({ topology: TEST_TOPOLOGY });
  const dir = scratchDir("restaurant-restart");
  const running: RestaurantService[] = [];
  afterAll(async () => {
    for (const s of running) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const boot = async () => {
    const svc = await start({ nats: { servers: t.broker.url }, port: 0, dbFile: join(dir, "r.db"), logFile: join(dir, "r.log"), topology: TEST_TOPOLOGY, restaurants: [restaurant("main"), restaurant("napoli", { acceptance: "manual" })] });
    running.push(svc);
    return svc;
  };
  const paid = (number: string, restaurantId: string) =>
    orderEvent("paid", { order_number: number, order_type: "takeout", priority: 1, restaurant: restaurantId, origin: "order-1" }, "received", "payment-1", { amount: 9.99, payment_id: `pay_${number}` });

  it("keeps a closed restaurant closed, a waiting order waiting, and answers a redelivered OrderPaid once, after a crash", async () => {
    const first = await boot();
    expect((await call(`${first.url}/restaurants/napoli/close`, "POST")).body.open).toBe(false);
    const js = jetstream(t.nc);
    const main = paid("ORD_20260101_001", "main");
    const napoli = paid("ORD_20260101_002", "napoli");
    await js.publish(main.subject, JSON.stringify(main.payload), { msgID: main.id });
    await call(`${first.url}/restaurants/napoli/open`, "POST");
    await js.publish(napoli.subject, JSON.stringify(napoli.payload), { msgID: napoli.id });
    await waitFor(async () => (await call(`${first.url}/restaurants/napoli/orders/ORD_20260101_002`)).status === 200, "napoli's order waiting");
    await call(`${first.url}/restaurants/napoli/close`, "POST");
    await first.abort();

    const second = await boot();
    expect((await call(`${second.url}/restaurants/napoli`)).body).toMatchObject({ open: false, acceptance: "manual" });
    expect((await (await new Kvm(t.nc).open(BUCKETS.restaurants)).get("napoli"))!.json()).toMatchObject({ open: false });
    expect((await call(`${second.url}/restaurants/napoli/orders/ORD_20260101_002`)).body.state).toBe("waiting");
    // The same OrderPaid again (a redelivery past the duplicate window): answered before, nothing new.
    await js.publish(main.subject, JSON.stringify(main.payload), { msgID: `${main.id}.again` });
    expect((await call(`${second.url}/restaurants/napoli/orders/ORD_20260101_002/accept`, "POST")).status).toBe(200);
    await waitFor(async () => (await orderEvents(t.broker.url)).filter((e) => e.kind === "accepted").length === 2, "both orders accepted");
    await waitFor(async () => {
      const info = await t.jsm.consumers.info(STREAMS.orders, CONSUMERS.restaurant);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, "the restaurant service to take the repeat");
    const answers = (await orderEvents(t.broker.url)).filter((e: AnyOrderEvent) => e.kind === "accepted" || e.kind === "rejected");
    expect(answers.map((e) => [e.order_number, e.kind, e.by])).toEqual([
      ["ORD_20260101_001", "accepted", "restaurant-1"],
      ["ORD_20260101_002", "accepted", "staff@napoli"],
    ]);
    expect(subjects.acceptedFor("napoli", "takeout")).toBe("pizzeria.order.accepted.napoli.takeout.*");
  });
});
