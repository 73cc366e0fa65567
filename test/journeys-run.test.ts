import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { launchBrowser, watchedPage } from "./helpers/browser.js";
import { arrivalCount } from "../src/sim/load/arrivals.js";
import { OrderGenerator } from "../src/sim/load/order-generator.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import { formatSummary } from "../src/tui/summary.js";
import { runScenarioText } from "./helpers/scenario-run.js";

const BODY = `timeScale: 100
heartbeatInterval: 500ms
load:
  - { duration: 5s, rate: 3 }
orders:
  restaurants: { main: 1, napoli: 1 }
journeys:
  - name: hungry
    weight: 0.4
    steps: [browse, signup, { add: { items: { min: 1, max: 3 } } }, { think: { min: 100ms, max: 400ms } }, checkout, { track: subscribe }]
  - name: regular
    weight: 0.3
    steps: [browse, login, { add: { items: 3 } }, remove, { checkout: { order_type: { takeout: 0.5, delivery: 0.5 } } }, { track: poll }]
  - name: window-shopper
    weight: 0.3
    steps: [browse, signup, { add: { items: 2 } }, { think: 200ms }, abandon]
services:
  payment: { failureRate: 0.1, latency: 5ms }
restaurants:
  - { id: main, kitchen: [{ name: chef_mario }, { name: chef_anna }] }
  - { id: napoli, kitchen: [{ name: chef_sofia }] }
drainTimeout: 15s
`;

describe("a scenario with customers' journeys, end to end", () => {
  it("walks each journey against the real services and ends valid: one order per checkout, none per abandoned cart, every tracked order seen to finish", async () => {
    const scenario = parseScenario(`name: journeys\nseed: 5\n${BODY}`, "journeys.yaml");
    const planned = new OrderGenerator(scenario).take(arrivalCount(scenario)).map((p) => p.journey!.kind);
    const plannedOf = (kind: string) => planned.filter((k) => k === kind).length;
    expect(new Set(planned)).toEqual(new Set(["hungry", "regular", "window-shopper"]));

    const report = await runScenarioText("journeys", BODY, { keepDir: true });
    try {
    expect(Object.entries(report.verdict.findings).filter(([, list]) => list.length > 0)).toEqual([]);
    expect(report.verdict.valid).toBe(true);
    expect(report.verdict.journeyOrdersWrong).toBe(0);
    expect(report.verdict.journeysTrackedWrong).toBe(0);

    const kinds = Object.fromEntries(report.journeys!.kinds.map((k) => [k.name, k]));
    expect(Object.keys(kinds)).toEqual(["hungry", "regular", "window-shopper"]);
    // The journeys the seed drew, each walked to its end: no failures on a run without faults.
    for (const name of ["hungry", "regular", "window-shopper"]) {
      expect(kinds[name], name).toMatchObject({ started: plannedOf(name), failed: 0, active: 0 });
    }
    expect(kinds.hungry.completed).toBe(plannedOf("hungry"));
    expect(kinds.regular.completed).toBe(plannedOf("regular"));
    expect(kinds["window-shopper"]).toMatchObject({ completed: 0, abandoned: plannedOf("window-shopper") });
    // Every checkout made its order (the abandoned carts none), and every tracked order was seen to finish.
    const checkouts = plannedOf("hungry") + plannedOf("regular");
    expect(report.orders.accepted).toBe(checkouts);
    expect(report.verdict.collected.checkouts).toBe(checkouts);
    expect(report.orders.completed + report.orders.cancelled).toBe(checkouts);
    expect(report.journeys!.trackedFinished).toEqual({ completed: report.orders.completed, cancelled: report.orders.cancelled });
    expect(kinds.hungry.checkoutToCompleted.count + kinds.regular.checkoutToCompleted.count).toBe(report.orders.completed);
    // Each step measured under its name, with no errors.
    expect(report.journeys!.steps).toMatchObject({
      browse: { count: planned.length, errors: 0 },
      signup: { count: plannedOf("hungry") + plannedOf("window-shopper"), errors: 0 },
      login: { count: plannedOf("regular"), errors: 0 },
      remove: { count: plannedOf("regular"), errors: 0 },
      checkout: { count: checkouts, errors: 0 },
      track: { count: checkouts, errors: 0 },
      abandon: { count: plannedOf("window-shopper"), errors: 0 },
    });
    const summary = formatSummary(report, { color: false });
    expect(summary).toMatch(new RegExp(`journeys {4}hungry: started ${plannedOf("hungry")} {2}completed ${plannedOf("hungry")}`));
    expect(summary).toMatch(/tracked orders seen to finish: \d+ completed, \d+ cancelled; orders wrong 0, tracking wrong 0/);

    // report.html draws them too: a row per journey kind with its counts.
    const browser = await launchBrowser();
    try {
      const { page, problems } = await watchedPage(browser, (url) => url.startsWith("file:"));
      await page.goto(pathToFileURL(join(report.dir, "report.html")).href);
      await page.waitForFunction(() => (globalThis as any).__rendered >= 1);
      const rows = await page.locator('[data-panel="journeys"] table.journeys tbody tr').allTextContents();
      expect(rows.map((r) => r.split(/(?<=[a-z-])(?=\d)/)[0])).toEqual(["hungry", "regular", "window-shopper"]);
      expect(rows[2]).toContain(`window-shopper${plannedOf("window-shopper")}0${plannedOf("window-shopper")}0`);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
    } finally {
      rmSync(report.dir, { recursive: true, force: true });
    }
  }, 90_000);
});
