import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import type { JourneyFigures, JourneyKindFigures } from "../../src/sim/telemetry/journey-types.js";
import { Journeys } from "../../src/tui/components/Journeys.js";
import { Dashboard } from "../../src/tui/dashboard.js";
import { computeLayout } from "../../src/tui/layout.js";
import { formatTickLine } from "../../src/tui/plain-reporter.js";
import { FakeRun, latency, recordedRun, tick } from "./fixtures.js";
import { flush, plainLines } from "./frame.js";

const step = (p95: number, count = 10, errors = 0) => ({ count, errors, latency: latency(p95 / 2, p95, p95, p95, count) });
const kind = (name: string, started: number, completed: number, abandoned: number, failed: number, steps: JourneyKindFigures["steps"]): JourneyKindFigures => ({
  name,
  started,
  completed,
  abandoned,
  failed,
  active: started - completed - abandoned - failed,
  duration: latency(2_000, 3_000, 3_500, 4_000, completed),
  checkoutToCompleted: latency(900, 1_500, 1_800, 2_000, completed),
  failedAt: failed ? { checkout: failed } : {},
  steps,
});
const FIGURES: JourneyFigures = {
  kinds: [
    kind("hungry", 30, 25, 0, 2, { browse: step(40), signup: step(12), add: step(30), think: step(1_000), checkout: step(120), track: step(1_500) }),
    kind("window-shopper", 12, 0, 11, 0, { browse: step(41), signup: step(11), add: step(25), abandon: step(0) }),
  ],
  steps: {},
  startedPerSecond: 4,
  endedPerSecond: 3,
  trackedFinished: { completed: 25, cancelled: 0 },
  trackReconnected: 0,
};

describe("the journeys panel", () => {
  it("has a row per journey kind: started, done, abandoned, failed, walking now, and its steps' p95 (think left out)", () => {
    const app = render(<Journeys journeys={FIGURES} rows={5} width={120} />);
    const lines = plainLines(app.lastFrame()).map((l) => l.trimEnd());
    expect(lines[0]).toMatch(/^JOURNEYS 4\.0\/s started, 3\.0\/s ended +start +done +aband +fail +now +p95$/);
    expect(lines[1]).toMatch(/^hungry +30 +25 +0 +2 +3 +browse 40ms +signup 12ms +add 30ms +checkout 120ms +track 1\.50s$/);
    expect(lines[2]).toMatch(/^window-shopper +12 +0 +11 +0 +1 +browse 41ms +signup 11ms +add 25ms$/);
    expect(lines).toHaveLength(3);
    app.unmount();
  });

  it("takes rows in the layout when there are journeys, and gives them up before the services and queues", () => {
    const base = { columns: 120, workers: 3, queues: 5, services: 6 };
    expect(computeLayout({ ...base, rows: 60 }).journeyRows).toBe(0);
    expect(computeLayout({ ...base, rows: 60, journeys: 2 }).journeyRows).toBe(2);
    const tight = computeLayout({ ...base, rows: 14, journeys: 2 });
    expect(tight.journeyRows).toBe(0);
    expect(tight.showKitchen).toBe(true);
  });

  it("shows in the dashboard when the ticks carry journeys", async () => {
    const run = new FakeRun();
    const { events } = recordedRun();
    const app = render(<Dashboard source={run} size={{ columns: 120, rows: 50 }} exitOnDone={false} />);
    run.replay(events, 0, 1); // start
    run.emit("tick", { ...tick(5), journeys: FIGURES });
    await flush();
    const lines = plainLines(app.lastFrame());
    expect(lines.some((l) => /JOURNEYS 4\.0\/s started, 3\.0\/s ended/.test(l))).toBe(true);
    expect(lines.some((l) => /^hungry +30 +25 +0 +2 +3 +browse 40ms/.test(l))).toBe(true);
    app.unmount();
  });

  it("sums the journeys up on the plain progress line (no TTY)", () => {
    expect(formatTickLine({ ...tick(5), journeys: FIGURES })).toMatch(/ {2}journeys 42 started, 4 walking, 25 done, 11 abandoned, 2 failed$/);
    expect(formatTickLine(tick(5))).not.toContain("journeys");
  });
});
