import { rmSync } from "node:fs";
import http from "node:http";
import { describe, expect, it } from "vitest";
import { CustomerPage } from "../src/sim/outputs/customer-page.js";
import { ScenarioRun } from "../src/sim/run.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import { addItem, checkout, registerCustomer } from "./helpers/customers.js";
import { scratchDir } from "./helpers/nats.js";
import { call } from "./helpers/restaurants.js";
import { waitFor } from "./helpers/wait.js";

// The page's server in a scenario run, as `run --web` starts it (the browser drives it in
// customer-page.test.ts): here its forwarder is called as the page calls it, and the check is the run's.
describe("the customer page in a scenario run (run --web)", () => {
  it("takes the page's orders in beside the load's, leaves a manual restaurant's to the board, and the verdict stays valid", async () => {
    const dir = scratchDir("customer-page-run");
    const scenario = parseScenario(
      `name: page-run
seed: 7
timeScale: 100
heartbeatInterval: 500ms
load:
  - { duration: 3s, rate: 4 }
orders:
  restaurants: { main: 1, napoli: 1 }
restaurants:
  - { id: main, kitchen: [{ name: chef_mario }] }
  - { id: napoli, acceptance: manual, kitchen: [{ name: chef_sofia }] }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 40s
`,
      "page-run.yaml",
    );
    const pageServer = new CustomerPage();
    const run = new ScenarioRun({ scenario, runDir: dir, adopt: true, outputs: [pageServer] });
    const url = await pageServer.listen();
    let started = false;
    run.once("start", () => (started = true));
    const done = run.run();
    try {
      await waitFor(() => started, "the run to start");
      const api = (path: string) => `${url}api/${path}`;
      const customer = await registerCustomer(api("customer"));
      const order = async (restaurant: string, item: string, key: string) => {
        expect((await addItem(api("customer"), customer, { restaurant_id: restaurant, item, size: "S", quantity: 1 })).status).toBe(201);
        const placed = await checkout(api("customer"), customer, key);
        expect(placed.status).toBe(201);
        return placed.body.order_number as string;
      };
      await order("main", "Funghi", "page-1");
      const manual = await order("napoli", "Marinara", "page-2");
      // The harness's staff answer the load's napoli orders; this one waits for the board.
      await waitFor(async () => (await call(api(`restaurant/restaurants/napoli/orders?state=waiting`))).body.some((o: { order_number: string }) => o.order_number === manual), "the page's order to wait at napoli", 60_000);
      expect((await call(api(`restaurant/restaurants/napoli/orders/${manual}/accept`), "POST")).status).toBe(200);
      const report = await done;
      // Drained (on a loaded machine it may take long; it ends as soon as every order has), then judged.
      expect(report.drain.drained).toBe(true);
      expect(report.orders.placedElsewhere).toBe(2);
      expect(report.orders.sent).toBe(report.orders.planned);
      expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted + 2); // every order ended, the page's too
      expect(report.verdict.collected.checkouts).toBe(2);
      expect(report.verdict.valid, JSON.stringify(report.verdict.findings)).toBe(true);
    } finally {
      run.finish();
      await done.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("the customer page's server on its own", () => {
  it("answers 503 until the run has started, 404 for what it does not forward, 403 to another host name, 413 to a body too large", async () => {
    const page = new CustomerPage();
    const url = await page.listen();
    try {
      const early = await fetch(`${url}api/restaurant/restaurants`);
      expect(early.status).toBe(503);
      expect(((await early.json()) as { error: string }).error).toBe("starting");
      const other = await fetch(`${url}api/payment/anything`);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { message: string }).message).toContain("/api/<restaurant|customer|tracking>/");
      const rebound = await new Promise<number>((resolve, reject) => {
        const u = new URL(url);
        http.get({ host: u.hostname, port: u.port, path: "/", headers: { host: `evil.example:${u.port}` } }, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on("error", reject);
      });
      expect(rebound).toBe(403);
      // Refused on its stated length, before a byte of it is read.
      const big = await new Promise<number>((resolve, reject) => {
        const u = new URL(url);
        const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: "/api/customer/customers", headers: { "content-type": "application/json", "content-length": String(300 * 1024) } }, (r) => (r.resume(), resolve(r.statusCode ?? 0)));
        req.on("error", reject);
        req.flushHeaders();
      });
      expect(big).toBe(413);
      const html = await fetch(url);
      expect(html.status).toBe(200);
      expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    } finally {
      await page.stop();
    }
  });
});
