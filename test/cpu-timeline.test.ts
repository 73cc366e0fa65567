import { describe, expect, it } from "vitest";
import { CpuTimeline } from "../src/sim/bench/cpu.js";

// The bench samples CPU with the run's ticks; a loaded machine delays them, and a short step can
// hold fewer than two samples. Its CPU then comes from the samples around it, not from none.
describe("CpuTimeline", () => {
  function busy(): number {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += i % 7;
    return x;
  }

  it("takes a window's shares from the samples around it when fewer than two fall inside", () => {
    const cpu = new CpuTimeline();
    cpu.sample(0);
    busy();
    cpu.sample(3_100); // the only sample near the window [1000, 3000): one
    busy();
    cpu.sample(6_000);
    const shares = cpu.shares(1_000, 3_000);
    expect(shares.self).toBeGreaterThan(0);
    expect(cpu.sampledSeconds(1_000, 3_000)).toBeGreaterThan(0);
    // With no sample inside at all: the ones before and after.
    expect(cpu.shares(3_500, 5_500).self).toBeGreaterThan(0);
    // Nothing after the window: no share rather than a made-up one.
    expect(cpu.shares(7_000, 9_000)).toEqual({});
    expect(cpu.sampledSeconds(7_000, 9_000)).toBeNull();
  });
});
