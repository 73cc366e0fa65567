import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { isAlive, runCli, type CliProcess } from "./helpers/cli.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { addItem, checkout, registerCustomer } from "./helpers/customers.js";
import { kindsByOrder, orderEvents, streamConfig } from "./helpers/stream.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

describe("pizzeria service: each service as its own process", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  const procs: CliProcess[] = [];
  let orderUrl: string;
  let trackingUrl: string;
  const service = (name: string, ...args: string[]) => {
    const p = runCli(["service", name, "--nats", broker.url, "--data-dir", dir, "--ack-wait", "1s", ...args]);
    procs.push(p);
    return p;
  };
  const urlOf = async (p: CliProcess) =>
    (await waitFor(() => p.logs().find((l) => l.action === "service_started" && l.url), "the service to report its URL")).url as string;

  beforeAll(async () => {
    broker = await startTestBroker();
    dir = scratchDir("cli");
    const order = service("order", "--port", "0");
    service("payment", "--failure-rate", "0", "--latency", "1ms");
    service("restaurant");
    const tracking = service("tracking", "--port", "0");
    orderUrl = await urlOf(order);
    trackingUrl = await urlOf(tracking);
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bounds the ORDERS stream it creates when started alone (24 h, 1 GiB by default): a service runs for days", async () => {
    const config = await streamConfig(broker.url);
    expect([config.max_age, config.max_bytes]).toEqual([24 * 3_600_000 * 1e6, 1024 ** 3]);
  });

  it("survives SIGKILL of a kitchen worker mid-cook: a new process of the same name finishes the order once", async () => {
    const first = service("kitchen", "--name", "chef_proc", "--cook-time", "2s", "--heartbeat-interval", "300ms");
    await waitFor(() => first.logs().some((l) => l.action === "worker_registered"), "the worker to start");
    const { body } = await postOrder(orderUrl, validOrder("delivery"));
    const number = body.order_number as string;
    await waitFor(() => first.logs().some((l) => l.action === "order_processing_started" && l.order_number === number), "cooking to start");
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");

    // Its heartbeat is still fresh, but its process is gone: the same name may come back at once.
    const second = service("kitchen", "--name", "chef_proc", "--cook-time", "200ms", "--heartbeat-interval", "300ms");
    await waitFor(async () => (await getJson(`${trackingUrl}/orders/${number}/status`)).body.current_status === "completed", "the order to complete", 30_000);
    expect(kindsByOrder(await orderEvents(broker.url)).get(number)).toEqual(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
    expect(second.logs().some((l) => l.action === "order_processing_started" && l.order_number === number)).toBe(true);

    // SIGTERM: finishes what is on the stove, signs off, exits 0.
    const { body: next } = await postOrder(orderUrl, validOrder("delivery"));
    await waitFor(() => second.logs().some((l) => l.action === "order_processing_started" && l.order_number === next.order_number), "the next order to cook");
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
    expect(second.logs().some((l) => l.action === "order_completed" && l.order_number === next.order_number)).toBe(true);
    expect(second.logs().some((l) => l.action === "worker_stopped")).toBe(true);
    const workers = (await getJson(`${trackingUrl}/workers/status`)).body as Array<{ worker_name: string; status: string }>;
    await waitFor(async () => ((await getJson(`${trackingUrl}/workers/status`)).body as typeof workers).find((w) => w.worker_name === "chef_proc")?.status === "offline", "chef_proc offline");
  });

  it("refuses a second worker of an online name with a clear message and exit code 2, like every other taken instance", async () => {
    const anna = service("kitchen", "--name", "chef_anna", "--order-types", "dine_in", "--heartbeat-interval", "300ms");
    await waitFor(() => anna.logs().some((l) => l.action === "worker_registered"), "chef_anna to start");
    const twin = service("kitchen", "--name", "chef_anna");
    expect((await twin.exited).code).toBe(2);
    expect(twin.stderr()).toMatch(/pizzeria: kitchen worker "chef_anna" is already online/);
    anna.child.kill("SIGTERM");
    expect((await anna.exited).code).toBe(0);
  });

  it("refuses a second order service of the same name and data dir with a clear message and exit code 2", async () => {
    // The same command twice, as an operator would: the default instance order-1 is already online (started in beforeAll).
    const twin = service("order", "--port", "0");
    expect((await twin.exited).code).toBe(2);
    expect(twin.stderr()).toMatch(/^pizzeria: order instance "order-1" is already online \(pid \d+ on .+, last seen .+\); pick another --instance or stop that one first$/m);
    expect((await getJson(`${orderUrl}/health`)).status).toBe(200);
  });

  it("refuses a second service on a data file a live process holds, and starts at once on it after that process is killed", async () => {
    const db = join(dir, "claimed.db");
    const first = service("notification", "--instance", "desk-claim", "--db", db);
    await waitFor(() => first.logs().some((l) => l.action === "service_started"), "the first subscriber to start");
    const other = service("notification", "--instance", "desk-other", "--db", db);
    expect((await other.exited).code).toBe(2);
    expect(other.stderr()).toContain(`pizzeria: data file ${db} is in use by notification instance "desk-claim", pid ${first.child.pid}`);
    first.child.kill("SIGKILL");
    await first.exited;
    // Its heartbeat and its lock are fresh, but its process is gone: the same name and file are free at once.
    const again = service("notification", "--instance", "desk-claim", "--db", db);
    await waitFor(() => again.logs().some((l) => l.action === "service_started"), "the subscriber to start again");
    again.child.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
  });

  it("takes its options from a config file and from PIZZERIA_<OPTION> environment variables", async () => {
    const config = join(dir, "kitchen.yaml");
    writeFileSync(config, "name: chef_config\norder-types: dine_in,takeout\nprefetch: 2\nheartbeat-interval: 300ms\n");
    const fromFile = service("kitchen", "--config", config);
    await waitFor(() => fromFile.logs().find((l) => l.action === "worker_registered"), "the configured worker to start");
    expect(fromFile.logs().find((l) => l.action === "worker_registered")).toMatchObject({ instance: "chef_config", order_types: ["dine_in", "takeout"], prefetch: 2, heartbeat_ms: 300 });
    fromFile.child.kill("SIGTERM");
    expect((await fromFile.exited).code).toBe(0);

    const fromEnv = runCli(["service", "kitchen", "--nats", broker.url, "--data-dir", dir, "--ack-wait", "1s"], { PIZZERIA_NAME: "chef_env", PIZZERIA_ORDER_TYPES: "delivery" });
    procs.push(fromEnv);
    await waitFor(() => fromEnv.logs().find((l) => l.action === "worker_registered"), "the worker named by the environment to start");
    expect(fromEnv.logs().find((l) => l.action === "worker_registered")).toMatchObject({ instance: "chef_env", order_types: ["delivery"] });
    fromEnv.child.kill("SIGTERM");
    expect((await fromEnv.exited).code).toBe(0);
  });

  it("prints the seed's notification line when a subscriber runs alone", async () => {
    const sub = service("notification", "--name", "desk");
    await waitFor(() => sub.logs().some((l) => l.action === "service_started"), "the subscriber to start");
    // It reads the stream from the start: earlier orders' changes are announced too.
    await waitFor(() => /Notification for order ORD_\d{8}_\d{3,}: Status changed from 'ready' to 'completed' by order-1\./.test(sub.stdout()), "a notification line on stdout");
    sub.child.kill("SIGINT");
    expect((await sub.exited).code).toBe(0);
  });
});

describe("pizzeria CLI errors", () => {
  it.each([
    [["up", "--bogus"], /Unknown argument: bogus/],
    [["up", "--reporting-port", "70000"], /--reporting-port must be a port number from 0 to 65535; got 70000/],
    [["service", "kitchen"], /Missing required argument: name/],
    [["service", "kitchen", "--name", "x", "--order-types", "pizza"], /--order-types must be a comma-separated list of dine_in, takeout, delivery/],
    [["service", "kitchen", "--name", "bad name"], /worker name "bad name" must be 1-64 letters/],
    [["service", "kitchen", "--name", "x", "--restaurant", "no such"], /restaurant name "no such" must be 1-64 letters/],
    [["service", "restaurant", "--restaurants", "/nonexistent/restaurants.yaml"], /cannot read restaurants file \/nonexistent\/restaurants.yaml/],
    [["service", "payment", "--failure-rate", "2"], /--failure-rate must be between 0 and 1/],
    [["service", "payment", "--retention-bytes", "lots"], /--retention-bytes must be a size such as 512MiB/],
    [["service", "payment", "--retention-age", "a week"], /--retention-age must be a duration/],
    [["service", "kitchen", "--name", "x", "--heartbeat-interval", "soon"], /--heartbeat-interval must be a duration/],
    [["selftest", "--mutant", "no-such-bug"], /Invalid values:.*Argument: mutant, Given: "no-such-bug"/],
  ])("pizzeria %j exits 2 with a clear message", async (args, message) => {
    const p = runCli(args as string[]);
    const { code } = await p.exited;
    expect(p.stderr()).toMatch(message);
    expect(p.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    expect(code).toBe(2);
  });

  it("fails with the install hint when nats-server cannot be found", async () => {
    const p = runCli(["up", "--order-port", "0", "--tracking-port", "0"], { PIZZERIA_NATS_SERVER: "/nonexistent/nats-server" });
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toMatch(/nats-server is not installed\. On Debian\/Ubuntu: `sudo apt-get install -y nats-server`/);
  });

  it("does not take PIZZERIA_MUTANT (the self-test's, for the services to read) for an unknown option", async () => {
    const p = runCli(["service", "tracking", "--nats", "nats://127.0.0.1:1", "--port", "0", "--connect-timeout", "1s", "--data-dir", scratchDir("mutant-env")], { PIZZERIA_MUTANT: "tracking-regress" });
    expect((await p.exited).code).toBe(1);
    expect(p.stderr()).toMatch(/pizzeria: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it("cannot reach a NATS URL: exit 1 with the URL in the message", async () => {
    const p = runCli(["service", "tracking", "--nats", "nats://127.0.0.1:1", "--port", "0", "--connect-timeout", "1s", "--data-dir", scratchDir("nonats")]);
    expect((await p.exited).code).toBe(1);
    expect(p.stderr()).toMatch(/pizzeria: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});

describe("pizzeria check: a file the yaml library reads but cannot convert, or with keys that would break the line", () => {
  const tenOf = (alias: string) => `[${Array.from({ length: 10 }, () => alias).join(", ")}]`;
  const minimal = "name: t\nseed: 1\nload:\n  - { duration: 1s, rate: 1 }\n";
  it.each([
    ["an alias without its anchor", "name: t\nseed: *nope\nload:\n  - { duration: 1s, rate: 1 }\n", /^pizzeria: \S+alias\.yaml: seed: expected an alias to an anchor set earlier in the file, found \*nope with no &nope before it at line 2:7$/],
    ["an alias bomb", `${minimal}orders:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b ${tenOf("*a")}\n  c: &c ${tenOf("*b")}\n  d: ${tenOf("*c")}\n`, /^pizzeria: \S+alias\.yaml: orders\.d: expected aliases that expand to at most 1000 nodes in all, found .* at line 9:6$/],
    ["a key with a newline and a right-to-left override", `${minimal}"to\\u202etal\\nly": 1\n`, /^pizzeria: \S+alias\.yaml: "to\\u202etal\\nly": expected one of the keys name, .*, found unknown key "to\\u202etal\\nly"$/],
  ])("%s: exit 2 and one line naming the file and the key path", async (_what, text, message) => {
    const dir = scratchDir("check");
    const file = join(dir, "alias.yaml");
    writeFileSync(file, text);
    const p = runCli(["check", file]);
    const { code } = await p.exited;
    expect(p.stderr().trimEnd()).toMatch(message);
    expect(p.stderr().trimEnd().split("\n")).toHaveLength(1);
    expect(code).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows an unknown option from a config file escaped: exit 2, the message on one line", async () => {
    const dir = scratchDir("check-config");
    const config = join(dir, "kitchen.yaml");
    writeFileSync(config, 'name: x\n"to\\u202etal\\nly": 1\n');
    const p = runCli(["service", "kitchen", "--config", config]);
    const { code } = await p.exited;
    expect(p.stderr()).toBe("pizzeria: Unknown argument: to\\u202etal\\nly\nRun with --help for usage.\n");
    expect(code).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("pizzeria up", () => {
  const natsPid = (port: string) => Number(execFileSync("pgrep", ["-f", `nats-server .*-p ${port} `]).toString().trim().split("\n")[0]);

  it("prints full endpoint URLs, serves orders, and shuts down cleanly on Ctrl-C", async () => {
    const dir = scratchDir("up");
    const up = runCli(["up", "--order-port", "0", "--tracking-port", "0", "--restaurant-port", "0", "--reporting-port", "0", "--page-port", "0", "--time-scale", "1000", "--run-dir", dir]);
    await waitFor(() => up.stdout().includes("Press Ctrl-C"), "up to be ready");
    // The customer page, printed with the endpoints, forwards to the services it runs beside.
    const pageUrl = /customer page\s+(http:\/\/127\.0\.0\.1:\d+\/)\s/.exec(up.stdout())![1];
    expect(await (await fetch(pageUrl)).text()).toContain("<title>pizzeria: order a pizza</title>");
    expect((await getJson(`${pageUrl}api/restaurant/restaurants`)).body.map((r: { id: string }) => r.id)).toEqual(["main", "napoli"]);
    const orderUrl = /order API\s+(http:\/\/127\.0\.0\.1:\d+)\/orders/.exec(up.stdout())![1];
    const trackingUrl = /tracking API\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(up.stdout())![1];
    const port = /NATS\s+nats:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())![1];
    const pid = natsPid(port);
    const { body } = await postOrder(orderUrl, validOrder("dine_in"));
    await waitFor(async () => (await getJson(`${trackingUrl}/orders/${body.order_number}/status`)).body.current_status === "completed", "the order to complete");
    // A customer's cart checked out into an order, through the customer API it printed.
    const customerUrl = /customer API\s+(http:\/\/127\.0\.0\.1:\d+)\/customers/.exec(up.stdout())![1];
    const id = await registerCustomer(customerUrl);
    expect((await addItem(customerUrl, id, { item: "Margherita", size: "L", toppings: ["basil"] })).status).toBe(201);
    const checkedOut = await checkout(customerUrl, id, "up-1");
    expect(checkedOut.status).toBe(201);
    await waitFor(async () => (await getJson(`${trackingUrl}/orders/${checkedOut.body.order_number}/status`)).body.current_status === "completed", "the checkout's order to complete");
    // The printed GraphQL endpoint answers from the built service (Node's own module resolution, one graphql module).
    const graphqlUrl = /GraphQL\s+(http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(up.stdout())![1];
    const answer = await fetch(`${graphqlUrl}?query=${encodeURIComponent(`{ order(number: "${body.order_number}") { status restaurant { id } } }`)}`);
    expect(await answer.json()).toEqual({ data: { order: { status: "completed", restaurant: { id: "main" } } } });
    up.child.kill("SIGINT");
    expect((await up.exited).code).toBe(0);
    expect(up.stdout()).toMatch(/stopped\.\n$/);
    expect(isAlive(pid)).toBe(false);
    // On the way out it checked the order it saw, placed by someone else (here: this test).
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as RunReport;
    expect(report.verdict.valid).toBe(true);
    expect(report.orders).toMatchObject({ sent: 0, placedElsewhere: 2, completed: 2 });
    expect(report.verdict.collected.checkouts).toBe(1);
    expect(up.stdout()).toMatch(/placed elsewhere 2/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("leaves no orphan nats-server when it is killed with SIGKILL", async () => {
    const dir = scratchDir("up-kill");
    const up = runCli(["up", "--order-port", "0", "--tracking-port", "0", "--restaurant-port", "0", "--reporting-port", "0", "--run-dir", dir]);
    await waitFor(() => up.stdout().includes("Press Ctrl-C"), "up to be ready");
    const pid = natsPid(/NATS\s+nats:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())![1]);
    expect(isAlive(pid)).toBe(true);
    up.child.kill("SIGKILL");
    await up.exited;
    await waitFor(() => !isAlive(pid), "the nats-server to be reaped", 10_000);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("pizzeria service against a broker that wants a token", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let dir: string;
  beforeAll(async () => {
    broker = await startTestBroker({ args: ["--auth", "t0ken-for-test"] });
    dir = scratchDir("cli-token");
  });
  afterAll(async () => {
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  // The process supervisor hands the token to its children this way (serviceEnv), not as an argument `ps` would show.
  it("takes the token from PIZZERIA_NATS_TOKEN, and is refused without it", async () => {
    const args = ["service", "notification", "--nats", broker.url, "--data-dir", dir, "--connect-timeout", "2s"];
    const withToken = runCli(args, { PIZZERIA_NATS_TOKEN: "t0ken-for-test" });
    await waitFor(() => withToken.logs().find((l) => l.action === "service_started"), "the subscriber to start with the token");
    withToken.child.kill("SIGTERM");
    expect((await withToken.exited).code).toBe(0);

    const without = runCli(args);
    expect((await without.exited).code).toBe(1);
    expect(without.stderr()).toMatch(/pizzeria: cannot connect to NATS at .*: Authorization Violation/);
  });
});
