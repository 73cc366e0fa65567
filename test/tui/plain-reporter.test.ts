import chalk from "chalk";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import { attachPlainReporter, formatTickLine } from "../../src/tui/plain-reporter.js";
import { FakeRun, recordedRun, tick } from "./fixtures.js";
import { ANSI } from "./frame.js";

const savedLevel = chalk.level;
const savedNoColor = process.env["NO_COLOR"];
beforeEach(() => {
  delete process.env["NO_COLOR"];
});
afterEach(() => {
  chalk.level = savedLevel;
  if (savedNoColor === undefined) delete process.env["NO_COLOR"];
  else process.env["NO_COLOR"] = savedNoColor;
});

function replayAll(options: Parameters<typeof attachPlainReporter>[2] = {}) {
  const run = new FakeRun();
  const lines: string[] = [];
  const detach = attachPlainReporter(run, (l) => lines.push(l), options);
  run.replay(recordedRun().events);
  return { run, lines, detach };
}

describe("plain reporter", () => {
  test("a start line, one line per tick, fault and log lines as they happen, the summary at done", () => {
    const { lines } = replayAll({ color: false });
    expect(lines[0]).toMatch(/^pizzeria run kitchen-crash \(seed 99\)  inprocess  broker local nats:\/\/127\.0\.0\.1:4222  2 phases over 30\.0s  110 orders planned/);
    const ticks = lines.filter((l) => /^\[\s*\d+s\] running /.test(l));
    expect(ticks).toHaveLength(20);
    expect(ticks[11]).toBe(
      "[ 12s] running   target 4.0/s  sent 30  ok 29  rej 1  err 0  done 26  inflight 3  p99 accept 320ms  e2e p95 1.90s  queue 16",
    );
    const kill = lines.findIndex((l) => l.includes("fault kill kitchen/chef_mario [scenario]"));
    expect(lines[kill]).toMatch(/^\[ 10s\] warn  fault\s+fault kill kitchen\/chef_mario \[scenario\]: SIGKILL, restart after 4s \(3 in flight\)$/);
    // In order: after the 9 s tick, before the 10 s one.
    expect(kill).toBeGreaterThan(lines.indexOf(ticks[8]));
    expect(kill).toBeLessThan(lines.indexOf(ticks[9]));
    expect(lines).toContain("[ 11s] warn  threshold   accept p99 320ms over its 250ms limit");
    expect(lines).toContain("[ 14s] info  fault       fault kill kitchen/chef_mario over after 4.00s");
    expect(lines.some((l) => l.startsWith("[ 16s] error dead_letter"))).toBe(true);
    expect(ticks[17]).toContain("dlq 1");
    const summary = lines[lines.length - 1];
    expect(summary).toContain("verdict     VALID");
    expect(summary).toContain("thresholds  5 passed, 1 missed");
    // Notifications are not printed (one per order step would flood a CI log).
    expect(lines.some((l) => l.includes("Notification for order"))).toBe(false);
  });

  test("ticks closer than intervalMs are folded, unless the run state changes", () => {
    const run = new FakeRun();
    const lines: string[] = [];
    attachPlainReporter(run, (l) => lines.push(l), { color: false });
    const base = tick(3);
    for (const ms of [3_000, 3_250, 3_500, 3_750, 4_000]) run.emit("tick", { ...base, elapsedMs: ms });
    run.emit("tick", { ...base, elapsedMs: 4_100, state: "paused" });
    expect(lines.map((l) => l.slice(0, 15))).toEqual(["[  3s] running ", "[  4s] running ", "[  4s] paused  "]);
    const every: string[] = [];
    attachPlainReporter(run, (l) => every.push(l), { color: false, intervalMs: 0 });
    run.emit("tick", { ...base, elapsedMs: 4_200 });
    run.emit("tick", { ...base, elapsedMs: 4_300 });
    expect(every).toHaveLength(2);
  });

  test("colour when asked; no ANSI at all with NO_COLOR set", () => {
    chalk.level = 1;
    const coloured = replayAll({ color: true });
    expect(coloured.lines.some((l) => ANSI.test(l))).toBe(true);

    process.env["NO_COLOR"] = "1";
    const plain = replayAll({ color: true });
    for (const l of plain.lines) expect(l).not.toMatch(ANSI);
    const byDefault = replayAll();
    for (const l of byDefault.lines) expect(l).not.toMatch(ANSI);
  });

  test("a failed fault prints an error line once; detaching stops the output", () => {
    const run = new FakeRun();
    const lines: string[] = [];
    const detach = attachPlainReporter(run, (l) => lines.push(l), { color: false });
    const failed = { id: "f9", kind: "kill", target: "broker", source: "manual" as const, startedAtMs: 5_000, endedAtMs: null, detail: "", error: "external broker" };
    run.emit("fault", failed);
    run.emit("fault", failed);
    expect(lines).toEqual(["[  5s] error fault       fault kill broker failed: external broker"]);
    detach();
    run.emit("tick", tick(6));
    expect(lines).toHaveLength(1);
    expect(run.listenerCount("tick")).toBe(0);
  });
});

test("the tick line gives the errors by cause", () => {
  const t = tick(12);
  const failing = { ...t, totals: { ...t.totals, errors: 5, errorCauses: { ...emptyCauseCounts(), timedOut: 3, status503: 2 } } };
  expect(formatTickLine(failing)).toContain("  err 5 (503 2 timeout 3)  ");
  expect(formatTickLine(t)).toContain("  err 0  ");
});
