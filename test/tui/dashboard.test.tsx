import chalk from "chalk";
import { render } from "ink-testing-library";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { Dashboard } from "../../src/tui/dashboard.js";
import { FakeRun, ORDER, recordedRun, tick } from "./fixtures.js";
import { ANSI, flush, frameWidth, lineWith, plainLines, stylesAt } from "./frame.js";

const ARROW_DOWN = "\u001B[B";
const ARROW_UP = "\u001B[A";

let savedLevel: typeof chalk.level;
const savedNoColor = process.env["NO_COLOR"];
beforeAll(() => {
  savedLevel = chalk.level;
  delete process.env["NO_COLOR"];
});
afterEach(() => {
  chalk.level = savedLevel;
  if (savedNoColor === undefined) delete process.env["NO_COLOR"];
  else process.env["NO_COLOR"] = savedNoColor;
});
afterAll(() => {
  chalk.level = savedLevel;
});

/** Mount a dashboard over a fake run and replay the recorded events up to (and with) the tick at `t` seconds. */
function mount(options: { color?: boolean; columns?: number; rows?: number; exitOnDone?: boolean; onQuit?: () => void } = {}) {
  const run = new FakeRun();
  const { events, tickIndex } = recordedRun();
  const app = render(
    <Dashboard
      source={run}
      color={options.color ?? false}
      size={{ columns: options.columns, rows: options.rows ?? 30 }}
      exitOnDone={options.exitOnDone ?? false}
      onQuit={options.onQuit}
    />,
  );
  let next = 0;
  const until = async (t: number | "end") => {
    const to = t === "end" ? events.length : tickIndex.get(t)! + 1;
    run.replay(events, next, to);
    next = to;
    await flush();
    return app.lastFrame() ?? "";
  };
  const press = async (key: string) => {
    app.stdin.write(key);
    await flush();
    await flush();
    return app.lastFrame() ?? "";
  };
  return { run, app, until, press };
}

describe("live frames", () => {
  test("chef_anna goes idle -> cooking ORD_... -> idle, chef_mario killed -> restarting -> back", async () => {
    const { until, app } = mount();
    const at3 = await until(3);
    expect(lineWith(at3, "chef_anna")).toMatch(/chef_anna\s+dine\s+idle/);

    const at6 = await until(6);
    expect(lineWith(at6, "chef_anna")).toMatch(new RegExp(`chef_anna\\s+dine\\s+cooking ${ORDER}\\s+1\\.40s\\s+3\\b`));

    const at9 = await until(9);
    expect(lineWith(at9, "chef_anna")).toMatch(/chef_anna\s+dine\s+idle\s+4\b/);
    expect(lineWith(at9, "chef_anna")).not.toContain(ORDER);

    const at11 = await until(11);
    expect(lineWith(at11, "chef_mario")).toMatch(/chef_mario\s+all\s+killed/);
    expect(lineWith(at11, "kitchen ×3")).toContain("2/3 up");

    const at13 = await until(13);
    expect(lineWith(at13, "chef_mario")).toMatch(/chef_mario\s+all\s+restarting/);

    const at14 = await until(14);
    expect(lineWith(at14, "chef_mario")).toMatch(/chef_mario\s+all\s+(idle|cooking)/);
    expect(lineWith(at14, "kitchen ×3")).toMatch(/3\/3 up\s+1$/);

    // Every state was its own frame, in order.
    const annaStates = app.frames
      .map((f) => lineWith(f, " chef_anna"))
      .filter((l): l is string => l !== undefined)
      .map((l) => (l.includes(ORDER) ? "cooking" : l.includes("idle") ? "idle" : "other"));
    const changes = annaStates.filter((s, i) => i === 0 || s !== annaStates[i - 1]);
    expect(changes).toEqual(["idle", "cooking", "idle"]);
  });

  test("header shows scenario, mode, broker, state, target rate and the phase", async () => {
    const { until } = mount();
    const frame = await until(12);
    const [line1, line2, line3] = plainLines(frame);
    expect(line1).toContain("pizzeria ▸ kitchen-crash");
    expect(line1).toContain("inprocess");
    expect(line1).toContain("broker local nats://127.0.0.1:4222");
    expect(line1).toMatch(/● RUNNING\s+target 4\.0\/s$/);
    expect(line2).toMatch(/^00:12\/00:30 [█┃]+[░│]+ phase 2\/2/);
    // The phase boundary at 10 s of 30 s is marked (already passed: ┃).
    expect(line2).toContain("┃");
    // The panels start right under the progress bar (no blank line).
    expect(line3).toMatch(/^THROUGHPUT/);
  });

  test("the kill fault shows in the event log and under the sparkline; queues show a growing backlog", async () => {
    const { until } = mount();
    const at9 = await until(9);
    expect(at9).not.toContain("fault kill kitchen/chef_mario");
    const at12 = await until(12);
    expect(lineWith(at12, "fault kill kitchen/chef_mario")).toMatch(/00:10 ! fault\s+fault kill kitchen\/chef_mario \[scenario\]: SIGKILL/);
    expect(at12).toContain("killed kitchen/chef_mario (SIGKILL) holding 2 orders");
    expect(at12).toContain("accept p99 320ms over its 250ms limit");
    const marks = (frame: string) => lineWith(frame, "faults  ")!.slice(0, 68).trimEnd();
    expect(marks(at12)).toMatch(/K─$/);
    expect(lineWith(at12, "kitchen_dine_in")).toMatch(/kitchen_dine_in\s+9↑/);
    const at15 = await until(15);
    expect(at15).toContain("fault kill kitchen/chef_mario over after 4.00s");
    expect(marks(at15)).toMatch(/K───$/); // t = 10..13; the sparkline ends at t = 14
    expect(lineWith(at15, "kitchen_dine_in")).toMatch(/kitchen_dine_in\s+0 /);
  });

  test("the notification ticker shows the latest notification", async () => {
    const { until } = mount();
    const frame = await until(7);
    expect(lineWith(frame, "✉")).toContain("00:07 Notification for order ORD_20261123_007: Status changed");
  });

  test("latency is green within its limit and red over it (acceptP99Ms 250)", async () => {
    chalk.level = 1;
    const { until } = mount({ color: true });
    const calm = await until(6);
    expect(stylesAt(calm, "12ms")).toContain("32"); // accept p99 12ms: green
    const slow = await until(12);
    expect(stylesAt(slow, "320ms")).toContain("31"); // accept p99 320ms > 250ms: red
    expect(stylesAt(slow, "210ms")).not.toContain("31"); // p95 has no limit: not judged
    expect(stylesAt(slow, "1.10s")).toEqual([]); // e2e p50 has no limit
    expect(stylesAt(slow, "1.90s")).toContain("32"); // e2e p95 1.9s of 3s: green
    expect(stylesAt(slow, "2.80s")).toEqual([]); // max is never judged
  });

  test("e2e p95 turns yellow within 80-100% of its limit", async () => {
    chalk.level = 1;
    const run = new FakeRun();
    const { events } = recordedRun();
    const app = render(<Dashboard source={run} color size={{ rows: 30 }} exitOnDone={false} />);
    run.replay(events, 0, 1); // start
    const t = tick(1);
    run.emit("tick", { ...t, latency: { ...t.latency, endToEnd: { ...t.latency.endToEnd, p95: 2_700 } } });
    await flush();
    expect(stylesAt(app.lastFrame()!, "2.70s")).toContain("33");
  });

  test("with NO_COLOR set the dashboard prints no ANSI codes, even on a colour terminal", async () => {
    chalk.level = 1;
    process.env["NO_COLOR"] = "1";
    const run = new FakeRun();
    const { events } = recordedRun();
    const app = render(<Dashboard source={run} size={{ rows: 30 }} exitOnDone={false} />);
    run.replay(events);
    await flush();
    for (const frame of app.frames) expect(frame).not.toMatch(ANSI);
    expect(app.lastFrame()).toContain("verdict");
  });
});

describe("keys", () => {
  test("space pauses then resumes the load", async () => {
    const { run, until, press } = mount();
    await until(5);
    const paused = await press(" ");
    expect(run.calls.map((c) => c.method)).toEqual(["pauseLoad"]);
    expect(paused).toContain("load paused");
    expect(lineWith(paused, "q finish")).toContain("space resume load");
    await press(" ");
    expect(run.calls.map((c) => c.method)).toEqual(["pauseLoad", "resumeLoad"]);
  });

  test("↓ selects chef_anna, k kills kitchen/chef_anna; s, r, p act on the selection", async () => {
    const { run, until, press } = mount();
    await until(5);
    const selected = await press(ARROW_DOWN);
    expect(lineWith(selected, "chef_anna")).toMatch(/^›chef_anna/);
    expect(lineWith(selected, "q finish")).toContain("› kitchen/chef_anna");
    await press("k");
    expect(run.calls).toEqual([{ method: "inject", args: [{ kind: "kill", target: "kitchen/chef_anna" }] }]);
    await press("s");
    await press("r");
    await press("p");
    expect(run.calls.slice(1).map((c) => c.args[0])).toEqual([
      { kind: "stop", target: "kitchen/chef_anna" },
      { kind: "restart", target: "kitchen/chef_anna" },
      { kind: "pause", target: "kitchen/chef_anna" },
    ]);
    const frame = await press("k");
    // The resolved fault record lands in the log as a manual fault.
    expect(frame).toContain("fault kill kitchen/chef_anna [manual]");
  });

  test("arrows walk the workers then the services, wrapping", async () => {
    const { run, until, press } = mount();
    await until(5);
    await press(ARROW_UP); // from nothing, up selects the last row
    const last = await press("k");
    expect(lineWith(last, "q finish")).toContain("› notification/notification-1");
    for (let i = 0; i < 4; i++) await press(ARROW_DOWN); // notification-1 -> chef_anna -> chef_mario -> chef_luigi -> order-1
    await press("s");
    expect(run.calls.map((c) => c.args[0])).toEqual([
      { kind: "kill", target: "notification/notification-1" },
      { kind: "stop", target: "order/order-1" },
    ]);
  });

  test("k without a selection asks for one and injects nothing", async () => {
    const { run, until, press } = mount();
    await until(5);
    const frame = await press("k");
    expect(run.calls).toEqual([]);
    expect(frame).toContain("select a worker or service first");
  });

  test("b kills the broker", async () => {
    const { run, until, press } = mount();
    await until(5);
    await press("b");
    expect(run.calls).toEqual([{ method: "inject", args: [{ kind: "kill", target: "broker" }] }]);
  });

  test("a rejected inject shows an error line and the dashboard keeps running", async () => {
    const { run, until, press } = mount();
    await until(5);
    run.injectImpl = () => Promise.reject(new Error("no instance kitchen/chef_anna is running"));
    await press(ARROW_DOWN);
    const rejected = await press("k");
    expect(lineWith(rejected, "rejected")).toMatch(/✗ control\s+kill kitchen\/chef_anna rejected: no instance kitchen\/chef_anna is running/);

    run.injectImpl = async (f) => ({
      id: "manual-9",
      kind: f.kind,
      target: f.target,
      source: "manual",
      startedAtMs: 5_000,
      endedAtMs: null,
      detail: "",
      error: "broker is external: cannot kill it",
    });
    const failed = await press("b");
    expect(lineWith(failed, "failed")).toMatch(/✗ fault\s+fault kill broker failed: broker is external: cannot kill it/);
    // A throwing inject is caught too.
    run.injectImpl = () => {
      throw new Error("boom");
    };
    const thrown = await press("b");
    expect(thrown).toContain("kill broker rejected: boom");
    const later = await until(8);
    expect(lineWith(later, "chef_anna")).toContain(ORDER);
  });

  test("q calls finish (once) and onQuit; a second q leaves", async () => {
    let quits = 0;
    const { run, until, press, app } = mount({ onQuit: () => quits++ });
    await until(5);
    const finishing = await press("q");
    expect(run.calls.map((c) => c.method)).toEqual(["finish"]);
    expect(quits).toBe(1);
    expect(lineWith(finishing, "RUNNING") ?? lineWith(finishing, "FINISHING")).toContain("● FINISHING");
    expect(finishing).toContain("q leave now");
    await press("q");
    expect(run.calls.map((c) => c.method)).toEqual(["finish"]);
    expect(quits).toBe(1);
    // Unmounted: later events draw nothing.
    const framesAfter = app.frames.length;
    await until(9);
    expect(app.frames.length).toBe(framesAfter);
    expect(run.listenerCount("tick")).toBe(0);
  });

  test("ctrl+c behaves like q", async () => {
    const { run, until, press } = mount();
    await until(3);
    await press("\u0003");
    expect(run.calls.map((c) => c.method)).toEqual(["finish"]);
  });

  test("? toggles the help overlay", async () => {
    const { until, press } = mount();
    await until(5);
    const help = await press("?");
    expect(help).toContain("KEYS");
    expect(help).toContain("kill the broker");
    expect(help).not.toContain("THROUGHPUT");
    const back = await press("?");
    expect(back).not.toContain("KEYS");
    expect(back).toContain("THROUGHPUT");
  });
});

describe("the end", () => {
  test("the summary replaces the live view at done and stays after unmount", async () => {
    const { until, app, run } = mount({ exitOnDone: true });
    const before = await until(20);
    expect(before).toContain("THROUGHPUT");
    await until("end");
    // The last frame with something in it: with CI=true Ink writes only a bare newline as it
    // leaves, which can already have happened.
    const end = [...app.frames].reverse().find((f) => f.trim() !== "") ?? "";
    expect(end).not.toContain("THROUGHPUT");
    expect(end).toContain("kitchen-crash (seed 99)");
    expect(lineWith(end, "verdict")).toMatch(/verdict\s+VALID\s+lost 0, duplicated 0, invalid 0, unexpected 0/);
    expect(lineWith(end, "acceptP99Ms")).toMatch(/✗ MISS\s+acceptP99Ms\s+320ms\s+\(≤ 250ms\)/);
    expect(end).toContain("FAILED (exit 1)");
    // exitOnDone: the app leaves by itself on the next turn (later events draw nothing).
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(run.listenerCount("tick")).toBe(0);
    const frames = app.frames.length;
    run.emit("tick", tick(21));
    await flush();
    expect(app.frames.length).toBe(frames);
    // What stays on screen is the summary, once (with CI=true Ink adds a bare newline at exit).
    const last = [...app.frames].reverse().find((f) => f.trim() !== "");
    expect(last).toContain("FAILED (exit 1)");
    expect(plainLines(last).filter((l) => l.includes("verdict"))).toHaveLength(1);
  });
});

describe("size", () => {
  test("a 100x30 terminal: every line within 100 columns, the live region under 30 rows", async () => {
    const { until, app } = mount({ rows: 30 });
    await until(20);
    for (const frame of app.frames) {
      expect(frameWidth(frame)).toBeLessThanOrEqual(100);
      expect(plainLines(frame).length).toBeLessThan(30);
    }
    const frame = app.lastFrame();
    for (const panel of ["THROUGHPUT", "LATENCY", "QUEUES", "KITCHEN", "SERVICES", "EVENTS", "✉", "q finish"]) {
      expect(frame).toContain(panel);
    }
  });

  test("a 60x20 terminal still renders, dropping panels", async () => {
    const { until, app, press } = mount({ columns: 60, rows: 20 });
    const frame = await until(12);
    for (const f of app.frames) {
      expect(frameWidth(f)).toBeLessThanOrEqual(60);
      expect(plainLines(f).length).toBeLessThan(20);
    }
    expect(frame).toContain("THROUGHPUT");
    expect(frame).toContain("LATENCY");
    expect(frame).toContain("chef_mario");
    expect(frame).not.toContain("SERVICES");
    const help = await press("?");
    expect(plainLines(help).length).toBeLessThan(20);
    expect(frameWidth(help)).toBeLessThanOrEqual(60);
  });

  test("a tiny 30x8 terminal does not throw", async () => {
    const { until, app } = mount({ columns: 30, rows: 8 });
    await until(12);
    expect(plainLines(app.lastFrame()).length).toBeLessThan(8);
    expect(app.lastFrame()).toContain("kitchen-crash");
  });
});
