import { describe, expect, it } from "vitest";
import { runScenarioText } from "./helpers/scenario-run.js";

// Two restaurants end to end through the harness: main rejects a share of its orders (refunded),
// napoli is manual (the harness's staff accept or reject each over the restaurant API). The
// restaurant service is killed mid-run: what it decided is in its outbox, what it had not is redelivered.
describe("a scenario with two restaurants", () => {
  it("ends valid: every order completed or refunded and cancelled, each cooked by its own restaurant's kitchen", async () => {
    const report = await runScenarioText("two-restaurants", `cookTime: 30ms
heartbeatInterval: 300ms
load:
  - { duration: 3s, rate: 10 }
orders:
  restaurants: { main: 1, napoli: 1 }
services:
  payment: { failureRate: 0, latency: 2ms }
restaurants:
  - { id: main, rejectRate: 0.25, kitchen: [{ name: chef_mario }, { name: chef_anna, types: [dine_in] }] }
  - { id: napoli, acceptance: manual, rejectRate: 0.2, kitchen: [{ name: chef_sofia }] }
chaos:
  - { at: 1500ms, kill: restaurant/1, restartAfter: 700ms }
drainTimeout: 30s
`);
    expect(report.verdict.valid, JSON.stringify(report.verdict.findings).slice(0, 2000)).toBe(true);
    expect(report.verdict).toMatchObject({ cookedElsewhere: 0, refundsWrong: 0, refundUnmatched: 0, chargedTwice: 0, payloadsWrong: 0 });
    const by = Object.fromEntries((report.restaurants ?? []).map((r) => [r.id, r]));
    expect(Object.keys(by).sort()).toEqual(["main", "napoli"]);
    for (const id of ["main", "napoli"]) {
      const r = by[id];
      expect(r.placed, id).toBeGreaterThan(5);
      expect(r.rejected, `${id} rejects some`).toBeGreaterThan(0);
      expect(r.refunded, `${id} refunds every rejection`).toBe(r.rejected);
      expect(r.accepted + r.rejected, `${id} answers every order`).toBe(r.placed);
      expect(r.completed, `${id} completes every accepted order`).toBe(r.accepted);
      expect(r.cancelled, `${id} cancels every rejected order`).toBe(r.rejected);
    }
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
    expect(report.faults).toMatchObject([{ kind: "kill", target: "restaurant/restaurant-1" }]);
    expect(report.workers.find((w) => w.name === "chef_sofia")).toMatchObject({ restaurant: "napoli" });
    expect(report.workers.find((w) => w.name === "chef_sofia")!.ordersCooked).toBe(by.napoli.completed);
  });
});
