import { describe, expect, it } from "vitest";
import { drain, lastStretchMs, stillFinishing, type DrainChecks } from "../../src/sim/telemetry/drain.js";

describe("stillFinishing", () => {
  it("is true when the finished count rose during the last stretch", () => {
    expect(stillFinishing([{ atMs: 0, finished: 10 }, { atMs: 4_000, finished: 10 }, { atMs: 9_000, finished: 11 }, { atMs: 10_000, finished: 11 }], 5_000)).toBe(true);
  });

  it("is false when the count rose only before the last stretch", () => {
    expect(stillFinishing([{ atMs: 0, finished: 10 }, { atMs: 4_000, finished: 50 }, { atMs: 6_000, finished: 50 }, { atMs: 10_000, finished: 50 }], 5_000)).toBe(false);
  });

  it("looks at the whole drain when it was shorter than the stretch, and is false without samples", () => {
    expect(stillFinishing([{ atMs: 0, finished: 1 }, { atMs: 2_000, finished: 3 }], 5_000)).toBe(true);
    expect(stillFinishing([{ atMs: 0, finished: 3 }, { atMs: 2_000, finished: 3 }], 5_000)).toBe(false);
    expect(stillFinishing([], 5_000)).toBe(false);
  });
});

describe("lastStretchMs", () => {
  it("is 5 s, or twice the longest cooking time when that is longer", () => {
    expect(lastStretchMs({ timeScale: 100 })).toBe(5_000);
    expect(lastStretchMs({ timeScale: 1 })).toBe(24_000); // delivery: 12 s
    expect(lastStretchMs({ timeScale: 1, cookTimeMs: 0 })).toBe(5_000);
  });
});

/** A drain on a clock of its own: each pause moves it 1 s on; `finishedAt(t)` says how many orders were done by then. */
function checks(finishedAt: (t: number) => number, quietAt = Infinity): DrainChecks {
  let t = 0;
  return {
    timeoutMs: 20_000,
    stretchMs: 5_000,
    poll: async () => undefined,
    quiet: () => t >= quietAt,
    finished: () => finishedAt(t),
    pause: async () => void (t += 1_000),
    now: () => t,
  };
}

describe("drain", () => {
  it("ends as soon as the system is quiet", async () => {
    expect(await drain(checks((t) => t / 1000, 3_000))).toEqual({ drained: true, ms: 3_000, stillFinishing: false });
  });

  it("times out still finishing when orders kept finishing to the end (a backlog moving through)", async () => {
    expect(await drain(checks((t) => t / 1000))).toEqual({ drained: false, ms: 20_000, stillFinishing: true });
  });

  it("times out stuck when nothing finished in the last stretch", async () => {
    expect(await drain(checks((t) => Math.min(t, 10_000) / 1000))).toEqual({ drained: false, ms: 20_000, stillFinishing: false });
  });
});
