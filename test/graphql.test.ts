import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrackingService } from "../src/services/tracking/index.js";
import { UP_ROSTER } from "../src/sim/scenario/roster.js";
import { gql, SseSubscription } from "./helpers/graphql.js";
import { postOrder, validOrder } from "./helpers/orders.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const LIFECYCLE = ["received", "paid", "accepted", "cooking", "ready", "completed"];
const ORDER = `query ($n: String!) { order(number: $n) {
  number status orderType totalAmount priority processedBy createdAt updatedAt estimatedCompletion
  restaurant { id name open listed } customer { id name } items { name quantity price toppings }
  history { from status event changedBy at }
} }`;

describe("tracking's GraphQL API on a real system", () => {
  let sys: TestSystem;
  let tracking: TrackingService;
  const url = () => sys.trackingUrl;

  async function place(body: Record<string, unknown> = validOrder("takeout")): Promise<string> {
    const placed = await postOrder(sys.orderUrl, body);
    expect(placed.status).toBe(201);
    return placed.body.order_number as string;
  }
  const statusOf = async (n: string) => (await gql(url(), "query ($n: String!) { order(number: $n) { status } }", { n })).body.data.order?.status;
  const completed = (n: string) => waitFor(async () => (await statusOf(n)) === "completed", `${n} completed`);

  beforeAll(async () => {
    sys = await startTestSystem({ roster: { ...UP_ROSTER, restaurant: { ...UP_ROSTER.restaurant, port: 0 }, reporting: { ...UP_ROSTER.reporting, port: 0 }, payment: { instances: 1, provider: { failureRate: 0, latencyMs: 1 } } } });
    tracking = sys.launcher.handle<TrackingService>("tracking/tracking-1")!;
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("answers an order with its status, history, restaurant, customer and items; an unknown order is null", async () => {
    const n = await place();
    await completed(n);
    const { status, body } = await gql(url(), ORDER, { n });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const order = body.data.order;
    expect(order).toMatchObject({
      number: n,
      status: "completed",
      orderType: "takeout",
      totalAmount: 28.47,
      priority: 1,
      estimatedCompletion: null,
      restaurant: { id: "main", name: "Pizzeria Centrale", open: true, listed: true },
      customer: { id: null, name: "Jane O'Neil-Doe" },
      items: [
        { name: "Margherita Pizza", quantity: 2, price: 12.99, toppings: [] },
        { name: "Cola", quantity: 1, price: 2.49, toppings: [] },
      ],
    });
    expect(["chef_mario", "chef_luigi"]).toContain(order.processedBy);
    expect(order.history.map((h: any) => h.status)).toEqual(LIFECYCLE);
    expect(order.history.map((h: any) => h.from)).toEqual([null, ...LIFECYCLE.slice(0, -1)]);
    expect(order.history[0].event).toBe("OrderPlaced");
    expect(order.history[3]).toMatchObject({ event: "OrderCooking", changedBy: order.processedBy });

    const unknown = await gql(url(), ORDER, { n: "ORD_19990101_001" });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({ data: { order: null } });

    // GET serves queries too.
    const got = await fetch(`${url()}/graphql?query=${encodeURIComponent(`{ order(number: "${n}") { status } }`)}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ data: { order: { status: "completed" } } });
  });

  it("lists workers and restaurants, those of the restaurants bucket and of tracking's orders", async () => {
    const workers = await waitFor(async () => {
      const w = (await gql(url(), "{ workers { name restaurant online state orderTypes ordersProcessed } }")).body.data.workers;
      return w.length === 4 && w.every((x: any) => x.online) ? w : null;
    }, "four workers online");
    expect(workers.map((w: any) => w.name)).toEqual(["chef_anna", "chef_luigi", "chef_mario", "chef_sofia"]);
    expect(workers.find((w: any) => w.name === "chef_sofia")).toMatchObject({ restaurant: "napoli", orderTypes: ["dine_in", "takeout", "delivery"] });
    const napoliWorkers = (await gql(url(), '{ workers(restaurant: "napoli") { name } }')).body.data.workers;
    expect(napoliWorkers).toEqual([{ name: "chef_sofia" }]);

    const { body } = await gql(url(), "{ restaurants { id name open acceptance listed } }");
    expect(body.data.restaurants).toEqual([
      { id: "main", name: "Pizzeria Centrale", open: true, acceptance: "auto", listed: true },
      { id: "napoli", name: "Da Napoli", open: true, acceptance: "auto", listed: true },
    ]);
  });

  it("refuses bad queries with GraphQL errors and 400s, bad arguments with a named argument, big bodies with 413, and keeps serving", async () => {
    const syntax = await gql(url(), "{ order(number: ");
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors[0].message).toMatch(/Syntax Error/);
    const unknownField = await gql(url(), '{ order(number: "x") { flavour } }');
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors[0].message).toMatch(/Cannot query field "flavour" on type "Order"/);
    const badEnum = await gql(url(), "{ orders(status: baking) { edges { cursor } } }");
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.errors[0].message).toMatch(/baking/);
    // A client that asks for legacy application/json gets the spec's 200 with the errors.
    const legacy = await gql(url(), "{ nope }", undefined, { accept: "application/json" });
    expect(legacy.status).toBe(200);
    expect(legacy.body.errors[0].message).toMatch(/Cannot query field "nope"/);

    const first = await gql(url(), "{ orders(first: 0) { edges { cursor } } }");
    expect(first.status).toBe(200);
    expect(first.body.data).toBeNull();
    expect(first.body.errors[0]).toMatchObject({ path: ["orders"], extensions: { code: "BAD_USER_INPUT", field: "first", reason: "must be an integer from 1 to 200" } });
    const cursor = await gql(url(), '{ orders(after: "not-a-cursor") { edges { cursor } } }');
    expect(cursor.body.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });

    // An order's history leads to its order and back: depth is bounded (fragments counted), introspection is not limited by it.
    const deep = `{ order(number: "x") { ${"history { order { ".repeat(5)} number ${"} } ".repeat(5)} } }`;
    const tooDeep = await gql(url(), deep);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors[0]).toMatchObject({ extensions: { code: "QUERY_TOO_DEEP", limit: 10 } });
    const viaFragments = await gql(url(), `{ order(number: "x") { ...A } } fragment A on Order { history { order { ...B } } } fragment B on Order { history { order { ...C } } }
      fragment C on Order { history { order { ...D } } } fragment D on Order { history { order { ...E } } } fragment E on Order { history { order { number } } }`);
    expect(viaFragments.status).toBe(400);
    expect(viaFragments.body.errors[0].extensions.code).toBe("QUERY_TOO_DEEP");
    const introspection = await gql(url(), getIntrospectionQuery());
    expect(introspection.status).toBe(200);
    expect(introspection.body.data.__schema.subscriptionType).toMatchObject({ name: "Subscription" });

    const huge = await fetch(`${url()}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: `{ order(number: "${"x".repeat(70_000)}") { status } }` }) });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: "payload_too_large", field: "body" });
    const notJson = await fetch(`${url()}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: "{ order" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as any).errors[0].message).toMatch(/Unparsable JSON body/);
    const text = await fetch(`${url()}/graphql`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{ workers { name } }" });
    expect(text.status).toBe(415);
    const put = await fetch(`${url()}/graphql`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");

    expect((await fetch(`${url()}/health`)).status).toBe(200);
    expect((await gql(url(), "{ workers { name } }")).status).toBe(200);
  });

  it("pages through orders with cursors, by restaurant and by status", async () => {
    const mine = [await place(), await place(), await place(), await place(validOrder("dine_in")), await place()];
    const napoli = await place(validOrder("takeout", { restaurant_id: "napoli", items: [{ name: "Marinara", quantity: 1, price: 9.5 }] }));
    for (const n of [...mine, napoli]) await completed(n);

    const PAGE = `query ($r: String, $s: OrderStatus, $after: String) { orders(restaurant: $r, status: $s, first: 2, after: $after) {
      edges { cursor node { number restaurant { id } } } pageInfo { hasNextPage endCursor } } }`;
    const walk = async (r: string | null, s: string | null) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page: any = (await gql(url(), PAGE, { r, s, after })).body.data.orders;
        seen.push(...page.edges.map((e: any) => e.node.number));
        if (page.edges.length > 0) expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1].cursor);
        if (!page.pageInfo.hasNextPage) return seen;
        expect(page.edges).toHaveLength(2);
        after = page.pageInfo.endCursor;
      }
      throw new Error("more than 50 pages");
    };
    const all = await walk(null, null);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    for (const n of [...mine, napoli]) expect(all).toContain(n);
    const main = await walk("main", "completed");
    expect(main).toEqual(all.filter((n) => n !== napoli));
    expect(await walk("napoli", null)).toEqual([napoli]);
    expect(await walk("main", "cooking")).toEqual([]);
  });

  it("streams a restaurant's order events and one order's status, received to completed, over server-sent events", async () => {
    const napoliEvents = new SseSubscription(url(), 'subscription { orderEvents(restaurant: "napoli") { orderNumber status } }');
    const mainEvents = new SseSubscription(url(), 'subscription { orderEvents(restaurant: "main") { orderNumber restaurant from status event changedBy order { status } } }');
    await Promise.all([napoliEvents.opened(), mainEvents.opened()]);
    expect(mainEvents.status).toBe(200);

    // Payment is stopped: the order waits in received while its own subscription opens.
    await sys.launcher.stopInstance("payment/payment-1");
    const n = await place();
    await waitFor(async () => (await statusOf(n)) === "received", `${n} received`);
    const own = new SseSubscription(url(), "subscription ($n: String!) { orderStatus(number: $n) { orderNumber from status changedBy at } }", { n });
    await waitFor(() => own.results.length === 1, "the order's current status");
    await sys.launcher.startInstance("payment/payment-1");
    await own.ended(); // it ends by itself after completed
    expect(own.completed).toBe(true);
    expect(own.results.map((r) => r.data.orderStatus.status)).toEqual(LIFECYCLE);
    expect(own.results.every((r) => r.data.orderStatus.orderNumber === n && !r.errors)).toBe(true);
    expect(own.results[0].data.orderStatus.from).toBeNull();

    const changes = () => mainEvents.results.map((r) => r.data.orderEvents).filter((c) => c.orderNumber === n);
    await waitFor(() => changes().length === LIFECYCLE.length, "main's events of the order");
    expect(changes().map((c) => c.status)).toEqual(LIFECYCLE);
    expect(changes()[0]).toMatchObject({ restaurant: "main", from: null, event: "OrderPlaced" });
    expect(changes()[5]).toMatchObject({ from: "ready", event: "OrderCompleted", order: { status: "completed" } });
    expect(napoliEvents.results.filter((r) => r.data.orderEvents.orderNumber === n)).toEqual([]);

    const other = await place(validOrder("delivery", { restaurant_id: "napoli", items: [{ name: "Marinara", quantity: 1, price: 9.5 }] }));
    await waitFor(() => napoliEvents.results.filter((r) => r.data.orderEvents.orderNumber === other).length === LIFECYCLE.length, "napoli's events");
    expect(napoliEvents.results.map((r) => r.data.orderEvents.status)).toEqual(LIFECYCLE);
    napoliEvents.close();
    mainEvents.close();
    await waitFor(() => tracking.graphql.openSubscriptions() === 0 && tracking.readModel.listenerCount() === 0, "no subscription left");
  });

  it("a subscription of a finished order gives its last status and ends; bad subscriptions get errors in the stream", async () => {
    const n = await place();
    await completed(n);
    const done = new SseSubscription(url(), "subscription ($n: String!) { orderStatus(number: $n) { status } }", { n });
    await done.ended();
    expect(done.results).toEqual([{ data: { orderStatus: { status: "completed" } } }]);

    const bad = new SseSubscription(url(), "subscription { orderStatus { status } }");
    await bad.ended();
    expect(bad.results[0].errors[0].message).toMatch(/argument "number" of type "String!" is required/);
    expect(tracking.readModel.listenerCount()).toBe(0);
  });

  it("leaves nothing behind when clients hang up, and ends open streams when tracking stops", async () => {
    const subs = Array.from({ length: 5 }, (_, i) =>
      i % 2 === 0 ? new SseSubscription(url(), "subscription { orderEvents { status } }") : new SseSubscription(url(), 'subscription { orderStatus(number: "ORD_19990101_009") { status } }'),
    );
    await Promise.all(subs.map((s) => s.opened()));
    await waitFor(() => tracking.graphql.openSubscriptions() === 5 && tracking.readModel.listenerCount() === 5, "five subscriptions open");
    for (const s of subs.slice(0, 4)) s.close();
    await waitFor(() => tracking.graphql.openSubscriptions() === 1 && tracking.readModel.listenerCount() === 1, "one left");

    // A graceful stop does not wait on the open stream: it is completed and closed.
    const last = subs[4];
    await sys.launcher.stopInstance("tracking/tracking-1");
    await last.ended();
    expect(last.completed).toBe(true);
    expect(tracking.graphql.openSubscriptions()).toBe(0);
    expect(tracking.readModel.listenerCount()).toBe(0);
  });
});
