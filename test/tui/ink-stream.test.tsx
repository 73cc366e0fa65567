/**
 * What a terminal shows while Ink draws incrementally, through a small terminal emulator
 * (terminal.ts): Ink 6.8's own redraws land a row low; through createInkStream they do not.
 */
import { EventEmitter } from "node:events";
import { afterAll, describe, expect, test, vi } from "vitest";

// Ink decides at import whether it runs in CI (then it draws no live frames at all): these tests
// are about the live frames, so Ink must not think so, whatever the environment says.
const savedEnv = vi.hoisted(() => {
  const saved = { CI: process.env["CI"], CONTINUOUS_INTEGRATION: process.env["CONTINUOUS_INTEGRATION"] };
  delete process.env["CI"];
  delete process.env["CONTINUOUS_INTEGRATION"];
  return saved;
});

import { Box, render, Text } from "ink";
import { RESIZE_SETTLE_MS } from "../../src/tui/components/LiveView.js";
import { renderDashboard } from "../../src/tui/dashboard.js";
import { createCursorCorrector, createInkStream, rowsAdvanced, scrollScreenAway } from "../../src/tui/ink-stream.js";
import { createTerminalSizeStore } from "../../src/tui/hooks/use-terminal-size.js";
import { FakeRun, recordedRun } from "./fixtures.js";
import { FakeTTY, Terminal } from "./terminal.js";
import { waitFor } from "../helpers/wait.js";

afterAll(() => {
  for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
});

const ESC = "\u001B";

function Lines({ lines }: { lines: string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
    </Box>
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Draw `frames` one after the other with Ink's incremental renderer onto `stdout`. */
async function drawFrames(stdout: NodeJS.WriteStream, frames: string[][]): Promise<void> {
  const app = render(<Lines lines={frames[0]} />, { stdout, incrementalRendering: true, maxFps: 1000, patchConsole: false, exitOnCtrlC: false });
  for (const frame of frames.slice(1)) {
    await pause(5); // past Ink's 1 ms throttle: one frame per rerender
    app.rerender(<Lines lines={frame} />);
  }
  await pause(5);
  app.unmount();
  await app.waitUntilExit();
}

// Same height, taller, shorter, with an unchanged first line and a blank line: every branch of
// log-update's incremental redraw.
const FRAMES = [
  ["HEADER", "count 0", " ", "FOOTER"],
  ["HEADER", "count 1", " ", "FOOTER"],
  ["HEADER", "count 2", " ", "extra", "FOOTER"],
  ["HEADER", "count 3", "FOOTER"],
  ["HEADER", "count 4", " ", "FOOTER"],
  ["HEADER", "count 5", " ", "FOOTER"],
];
const shownAs = (frame: string[]) => frame.map((l) => l.trimEnd()).join("\n");

describe("Ink 6.8 incremental rendering on a terminal", () => {
  test("without the correction each same-size or taller redraw lands a row low (the Ink bug worked around)", async () => {
    const tty = new FakeTTY(40, 12);
    await drawFrames(tty as unknown as NodeJS.WriteStream, FRAMES);
    // If this fails, Ink draws correctly by itself: createInkStream's cursor correction has become
    // a no-op and can go.
    expect(tty.terminal.text()).not.toBe(shownAs(FRAMES[FRAMES.length - 1]));
    expect(tty.terminal.screen().filter((l) => l === "HEADER").length + tty.terminal.screen().filter((l) => l.startsWith("count")).length).toBeGreaterThan(2);
  });

  test("through createInkStream the screen shows exactly the last frame after every kind of redraw", async () => {
    const tty = new FakeTTY(40, 12);
    const stdout = createInkStream(tty as unknown as NodeJS.WriteStream);
    const app = render(<Lines lines={FRAMES[0]} />, { stdout, incrementalRendering: true, maxFps: 1000, patchConsole: false, exitOnCtrlC: false });
    for (const frame of FRAMES.slice(1)) {
      await pause(5);
      app.rerender(<Lines lines={frame} />);
      await pause(5);
      expect(tty.terminal.text()).toBe(shownAs(frame));
      // The cursor rests on the row under the frame.
      expect(tty.terminal.row).toBe(frame.length);
    }
    app.unmount();
    await app.waitUntilExit();
    expect(tty.terminal.history).toEqual([]);
  });
});

describe("createCursorCorrector", () => {
  test("counts rows advanced by newlines and ESC[E", () => {
    expect(rowsAdvanced("a\nb\n")).toBe(2);
    expect(rowsAdvanced(`${ESC}[E${ESC}[E${ESC}[1Gx${ESC}[K\n`)).toBe(3);
    expect(rowsAdvanced(`${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[G`)).toBe(0);
  });

  test("puts the counted distance into an incremental redraw's cursor-up and leaves other writes alone", () => {
    const c = createCursorCorrector();
    const first = "A\nB\nC\n";
    expect(c.correct(first)).toBe(first);
    expect(c.rowsBelowTop).toBe(3);
    // Ink 6.8: up previousVisible - 1 = 2; the cursor is 3 rows under the top.
    const redraw = `${ESC}[2A${ESC}[E${ESC}[1GB2${ESC}[K\n${ESC}[E`;
    expect(c.correct(redraw)).toBe(`${ESC}[3A${ESC}[E${ESC}[1GB2${ESC}[K\n${ESC}[E`);
    expect(c.corrections).toBe(1);
    // Mode switches move nothing and change nothing.
    expect(c.correct(`${ESC}[?2026h`)).toBe(`${ESC}[?2026h`);
    expect(c.correct(`${ESC}[?25l`)).toBe(`${ESC}[?25l`);
    expect(c.rowsBelowTop).toBe(3);
    // A right cursor-up (a fixed Ink) is left as it is.
    const right = `${ESC}[3A${ESC}[1GA2${ESC}[K\n${ESC}[E${ESC}[E`;
    expect(c.correct(right)).toBe(right);
    expect(c.corrections).toBe(1);
    // Shrinking redraws and full redraws are Ink's own business; the count follows them.
    const shrink = `${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[G${ESC}[2A${ESC}[E${ESC}[1GB3${ESC}[K\n`;
    expect(c.correct(shrink)).toBe(shrink);
    expect(c.rowsBelowTop).toBe(2);
    // A one-line frame: the cursor is one row under it; ESC[0A would also move one row.
    c.correct(`${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[GX\n`);
    expect(c.correct(`${ESC}[0A${ESC}[1GY${ESC}[K\n`)).toBe(`${ESC}[1A${ESC}[1GY${ESC}[K\n`);
    // After Ink's clear-the-terminal repaint its own next move is kept.
    c.correct(`${ESC}[2J${ESC}[3J${ESC}[HA\nB`);
    expect(c.rowsBelowTop).toBeNull();
    const afterClear = `${ESC}[1A${ESC}[1GA${ESC}[K\n${ESC}[E`;
    expect(c.correct(afterClear)).toBe(afterClear);
    expect(c.rowsBelowTop).toBe(2);
  });
});

describe("createInkStream", () => {
  test("reads through to the stream but hides its height, and hands Ink resize events a turn later", async () => {
    const tty = new FakeTTY(100, 30);
    const stdout = createInkStream(tty as unknown as NodeJS.WriteStream);
    expect(stdout.columns).toBe(100);
    expect(stdout.isTTY).toBe(true);
    expect(stdout.rows).toBeUndefined();
    const seen: string[] = [];
    const inkListener = () => seen.push("ink");
    stdout.on("resize", inkListener);
    tty.on("resize", () => seen.push("view"));
    tty.resize(80, 24);
    expect(seen).toEqual(["view"]);
    await waitFor(() => seen.length === 2, "the deferred resize listener");
    expect(seen).toEqual(["view", "ink"]);
    stdout.off("resize", inkListener);
    expect(tty.listenerCount("resize")).toBe(1);
    // Writes reach the stream (callbacks too).
    let called = false;
    stdout.write("x", () => (called = true));
    expect(tty.writes).toEqual(["x"]);
    expect(called).toBe(true);
  });

  test("scrollScreenAway moves the whole screen into the scrollback and leaves the cursor top left", () => {
    const t = new Terminal(10, 4);
    t.write("a\nb\nc\nd");
    t.write(scrollScreenAway(4));
    expect(t.screen()).toEqual(["", "", "", ""]);
    expect([t.row, t.col]).toEqual([0, 0]);
    expect(t.history).toEqual(["a", "b", "c", "d"]);
  });

  test("the terminal size store follows resize events", () => {
    const stream = Object.assign(new EventEmitter(), { columns: 100, rows: 30 });
    const store = createTerminalSizeStore(stream as unknown as NodeJS.WriteStream);
    let changes = 0;
    store.subscribe(() => changes++);
    const first = store.get();
    expect(first).toEqual({ columns: 100, rows: 30 });
    stream.emit("resize");
    expect(store.get()).toBe(first); // unchanged: same object, no notification
    stream.columns = 80;
    stream.rows = 24;
    stream.emit("resize");
    expect(store.get()).toEqual({ columns: 80, rows: 24 });
    expect(changes).toBe(1);
    store.dispose();
    expect(stream.listenerCount("resize")).toBe(0);
  });
});

describe("renderDashboard on a terminal", () => {
  /** Lines of the screen that contain `text`. */
  const count = (lines: string[], text: string) => lines.filter((l) => l.includes(text)).length;

  test("a whole run: one clean frame on screen at every step, the summary once at the end", async () => {
    const tty = new FakeTTY(100, 30);
    const run = new FakeRun();
    const { events, tickIndex } = recordedRun();
    const ui = renderDashboard(run, { stdout: tty as unknown as NodeJS.WriteStream, color: false, exitOnDone: true });
    let next = 0;
    for (const t of [2, 5, 8, 11, 14, 17, 20]) {
      const to = tickIndex.get(t)! + 1;
      run.replay(events, next, to);
      next = to;
      await pause(120); // a frame (maxFps 10)
      const screen = tty.terminal.screen();
      expect(count(screen, "pizzeria ▸ kitchen-crash"), screen.join("\n")).toBe(1);
      expect(count(screen, "THROUGHPUT"), screen.join("\n")).toBe(1);
      expect(count(screen, "q finish"), screen.join("\n")).toBe(1);
      expect(count(screen, " chef_anna "), screen.join("\n")).toBe(1);
      expect(screen[0]).toMatch(/^pizzeria ▸ kitchen-crash/);
      // No blank line under the progress bar.
      expect(screen[2]).toMatch(/^THROUGHPUT/);
      // The live region is shorter than the screen and leaves the last column free.
      expect(tty.terminal.text().split("\n").length).toBeLessThan(30);
      expect(Math.max(...screen.map((l) => [...l].length))).toBeLessThan(100);
      expect(tty.terminal.history).toEqual([]);
    }
    run.replay(events, next);
    await ui.waitUntilExit();
    const all = tty.terminal.everything();
    expect(count(all, "verdict     VALID")).toBe(1);
    expect(count(all, "FAILED (exit 1)")).toBe(1);
    expect(count(all, "THROUGHPUT")).toBe(0);
    expect(count(all, "q finish")).toBe(0);
  });

  test("resizing mid-run: the frame is laid out again and drawn once, nothing stale left on screen, the scrollback kept", async () => {
    const tty = new FakeTTY(100, 30);
    tty.write("$ earlier shell output\n");
    const run = new FakeRun();
    const { events, tickIndex } = recordedRun();
    const ui = renderDashboard(run, { stdout: tty as unknown as NodeJS.WriteStream, color: false, exitOnDone: false });
    let next = 0;
    const until = async (t: number) => {
      const to = tickIndex.get(t)! + 1;
      run.replay(events, next, to);
      next = to;
      await pause(120);
    };
    await until(5);
    const sizes = [
      [80, 24, 8],
      [120, 40, 11],
      [100, 30, 14],
      [60, 20, 17],
    ] as const;
    for (const [columns, rows, t] of sizes) {
      tty.resize(columns, rows);
      await pause(RESIZE_SETTLE_MS + 100);
      await until(t);
      const screen = tty.terminal.screen();
      const shown = screen.join("\n");
      expect(count(screen, "kitchen-crash  inprocess"), shown).toBe(1);
      expect(count(screen, "THROUGHPUT"), shown).toBe(1);
      expect(count(screen, "q finish"), shown).toBe(1);
      expect(count(screen, " chef_mario "), shown).toBe(1);
      expect(Math.max(...screen.map((l) => [...l].length)), shown).toBeLessThan(columns);
      expect(tty.terminal.text().split("\n").length, shown).toBeLessThan(rows);
    }
    // Ink never cleared the terminal (which takes the scrollback with it).
    expect(tty.writes.some((w) => w.includes(`${ESC}[3J`) || w.includes(`${ESC}[2J`))).toBe(false);
    expect(tty.terminal.history[0]).toBe("$ earlier shell output");
    ui.unmount();
    await ui.waitUntilExit();
  });
});
