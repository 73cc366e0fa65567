import { describe, expect, it } from "vitest";
import { runScenarioText } from "./helpers/scenario-run.js";

describe("a scenario with orders through carts", () => {
  it("sends a share of its orders as customer -> cart -> checkout at two restaurants (one rejecting a fifth), and ends valid through a kill of the customer service: one order per checkout, priced by the menu, read models agreeing", async () => {
    const report = await runScenarioText(
      "carts",
      [
        "timeScale: 100",
        "heartbeatInterval: 500ms",
        "load:",
        "  - { duration: 5s, rate: 8 }",
        "orders:",
        "  items: { min: 1, max: 3 }",
        "  invalid: 0.05",
        "  viaCart: 0.5",
        "restaurants:",
        "  - { id: main, rejectRate: 0.2, kitchen: [{ name: chef_mario }, { name: chef_anna, types: [dine_in] }] }",
        "  - { id: napoli, kitchen: [{ name: chef_sofia }] }",
        "chaos:",
        "  - { at: 1s, kill: customer/1, restartAfter: 200ms }",
        "drainTimeout: 15s",
      ].join("\n") + "\n",
    );
    expect(Object.entries(report.verdict.findings).filter(([, list]) => list.length > 0)).toEqual([]);
    expect(report.verdict.valid).toBe(true);
    expect(report.verdict.checkoutsUnmatched).toBe(0);
    expect(report.verdict.checkoutsMispriced).toBe(0);
    expect(report.verdict.customerViewsWrong).toBe(0);
    // About half of ~40 orders went through carts (a few lost to the kill, unanswered); each checkout is on the CUSTOMERS stream.
    expect(report.verdict.collected.checkouts).toBeGreaterThanOrEqual(4);
  }, 90_000);
});
