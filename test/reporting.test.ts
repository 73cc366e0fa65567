import { rmSync } from "node:fs";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, describe, expect, it } from "vitest";
import { start, type ReportingService } from "../src/services/reporting/index.js";
import type { EventData, EventKind, OrderStatus, OrderType } from "../src/services/shared/contracts.js";
import { orderEvent } from "../src/services/shared/events.js";
import { getJson } from "./helpers/orders.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";
import { TEST_TOPOLOGY } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const DAY = "2026-12-02";
const number = (n: number) => `ORD_20261202_${String(n).padStart(3, "0")}`;
type Step = [kind: EventKind, from: OrderStatus | null, at: string, by: string, data: unknown];

/** One order's events, built as the services build them (id, subject, `to` from the kind). */
function history(n: number, restaurant: string, type: OrderType, steps: Step[]) {
  const header = { order_number: number(n), order_type: type, priority: 1, restaurant, origin: "order-1" };
  return steps.map(([kind, from, at, by, data]) => orderEvent(kind, header, from, by, data as EventData[typeof kind], new Date(at)));
}
const placed = (customer: string | null, items: Array<[string, number, number]>) => ({
  customer_name: "Ada",
  items: items.map(([name, quantity, price]) => ({ name, quantity, price })),
  total_amount: items.reduce((n, [, q, p]) => n + q * p, 0),
  request_id: "r",
  ...(customer ? { customer_id: customer } : {}),
});
const t = (time: string, day = DAY) => `${day}T${time}Z`;

// A fixed history: two restaurants, two customers (and an order without one), a rejection that
// is refunded, a declined payment, three cooks; with an event republished under another msgID, an
// event of an order never placed and a transition the state machine forbids, all three ignored.
const PART_ONE = [
  ...history(1, "main", "dine_in", [
    ["placed", null, t("10:00:00.000"), "order-1", placed("c1", [["Margherita", 2, 10], ["Cola", 1, 2.5]])],
    ["paid", "received", t("10:00:01.000"), "payment-1", { amount: 22.5, payment_id: "p1" }],
    ["accepted", "paid", t("10:00:02.000"), "restaurant-1", {}],
    ["cooking", "accepted", t("10:00:03.000"), "chef_a", { worker: "chef_a" }],
    ["ready", "cooking", t("10:00:11.000"), "chef_a", { worker: "chef_a", cook_ms: 8000 }],
    ["completed", "ready", t("10:00:12.000"), "chef_a", {}],
  ]),
  ...history(2, "main", "takeout", [
    ["placed", null, t("10:30:00.000"), "order-1", placed("c1", [["Margherita", 1, 10], ["Tiramisu", 3, 5]])],
    ["paid", "received", t("10:30:01.000"), "payment-1", { amount: 25, payment_id: "p2" }],
    ["accepted", "paid", t("10:30:01.500"), "restaurant-1", {}],
    ["cooking", "accepted", t("10:30:02.000"), "chef_b", { worker: "chef_b" }],
    ["ready", "cooking", t("10:30:12.000"), "chef_b", { worker: "chef_b", cook_ms: 10000 }],
    ["completed", "ready", t("10:30:13.000"), "chef_b", {}],
  ]),
  ...history(3, "main", "delivery", [
    ["placed", null, t("11:05:00.000"), "order-1", placed(null, [["Pepperoni", 2, 20]])],
    ["paid", "received", t("11:05:01.000"), "payment-1", { amount: 40, payment_id: "p3" }],
    ["rejected", "paid", t("11:05:02.000"), "restaurant-1", { reason: "out of dough" }],
    ["refunded", "rejected", t("11:05:03.000"), "payment-1", { amount: 40, refund_id: "f3", reason: "out of dough" }],
    ["cancelled", "rejected", t("11:05:04.000"), "order-1", { reason: "out of dough" }],
  ]),
];
const PART_TWO = [
  ...history(4, "main", "takeout", [
    ["placed", null, t("11:10:00.000"), "order-1", placed("c2", [["Cola", 4, 3]])],
    ["payment_failed", "received", t("11:10:01.000"), "payment-1", { amount: 12, reason: "declined" }],
    ["cancelled", "received", t("11:10:02.000"), "order-1", { reason: "payment declined" }],
  ]),
  ...history(5, "napoli", "dine_in", [
    ["placed", null, t("00:10:00.000", "2026-12-03"), "order-1", placed("c2", [["Calzone", 1, 15]])],
    ["paid", "received", t("00:10:01.000", "2026-12-03"), "payment-1", { amount: 15, payment_id: "p5" }],
    ["accepted", "paid", t("00:10:02.000", "2026-12-03"), "restaurant-1", {}],
    ["cooking", "accepted", t("00:10:03.000", "2026-12-03"), "chef_n", { worker: "chef_n" }],
    ["ready", "cooking", t("00:10:15.000", "2026-12-03"), "chef_n", { worker: "chef_n", cook_ms: 12000 }],
    ["completed", "ready", t("00:10:16.000", "2026-12-03"), "chef_n", {}],
  ]),
  // Never placed; and completed after cancelled (forbidden): neither counts, nor moves the end of the history.
  ...history(999, "main", "takeout", [["cooking", "accepted", t("12:00:00.000", "2026-12-04"), "chef_x", { worker: "chef_x" }]]),
  ...history(3, "main", "delivery", [["completed", "ready", t("13:00:00.000", "2026-12-04"), "chef_a", {}]]),
];

const SPAN = Date.parse(t("00:10:16.000", "2026-12-03")) - Date.parse(t("10:00:00.000"));

describe("reporting service", () => {
  const nats = useTestNats({ topology: TEST_TOPOLOGY });
  const dir = scratchDir("reporting");
  let svc: ReportingService | undefined;
  afterAll(async () => {
    await svc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const boot = () => start({ nats: { servers: nats.broker.url }, dbFile: join(dir, "reporting.db"), logFile: join(dir, "reporting.log"), topology: TEST_TOPOLOGY, port: 0 });
  const publish = async (messages: typeof PART_ONE, msgIdSuffix = "") => {
    const js = jetstream(nats.nc);
    for (const m of messages) await js.publish(m.subject, JSON.stringify(m.payload), { msgID: m.id + msgIdSuffix });
  };
  const get = (path: string) => getJson(`${svc!.url}${path}`);

  it("answers every report as a hand count of a fixed history, across a crash and a republished event", async () => {
    svc = await boot();
    await publish(PART_ONE);
    await waitFor(() => svc!.store.orders() === 3 && svc!.store.restaurants()[0]?.cancelled === 1, "the first part applied");
    await svc.abort(); // a crash: what was applied is in its file; what was not yet acked comes again
    await publish(PART_TWO);
    await publish(PART_ONE.filter((m) => m.id === `${number(1)}.ready`), ".again"); // the same event under another msgID
    svc = await boot();
    await waitFor(async () => (await get("/reports/daily")).body.days?.length === 2, "the second part applied");

    const restaurants = await get("/reports/restaurants");
    expect(restaurants.status).toBe(200);
    const zeroPrep = { avg_preparation_ms: null, p95_preparation_ms: null };
    expect(restaurants.body.restaurants).toEqual([
      {
        restaurant: "main", orders: 4, completed: 2, cancelled: 2, rejected: 1, revenue: 47.5,
        avg_preparation_ms: 9000, p95_preparation_ms: 10000, rejection_rate: 0.25, cancellation_rate: 0.5,
        hours: [
          { hour: `${DAY}T10`, orders: 2, completed: 2, cancelled: 0, rejected: 0, revenue: 47.5, avg_preparation_ms: 9000, p95_preparation_ms: 10000, rejection_rate: 0, cancellation_rate: 0 },
          { hour: `${DAY}T11`, orders: 2, completed: 0, cancelled: 2, rejected: 1, revenue: 0, ...zeroPrep, rejection_rate: 0.5, cancellation_rate: 1 },
        ],
      },
      {
        restaurant: "napoli", orders: 1, completed: 1, cancelled: 0, rejected: 0, revenue: 15,
        avg_preparation_ms: 12000, p95_preparation_ms: 12000, rejection_rate: 0, cancellation_rate: 0,
        hours: [{ hour: "2026-12-03T00", orders: 1, completed: 1, cancelled: 0, rejected: 0, revenue: 15, avg_preparation_ms: 12000, p95_preparation_ms: 12000, rejection_rate: 0, cancellation_rate: 0 }],
      },
    ]);
    expect((await get("/reports/restaurants?restaurant=napoli")).body.restaurants.map((r: { restaurant: string }) => r.restaurant)).toEqual(["napoli"]);

    expect((await get("/reports/customers/c1")).body).toEqual({
      customer_id: "c1", orders: 2, completed: 2, spend: 47.5,
      favourite_items: [{ name: "Margherita", quantity: 3 }, { name: "Tiramisu", quantity: 3 }, { name: "Cola", quantity: 1 }],
    });
    expect((await get("/reports/customers/c2")).body).toEqual({
      customer_id: "c2", orders: 2, completed: 1, spend: 15, favourite_items: [{ name: "Cola", quantity: 4 }, { name: "Calzone", quantity: 1 }],
    });

    expect((await get("/reports/workers")).body.workers).toEqual([
      { worker: "chef_a", orders_cooked: 1, busy_ms: 8000, busy_share: 8000 / SPAN },
      { worker: "chef_b", orders_cooked: 1, busy_ms: 10000, busy_share: 10000 / SPAN },
      { worker: "chef_n", orders_cooked: 1, busy_ms: 12000, busy_share: 12000 / SPAN },
    ]);

    expect((await get("/reports/daily")).body.days).toEqual([
      { day: DAY, orders: 4, completed: 2, cancelled: 2, rejected: 1, revenue: 47.5 },
      { day: "2026-12-03", orders: 1, completed: 1, cancelled: 0, rejected: 0, revenue: 15 },
    ]);
    expect((await get("/reports/daily?from=2026-12-03&to=2026-12-03")).body.days.map((d: { day: string }) => d.day)).toEqual(["2026-12-03"]);
  });

  it("answers an unknown id with 404 and a bad query parameter with 400 naming it", async () => {
    const cases: Array<[string, number, string]> = [
      ["/reports/customers/nobody", 404, "customer_id"],
      ["/reports/restaurants?restaurant=nowhere", 404, "restaurant"],
      ["/reports/restaurants?restaurant=no%20such", 400, "restaurant"],
      ["/reports/restaurants?colour=red", 400, "colour"],
      ["/reports/workers?limit=5", 400, "limit"],
      ["/reports/daily?from=yesterday", 400, "from"],
      ["/reports/daily?to=2026-13-45", 400, "to"],
      ["/reports/daily?from=2026-12-05&to=2026-12-01", 400, "from"],
      ["/reports/customers/c1?x=1", 400, "x"],
    ];
    for (const [path, status, field] of cases) {
      const answer = await get(path);
      expect(answer.status, path).toBe(status);
      expect(answer.body.field, path).toBe(field);
      expect(typeof answer.body.reason, path).toBe("string");
    }
  });
});
