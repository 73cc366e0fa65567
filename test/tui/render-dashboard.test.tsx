/**
 * renderDashboard() itself, on fake terminal streams (not ink-testing-library's debug renderer):
 * the real render options, throttling, a non-TTY stdin, a small terminal, leaving.
 */
import { EventEmitter } from "node:events";
import { describe, expect, test, vi } from "vitest";
import { renderDashboard } from "../../src/tui/dashboard.js";
import { stripAnsi } from "../../src/tui/format.js";
import { FakeRun, recordedRun, tick } from "./fixtures.js";
import { flush } from "./frame.js";

class FakeStdout extends EventEmitter {
  readonly writes: string[] = [];
  constructor(
    readonly columns: number,
    readonly rows: number,
    readonly isTTY = true,
  ) {
    super();
  }
  write(chunk: string, callback?: () => void): boolean {
    this.writes.push(String(chunk));
    callback?.();
    return true;
  }
  /** Writes that draw something (not bare escape sequences such as synchronized-output marks). */
  get draws(): number {
    return this.writes.filter((w) => stripAnsi(w).trim() !== "").length;
  }
  get text(): string {
    return stripAnsi(this.writes.join(""));
  }
}

class FakeStdin extends EventEmitter {
  private data: string | null = null;
  constructor(readonly isTTY: boolean) {
    super();
  }
  press(data: string): void {
    this.data = data;
    this.emit("readable");
    this.emit("data", data);
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {
    if (!this.isTTY) throw new Error("setRawMode on a non-TTY stdin");
  }
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function streams(columns: number, rows: number, stdinIsTTY: boolean) {
  const stdout = new FakeStdout(columns, rows);
  const stderr = new FakeStdout(columns, rows);
  const stdin = new FakeStdin(stdinIsTTY);
  return {
    stdout,
    stdin,
    options: {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      color: false,
    },
  };
}

describe("renderDashboard", () => {
  test("renders a whole run on a 60x20 terminal with a non-TTY stdin, prints the summary once and exits at done", async () => {
    const run = new FakeRun();
    const { events } = recordedRun();
    const { stdout, options } = streams(60, 20, false);
    const ui = renderDashboard(run, options);
    let exited = false;
    const exit = ui.waitUntilExit().then(() => {
      exited = true;
    });
    run.replay(events, 0, events.length - 1);
    await flush();
    expect(exited).toBe(false);
    run.replay(events, events.length - 1);
    await exit;
    expect(exited).toBe(true);
    const text = stdout.text;
    expect(text).toContain("kitchen-crash");
    expect(text.split("\n").filter((l) => l.includes("verdict     VALID"))).toHaveLength(1);
    expect(text).toContain("FAILED (exit 1)");
    // Done: no longer listening.
    expect(run.listenerCount("tick")).toBe(0);
  });

  test("q finishes the run and calls onQuit; a second q leaves", async () => {
    const run = new FakeRun();
    const { events, tickIndex } = recordedRun();
    const { stdin, options } = streams(100, 30, true);
    let quits = 0;
    const ui = renderDashboard(run, { ...options, onQuit: () => quits++ });
    run.replay(events, 0, tickIndex.get(5)! + 1);
    await flush();
    stdin.press("q");
    await flush();
    expect(run.calls.map((c) => c.method)).toEqual(["finish"]);
    expect(quits).toBe(1);
    stdin.press("q");
    await ui.waitUntilExit();
    expect(run.calls.map((c) => c.method)).toEqual(["finish"]);
  });

  test("redraws are throttled (maxFps 10): a burst of ticks makes a few frames, not one per tick", async () => {
    // Ink's throttle runs on setTimeout and Date: fake them, so the test does not depend on the
    // machine's speed. 40 ticks 10 ms apart = 400 ms = at most a leading and a trailing frame per
    // 100 ms window; unthrottled it would be 40.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const run = new FakeRun();
      const { events, tickIndex } = recordedRun();
      const { stdout, options } = streams(100, 30, false);
      const ui = renderDashboard(run, { ...options, exitOnDone: false });
      run.replay(events, 0, tickIndex.get(1)! + 1);
      await flush();
      vi.advanceTimersByTime(200);
      const before = stdout.draws;
      for (let i = 0; i < 40; i++) {
        run.emit("tick", tick((i % 19) + 2));
        await flush();
        vi.advanceTimersByTime(10);
      }
      vi.advanceTimersByTime(200);
      const writes = stdout.draws - before;
      // With CI set, Ink draws no live frames at all (only <Static> and the last frame at exit).
      const inkInCi = ["CI", "CONTINUOUS_INTEGRATION"].some((k) => k in process.env && process.env[k] !== "0" && process.env[k] !== "false");
      expect(writes).toBeGreaterThanOrEqual(inkInCi ? 0 : 3);
      expect(writes).toBeLessThanOrEqual(10);
      ui.unmount();
      await ui.waitUntilExit();
    } finally {
      vi.useRealTimers();
    }
  });

  test("unmount() ends it; the handle's promise resolves", async () => {
    const run = new FakeRun();
    const { options } = streams(80, 24, false);
    const ui = renderDashboard(run, options);
    run.emit("tick", tick(3));
    ui.unmount();
    await expect(ui.waitUntilExit()).resolves.toBeUndefined();
    expect(run.listenerCount("tick")).toBe(0);
  });
});
