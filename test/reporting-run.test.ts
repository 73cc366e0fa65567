import { describe, expect, it } from "vitest";
import { runScenarioText } from "./helpers/scenario-run.js";

// The reporting service through a run with faults: it is killed and restarted (its read model
// takes up where its file and its durable left it), a cook is killed (its orders redelivered to
// another). At the end the checker recomputes every report from the stream
// and compares; the run's report carries them.
describe("reports after a run with faults", () => {
  it("equal the stream's, and the run report carries them", async () => {
    const report = await runScenarioText("reporting-faults", `cookTime: 40ms
heartbeatInterval: 300ms
load:
  - { duration: 3s, rate: 12 }
orders:
  restaurants: { main: 2, napoli: 1 }
services:
  payment: { failureRate: 0.15, latency: 2ms }
restaurants:
  - { id: main, rejectRate: 0.2, kitchen: [{ name: chef_mario }, { name: chef_anna }] }
  - { id: napoli, kitchen: [{ name: chef_sofia }] }
chaos:
  - { at: 500ms, kill: kitchen/chef_anna, restartAfter: 400ms }
  - { at: 1200ms, kill: reporting/1, restartAfter: 600ms }
drainTimeout: 30s
`);
    expect(report.verdict.valid, JSON.stringify({ drain: report.drain, orders: report.orders, findings: report.verdict.findings }).slice(0, 3000)).toBe(true);
    expect(report.verdict.reportsWrong).toBe(0);
    expect(report.faults.map((f) => f.target)).toEqual(expect.arrayContaining(["reporting/reporting-1", "kitchen/chef_anna"]));
    const reports = report.reports!;
    expect(reports, "the run report carries the reports").toBeDefined();
    const sum = (key: "orders" | "completed" | "cancelled" | "rejected") => reports.restaurants.reduce((n, r) => n + r[key], 0);
    expect(reports.restaurants.map((r) => r.restaurant)).toEqual(["main", "napoli"]);
    expect(sum("orders")).toBe(report.orders.accepted);
    expect(sum("completed")).toBe(report.orders.completed);
    expect(sum("cancelled"), "every order ended: completed or cancelled").toBe(report.orders.accepted - report.orders.completed);
    expect(sum("rejected")).toBeGreaterThan(0);
    expect(reports.daily.reduce((n, d) => n + d.orders, 0)).toBe(report.orders.accepted);
    const cooked = reports.workers.reduce((n, w) => n + w.orders_cooked, 0);
    expect(cooked).toBe(report.orders.completed);
    for (const w of reports.workers) expect(["chef_anna", "chef_mario", "chef_sofia"]).toContain(w.worker);
    expect(reports.workers.find((w) => w.worker === "chef_sofia")?.orders_cooked).toBe(reports.restaurants[1].completed);
    for (const r of reports.restaurants) {
      expect(r.completed, r.restaurant).toBeGreaterThan(0);
      expect(r.p95_preparation_ms!, r.restaurant).toBeGreaterThanOrEqual(r.avg_preparation_ms!);
      expect(r.hours.reduce((n, h) => n + h.orders, 0), r.restaurant).toBe(r.orders);
    }
  }, 120_000);
});
