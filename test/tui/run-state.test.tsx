import { Text } from "ink";
import { render } from "ink-testing-library";
import { describe, expect, test } from "vitest";
import { useRunState } from "../../src/tui/hooks/use-run-state.js";
import { computeLayout, windowStart } from "../../src/tui/layout.js";
import { createRunStore } from "../../src/tui/run-store.js";
import { addSecond, HISTORY_SECONDS, initialRunState, reduceRun, type RunViewState } from "../../src/tui/run-state.js";
import { faultMarks, progressBar, seriesWindow, sparkline } from "../../src/tui/sparkline.js";
import { levelAgainstMax, levelAgainstMin, latencyLevel } from "../../src/tui/thresholds.js";
import { FakeRun, KILL_FAULT, KILL_FAULT_ENDED, latency, recordedRun, START, tick } from "./fixtures.js";
import { flush } from "./frame.js";

describe("run state reducer", () => {
  test("keeps a bounded, sorted per-second history, replacing a repeated second", () => {
    let state = reduceRun(initialRunState, { type: "start", start: START });
    for (let t = 1; t <= HISTORY_SECONDS + 30; t++) state = reduceRun(state, { type: "tick", tick: tick(t) });
    expect(state.history).toHaveLength(HISTORY_SECONDS);
    expect(state.history[0].t).toBe(30);
    expect(state.history[state.history.length - 1].t).toBe(HISTORY_SECONDS + 29);
    // Two ticks in one second carry the same lastSecond: replaced, not appended.
    const again = reduceRun(state, { type: "tick", tick: tick(HISTORY_SECONDS + 30) });
    expect(again.history).toHaveLength(HISTORY_SECONDS);
    const history = addSecond([{ ...tick(2).lastSecond }, { ...tick(5).lastSecond }], { ...tick(4).lastSecond });
    expect(history.map((s) => s.t)).toEqual([1, 3, 4]);
  });

  test("keeps one record per fault id and logs start, end and failure once each", () => {
    let state: RunViewState = reduceRun(initialRunState, { type: "start", start: START });
    state = reduceRun(state, { type: "fault", fault: KILL_FAULT });
    state = reduceRun(state, { type: "fault", fault: KILL_FAULT });
    state = reduceRun(state, { type: "fault", fault: KILL_FAULT_ENDED });
    state = reduceRun(state, { type: "fault", fault: KILL_FAULT_ENDED });
    expect(state.faults).toEqual([KILL_FAULT_ENDED]);
    expect(state.log.filter((l) => l.kind === "fault").map((l) => [l.level, l.text])).toEqual([
      ["warn", "fault kill kitchen/chef_mario [scenario]: SIGKILL, restart after 4s (3 in flight)"],
      ["info", "fault kill kitchen/chef_mario over after 4.00s"],
    ]);
    state = reduceRun(state, { type: "fault", fault: { ...KILL_FAULT, id: "f2", error: "no such instance" } });
    expect(state.log[state.log.length - 1]).toMatchObject({ level: "error", text: "fault kill kitchen/chef_mario failed: no such instance" });
  });

  test("the ticker takes the latest notification at each tick, not at every notification", () => {
    let state = reduceRun(initialRunState, { type: "start", start: START });
    state = reduceRun(state, { type: "notification", sample: { atMs: 100, line: "first" } });
    expect(state.ticker).toBeNull();
    state = reduceRun(state, { type: "tick", tick: tick(1) });
    expect(state.ticker?.line).toBe("first");
    const before = state;
    state = reduceRun(state, { type: "notification", sample: { atMs: 1_100, line: "second" } });
    state = reduceRun(state, { type: "notification", sample: { atMs: 1_200, line: "third" } });
    expect(state.ticker).toBe(before.ticker);
    state = reduceRun(state, { type: "tick", tick: tick(2) });
    expect(state.ticker?.line).toBe("third");
    // A tick without new notifications keeps the last one.
    state = reduceRun(state, { type: "tick", tick: tick(3) });
    expect(state.ticker?.line).toBe("third");
  });

  test("tracks the queue trend between ticks", () => {
    let state = reduceRun(initialRunState, { type: "tick", tick: tick(10) });
    expect(state.queueTrend["kitchen_dine_in"]).toBe(0);
    state = reduceRun(state, { type: "tick", tick: tick(11) });
    expect(state.queueTrend["kitchen_dine_in"]).toBe(3);
    state = reduceRun(state, { type: "tick", tick: tick(14) });
    expect(state.queueTrend["kitchen_dine_in"]).toBe(-6);
  });

  test("a selector of the report re-renders its component only at done, not on every tick", async () => {
    const run = new FakeRun();
    const store = createRunStore(run);
    let renders = 0;
    const selectReport = (s: RunViewState) => s.report;
    function ReportOnly() {
      renders++;
      const report = useRunState(store, selectReport);
      return <Text>{report ? `report ${report.scenario}` : "no report"}</Text>;
    }
    const app = render(<ReportOnly />);
    const { events } = recordedRun();
    run.replay(events, 0, events.length - 1);
    await flush();
    expect(renders).toBe(1);
    expect(store.getState().tick?.elapsedMs).toBe(20_000);
    run.replay(events, events.length - 1);
    await flush();
    expect(renders).toBe(2);
    expect(app.lastFrame()).toBe("report kitchen-crash");
    store.dispose();
    expect(run.listenerCount("done")).toBe(0);
  });
});

describe("sparkline, fault marks, progress bar", () => {
  test("sparkline scales to the peak; missing seconds are blank", () => {
    expect(sparkline([0, 1, 2, 4, 8, null, 8])).toBe("▁▁▂▄█ █");
    expect(sparkline([3, 3], 0)).toBe("▁▁");
    expect(sparkline([1, 2], 16)).toBe("▁▁");
  });

  test("series window aligns samples to seconds", () => {
    const history = [2, 3, 5].map((t) => ({ ...tick(1).lastSecond, t, completed: t * 10 }));
    expect(seriesWindow(history, "completed", 5, 5)).toEqual([null, 20, 30, null, 50]);
  });

  test("fault windows under the sparkline; open faults run to now; failed ones are left out", () => {
    expect(faultMarks([KILL_FAULT_ENDED], 15, 10, 15_000)).toBe("    K───  ");
    expect(faultMarks([KILL_FAULT], 15, 10, 12_500)).toBe("    K──   ");
    expect(faultMarks([{ ...KILL_FAULT, error: "no" }], 15, 10, 15_000)).toBe("          ");
    expect(faultMarks([{ ...KILL_FAULT_ENDED, kind: "latency" }], 11, 4, 15_000)).toBe("  N─");
  });

  test("progress bar marks phase boundaries", () => {
    expect(progressBar(0, 30_000, [0, 10_000], 30)).toBe(`${"░".repeat(10)}│${"░".repeat(19)}`);
    expect(progressBar(15_000, 30_000, [0, 10_000], 30)).toBe(`${"█".repeat(10)}┃${"█".repeat(4)}${"░".repeat(15)}`);
    expect(progressBar(45_000, 30_000, [], 5)).toBe("█████");
  });
});

describe("thresholds", () => {
  test("green within, yellow from 80% of the limit, red over; nothing without a limit", () => {
    expect(levelAgainstMax(100, 250)).toBe("ok");
    expect(levelAgainstMax(200, 250)).toBe("warn");
    expect(levelAgainstMax(250, 250)).toBe("warn");
    expect(levelAgainstMax(251, 250)).toBe("bad");
    expect(levelAgainstMax(5, undefined)).toBeNull();
    expect(levelAgainstMin(10, 12)).toBe("bad");
    expect(levelAgainstMin(13, 12)).toBe("warn");
    expect(levelAgainstMin(20, 12)).toBe("ok");
    const t = START.scenario.thresholds;
    expect(latencyLevel(latency(40, 210, 320, 410), t, "accept", "p99")).toBe("bad");
    expect(latencyLevel(latency(40, 210, 320, 410), t, "accept", "max")).toBeNull();
    expect(latencyLevel(latency(40, 210, 320, 410, 0), t, "accept", "p99")).toBeNull();
    expect(latencyLevel(latency(1_000, 2_500, 2_900, 3_100), t, "endToEnd", "p95")).toBe("warn");
  });
});

describe("layout", () => {
  test("100x30 keeps every panel and fits in 29 rows and 99 columns", () => {
    const l = computeLayout({ columns: 100, rows: 30, workers: 3, queues: 7, services: 5 });
    expect(l.wide).toBe(true);
    // The last column stays free: a line ending there leaves the cursor waiting to wrap.
    expect(l.width).toBe(99);
    expect(l.leftWidth + 1 + l.rightWidth).toBe(99);
    expect(l.sparkWidth).toBe(59);
    expect(l.height).toBeLessThanOrEqual(29);
    expect([l.showKitchen, l.showQueues, l.showServices, l.showLog, l.showLatency, l.footer]).toEqual([true, true, true, true, true, true]);
    expect([l.workerRows, l.queueRows, l.serviceRows]).toEqual([3, 7, 5]);
    // Header (2) + middle + one blank line + the log + notifications + footer: no blank line under the header.
    expect(l.height).toBe(2 + l.middleHeight + 1 + 1 + l.logRows + 1 + 1);
  });

  test("smaller terminals drop panels in order and stay under their height", () => {
    const small = computeLayout({ columns: 60, rows: 20, workers: 3, queues: 7, services: 5 });
    expect(small.wide).toBe(false);
    expect(small.height).toBeLessThanOrEqual(19);
    expect(small.showServices).toBe(false);
    expect(small.showKitchen).toBe(true);
    const tiny = computeLayout({ columns: 30, rows: 8, workers: 3, queues: 7, services: 5 });
    expect(tiny.height).toBeLessThanOrEqual(7);
    expect(tiny.showKitchen).toBe(false);
    const many = computeLayout({ columns: 120, rows: 30, workers: 20, queues: 7, services: 5 });
    expect(many.height).toBeLessThanOrEqual(29);
    expect(many.workerRows).toBeLessThan(20);
    expect(many.showKitchen).toBe(true);
  });

  test("a capped list scrolls to keep the selection visible", () => {
    expect(windowStart(10, 4, -1)).toBe(0);
    expect(windowStart(10, 4, 2)).toBe(0);
    expect(windowStart(10, 4, 6)).toBe(3);
    expect(windowStart(10, 4, 9)).toBe(6);
    expect(windowStart(3, 4, 2)).toBe(0);
  });
});
