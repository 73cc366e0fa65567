import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_TYPES } from "../src/services/shared/contracts.js";
import type { InstanceInfo } from "../src/sim/system/launcher.js";
import { ProcessSupervisor, serviceArgs, serviceEnv } from "../src/sim/system/process-supervisor.js";
import { SERVICE_SEMI_SPACE_MIB, serviceNodeFlags } from "../src/sim/system/service-node-flags.js";
import { instanceFiles } from "../src/sim/system/settings.js";
import { DEFAULT_ROSTER, type Roster } from "../src/sim/scenario/roster.js";
import { isAlive } from "./helpers/cli.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";
import { getJson, postOrder, validOrder } from "./helpers/orders.js";
import { kindsByOrder, orderEvents } from "./helpers/stream.js";
import { TEST_TOPOLOGY } from "./helpers/system.js";
import { sampleValue, scrape } from "./helpers/prom-text.js";
import { waitFor } from "./helpers/wait.js";

const HEARTBEAT_MS = 300;
// Long enough that a crash sent once the order is seen cooking (a stream read away) lands before the stove is done, on a loaded machine too.
const COOK_MS = 3_000;
const roster: Roster = { ...DEFAULT_ROSTER, payment: { instances: 1, provider: { failureRate: 0, latencyMs: 1 } } };
const empty: Roster = { order: { instances: 0 }, payment: { instances: 0 }, restaurant: { instances: 0 }, customer: { instances: 0 }, reporting: { instances: 0 }, kitchen: [], tracking: { instances: 0 }, notification: { instances: 0 } };

describe("ProcessSupervisor: every service instance as its own pizzeria process", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let runDir: string;
  let sup: ProcessSupervisor;
  const events: InstanceInfo[] = [];
  const others: Array<{ sup: ProcessSupervisor; dir: string }> = [];
  const url = (service: "order" | "tracking") => sup.list().find((i) => i.service === service && i.state === "up")!.url!;

  async function allCompleted(numbers: string[]): Promise<void> {
    await waitFor(async () => {
      for (const n of numbers) if ((await getJson(`${url("tracking")}/orders/${n}/status`)).body.current_status !== "completed") return false;
      return true;
    }, `orders ${numbers.join(", ")} to complete`, 30_000);
  }

  async function expectExactlyOnce(numbers: string[]): Promise<void> {
    const byOrder = kindsByOrder(await orderEvents(broker.url));
    for (const n of numbers) expect(byOrder.get(n), n).toEqual(["placed", "paid", "accepted", "cooking", "ready", "completed"]);
  }

  async function workerStatus(name: string): Promise<string | undefined> {
    const { body } = await getJson(`${url("tracking")}/workers/status`);
    return (body as Array<{ worker_name: string; status: string }>).find((w) => w.worker_name === name)?.status;
  }

  beforeAll(async () => {
    broker = await startTestBroker();
    runDir = scratchDir("procs");
    sup = new ProcessSupervisor({ nats: { servers: broker.url }, topology: TEST_TOPOLOGY, runDir, cookTimeMs: COOK_MS, heartbeatIntervalMs: HEARTBEAT_MS });
    sup.on("instance", (info) => events.push(info));
    await sup.startRoster(roster);
  });

  afterAll(async () => {
    for (const o of others) {
      await o.sup.stopAll();
      rmSync(o.dir, { recursive: true, force: true });
    }
    await sup?.stopAll();
    await broker?.cleanup();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it("spawns each instance with the service's own flags", () => {
    const settings = { nats: { servers: ["nats://a:4222", "nats://b:4222"], token: "s3cret" }, topology: { ackWaitMs: 1_000 }, runDir: "/run", cookTimeMs: 250, heartbeatIntervalMs: 300, timeScale: 10, logLevel: "warn" };
    const kitchen = serviceArgs({ id: "kitchen/chef_anna", service: "kitchen", instance: "chef_anna", worker: { name: "chef_anna", orderTypes: ["dine_in", "takeout"], prefetch: 2 } }, settings.nats, settings);
    const { dbFile, logFile } = instanceFiles("/run", "kitchen", "chef_anna");
    expect(kitchen).toEqual([
      "service", "kitchen", "--nats", "nats://a:4222,nats://b:4222", "--db", dbFile, "--log-file", logFile, "--log-level", "warn",
      "--ack-wait", "1000ms", "--max-deliver", "20", "--replicas", "1", "--retention-age", "0ms", "--retention-bytes", "0",
      "--name", "chef_anna", "--order-types", "dine_in,takeout", "--prefetch", "2", "--heartbeat-interval", "300ms", "--time-scale", "10", "--cook-time", "250ms",
    ]);
    const payment = serviceArgs({ id: "payment/payment-1", service: "payment", instance: "payment-1", provider: { failureRate: 0.1, latencyMs: 5, seed: 7 }, concurrency: 8 }, settings.nats, settings);
    expect(payment.slice(payment.indexOf("--instance"))).toEqual(["--instance", "payment-1", "--failure-rate", "0.1", "--latency", "5ms", "--concurrency", "8", "--seed", "7"]);
    const order = serviceArgs({ id: "order/order-1", service: "order", instance: "order-1", port: 4321, maxConcurrent: 9 }, settings.nats, settings);
    expect(order.slice(order.indexOf("--instance"))).toEqual(["--instance", "order-1", "--port", "4321", "--max-concurrent", "9"]);
    // The run's retention goes to every child: one that creates the streams bounds them as in-process.
    const bounded = serviceArgs({ id: "order/order-1", service: "order", instance: "order-1", port: 4321 }, settings.nats, { ...settings, topology: { ordersMaxAgeMs: 300_000, ordersMaxBytes: 1024 } });
    expect(bounded.slice(bounded.indexOf("--retention-age"), bounded.indexOf("--retention-age") + 4)).toEqual(["--retention-age", "300000ms", "--retention-bytes", "1024"]);
    // The token is not in the arguments (`ps` shows them) but in the child's environment, with the
    // harness's own PIZZERIA_* options left out.
    expect([...kitchen, ...payment, ...order].join(" ")).not.toContain("s3cret");
    const env = serviceEnv(settings.nats, { PATH: "/bin", PIZZERIA_NAME: "chef_x", PIZZERIA_DEBUG: "1" });
    expect(env).toEqual({ PATH: "/bin", PIZZERIA_DEBUG: "1", PIZZERIA_NATS_TOKEN: "s3cret" });
    // The young generation is capped (the RSS of a soak stays flat), unless NODE_OPTIONS sizes it.
    expect(serviceNodeFlags({ PATH: "/bin" })).toEqual([`--max-semi-space-size=${SERVICE_SEMI_SPACE_MIB}`]);
    expect(serviceNodeFlags({ NODE_OPTIONS: "--enable-source-maps" })).toEqual([`--max-semi-space-size=${SERVICE_SEMI_SPACE_MIB}`]);
    expect(serviceNodeFlags({ NODE_OPTIONS: "--max-semi-space-size=32" })).toEqual([]);
    expect(serviceNodeFlags({ NODE_OPTIONS: "--min-semi-space-size=8" })).toEqual([]);
  });

  it("runs the default roster as separate processes that take orders to completed", async () => {
    const list = sup.list();
    expect(list.map((i) => i.id).sort()).toEqual(
      ["customer/customer-1", "kitchen/chef_anna", "kitchen/chef_luigi", "kitchen/chef_mario", "notification/notification-1", "notification/notification-2", "order/order-1", "payment/payment-1", "reporting/reporting-1", "restaurant/restaurant-1", "tracking/tracking-1"],
    );
    for (const i of list) {
      expect(i.state, i.id).toBe("up");
      expect(i.pid, i.id).toBeGreaterThan(0);
      expect(i.pid).not.toBe(process.pid);
      expect(isAlive(i.pid!), i.id).toBe(true);
      // Started with the young generation's cap, before the script.
      const argv = readFileSync(`/proc/${i.pid}/cmdline`, "utf8").split("\0");
      expect(argv.indexOf(`--max-semi-space-size=${SERVICE_SEMI_SPACE_MIB}`), i.id).toBe(1);
    }
    expect(new Set(list.map((i) => i.pid)).size).toBe(list.length);
    expect(url("order")).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url("order")).not.toMatch(/:0$/);
    // The customer service as its own process takes a registration on its own port.
    const registered = await fetch(`${sup.urls("customer")[0]}/customers`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Ada Lovelace", email: "ada@process.example", phone: "+44 20 7946 0000" }) });
    expect(registered.status).toBe(201);

    const numbers: string[] = [];
    for (const type of ORDER_TYPES) {
      const answer = await postOrder(url("order"), validOrder(type));
      expect(answer.status).toBe(201);
      numbers.push(answer.body.order_number as string);
    }
    await allCompleted(numbers);
    await expectExactlyOnce(numbers);
  });

  it("serves GET /metrics from every process: the HTTP services on their API port, the others on a port picked for them", async () => {
    const targets = sup.metricsTargets();
    expect(targets.map((t) => `${t.service}/${t.instance}`).sort()).toEqual(sup.list().map((i) => i.id).sort());
    for (const t of targets) {
      const families = await scrape(t.url);
      const served = families.get("process_cpu_user_seconds_total")!.samples[0];
      expect(served.labels, t.url).toMatchObject({ service: t.service, instance: t.instance });
      const info = sup.list().find((i) => i.id === `${t.service}/${t.instance}`)!;
      if (info.url) expect(t.url).toBe(`${info.url}/metrics`);
      else expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/metrics$/);
    }
    // The orders of the test before went through: counted in the payment process.
    const payment = await scrape(targets.find((t) => t.service === "payment")!.url);
    expect(sampleValue(payment, "consumer_messages_handled_total", { durable: "payment" })).toBeGreaterThanOrEqual(ORDER_TYPES.length);
  });

  it("crashes a kitchen worker mid-cook with SIGKILL and restarts it: the order completes exactly once", async () => {
    const { body } = await postOrder(url("order"), validOrder("delivery"));
    const number = body.order_number as string;
    const cook = await waitFor(async () => (await orderEvents(broker.url)).find((e) => e.kind === "cooking" && e.order_number === number), "the order to be on the stove");
    const id = `kitchen/${cook.by}`;
    const pid = sup.get(id)!.pid!;
    await sup.crashInstance(id);
    expect(kindsByOrder(await orderEvents(broker.url)).get(number)).toEqual(["placed", "paid", "accepted", "cooking"]); // really mid-cook
    expect(sup.get(id)).toMatchObject({ state: "crashed" });
    expect(isAlive(pid)).toBe(false);

    await sup.restartInstance(id);
    expect(sup.get(id)).toMatchObject({ state: "up", restarts: 1 });
    expect(sup.get(id)!.pid).not.toBe(pid);
    await allCompleted([number]);
    await expectExactlyOnce([number]);
  });

  it("freezes a worker with pause (tracking sees it go offline) and thaws it with resume (it cooks again)", async () => {
    const id = "kitchen/chef_anna";
    const cookedBefore = (await orderEvents(broker.url)).filter((e) => e.kind === "ready" && e.by === "chef_anna").length;
    sup.pauseInstance(id);
    expect(sup.get(id)!.state).toBe("paused");
    // Its heartbeats stop: after two intervals tracking reports it offline, though its process lives.
    await waitFor(async () => (await workerStatus("chef_anna")) === "offline", "chef_anna to look offline while frozen", 10_000);
    expect(isAlive(sup.get(id)!.pid!)).toBe(true);

    sup.resumeInstance(id);
    expect(sup.get(id)!.state).toBe("up");
    await waitFor(async () => (await workerStatus("chef_anna")) === "online", "chef_anna back online", 10_000);
    // Four dine-in orders at once: chef_mario holds one at a time, so chef_anna must cook too.
    const answers = await Promise.all([1, 2, 3, 4].map(() => postOrder(url("order"), validOrder("dine_in"))));
    const numbers = answers.map((a) => a.body.order_number as string);
    await allCompleted(numbers);
    await expectExactlyOnce(numbers);
    const cookedAfter = (await orderEvents(broker.url)).filter((e) => e.kind === "ready" && e.by === "chef_anna").length;
    expect(cookedAfter).toBeGreaterThan(cookedBefore);
  });

  it("reports an instance killed from outside as crashed, with the signal in lastError", async () => {
    const id = "notification/notification-2";
    const pid = sup.get(id)!.pid!;
    const seen = events.length;
    process.kill(pid, "SIGKILL");
    const crashed = await waitFor(() => events.slice(seen).find((e) => e.id === id && e.state === "crashed"), "a crashed event for notification-2", 10_000);
    expect(crashed.lastError).toMatch(/killed by SIGKILL/);
    expect(crashed.pid).toBeUndefined();
    expect(sup.get(id)!.state).toBe("crashed");

    await sup.restartInstance(id);
    expect(sup.get(id)!.state).toBe("up");
    expect(isAlive(sup.get(id)!.pid!)).toBe(true);
  });

  it("refuses a second worker of an online name with the service's 'already online' message", async () => {
    const dir = scratchDir("procs-dup");
    const twin = new ProcessSupervisor({ nats: { servers: broker.url }, topology: TEST_TOPOLOGY, runDir: dir, heartbeatIntervalMs: HEARTBEAT_MS });
    others.push({ sup: twin, dir });
    await expect(twin.startRoster({ ...empty, kitchen: [{ name: "chef_luigi" }] })).rejects.toThrow(/kitchen worker "chef_luigi" is already online/);
    expect(twin.get("kitchen/chef_luigi")).toMatchObject({ state: "failed", lastError: expect.stringMatching(/exited during start \(exit code 2\)/) });
    // The original is untouched.
    expect(sup.get("kitchen/chef_luigi")!.state).toBe("up");
  });

  it("stopAll stops every child process gracefully and leaves none alive", async () => {
    const pids = sup.list().map((i) => i.pid!);
    expect(pids.every(isAlive)).toBe(true);
    const seen = events.length;
    await sup.stopAll();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    for (const i of sup.list()) expect(i, i.id).toMatchObject({ state: "stopped", pid: undefined });
    // A graceful stop is no crash.
    expect(events.slice(seen).filter((e) => e.state === "crashed")).toEqual([]);
  });
});
