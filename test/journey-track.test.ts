import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { followByPolling, followBySubscription } from "../src/sim/load/journey-track.js";
import { postOrder, validOrder } from "./helpers/orders.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

const LIFECYCLE = ["received", "paid", "accepted", "cooking", "ready", "completed"];

/** Where `segment` starts in the lifecycle when it is a run of it with nothing left out; -1 otherwise. */
function runStart(segment: readonly string[]): number {
  const start = LIFECYCLE.indexOf(segment[0]);
  return start >= 0 && segment.every((s, i) => LIFECYCLE[start + i] === s) ? start : -1;
}

// A journey's track step against the real tracking service: its subscription followed across a
// restart of tracking, and its polling.
describe("a journey's track step", () => {
  let sys: TestSystem;
  const agent = new Agent({ keepAlive: true });
  const tracking = () => sys.launcher.urls("tracking");

  beforeAll(async () => {
    // Cooking takes long enough for tracking to be restarted while the order cooks.
    sys = await startTestSystem({ cookTimeMs: 2_500 });
  });
  afterAll(async () => {
    agent.destroy();
    await sys?.close();
  });

  async function place(): Promise<string> {
    const placed = await postOrder(sys.orderUrl, validOrder("takeout"));
    expect(placed.status).toBe(201);
    return placed.body.order_number as string;
  }

  it("follows the order's subscription to completed, opening it again when tracking restarts, each subscription a run of the statuses with none left out", async () => {
    const n = await place();
    const seen: string[][] = [];
    const following = followBySubscription(n, tracking, seen, Date.now() + 60_000);
    await waitFor(() => seen[0]?.includes("cooking") === true, "the subscription saw the order cooking");
    await sys.launcher.stopInstance("tracking/tracking-1");
    await sys.launcher.restartInstance("tracking/tracking-1");
    expect(await following).toBe("completed");
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.at(-1)!.at(-1)).toBe("completed");
    const starts = seen.map(runStart);
    expect(starts.every((s) => s >= 0), JSON.stringify(seen)).toBe(true);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(seen[0].slice(0, seen[0].indexOf("cooking") + 1)).toEqual(LIFECYCLE.slice(starts[0], LIFECYCLE.indexOf("cooking") + 1));
  }, 60_000);

  it("polls the order's status until it is completed, seeing its statuses in order", async () => {
    const n = await place();
    const seen: string[][] = [];
    expect(await followByPolling(agent, n, tracking, seen, Date.now() + 60_000, 5_000)).toBe("completed");
    expect(seen).toHaveLength(1);
    const positions = seen[0].map((s) => LIFECYCLE.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(seen[0]).toContain("cooking");
    expect(seen[0].at(-1)).toBe("completed");
  }, 60_000);

  it("gives up at its deadline with the last status it saw (an unknown order: nothing)", async () => {
    const seen: string[][] = [];
    expect(await followBySubscription("ORD_20000101_999", tracking, seen, Date.now() + 300)).toBeNull();
    expect(await followByPolling(agent, "ORD_20000101_999", tracking, seen, Date.now() + 300, 1_000)).toBeNull();
  });
});
