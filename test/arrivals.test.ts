import { describe, expect, it } from "vitest";
import { arrivals, arrivalsFor, plannedCount, targetRateAt } from "../src/sim/load/arrivals.js";
import { Rng } from "../src/sim/load/rng.js";
import type { Phase } from "../src/sim/scenario/scenario.js";

/** Phases laid end to end, as the loader builds them. */
function phases(...specs: Array<Partial<Phase> & { durationMs: number; rate: number }>): Phase[] {
  let start = 0;
  return specs.map((s) => {
    const p: Phase = { startMs: start, durationMs: s.durationMs, rate: s.rate, rampTo: s.rampTo ?? s.rate, arrival: s.arrival ?? "constant" };
    start += s.durationMs;
    return p;
  });
}

const all = (ps: Phase[], seed = 1) => [...arrivals(ps, Rng.derive(seed, "arrivals"))];
const gaps = (xs: number[]) => xs.slice(1).map((x, i) => x - xs[i]);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const stdev = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

function expectOrderedWithinPhases(ps: Phase[], xs: number[]): void {
  for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThanOrEqual(xs[i - 1]);
  const end = ps[ps.length - 1].startMs + ps[ps.length - 1].durationMs;
  for (const x of xs) {
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThanOrEqual(end);
  }
}

describe("constant arrival", () => {
  it("puts exactly rate x duration arrivals evenly, the first at the phase start", () => {
    const ps = phases({ durationMs: 10_000, rate: 5 });
    const xs = all(ps);
    expect(xs).toHaveLength(50);
    expect(plannedCount(ps)).toBe(50);
    xs.forEach((x, k) => expect(x).toBeCloseTo(k * 200, 9));
  });

  it("continues evenly into the next phase at its start offset", () => {
    const ps = phases({ durationMs: 2_000, rate: 2 }, { durationMs: 3_000, rate: 10 });
    const xs = all(ps);
    expect(xs).toHaveLength(4 + 30);
    expect(xs.slice(0, 4)).toEqual([0, 500, 1000, 1500]);
    expect(xs[4]).toBe(2000);
    for (const g of gaps(xs.slice(4))) expect(g).toBeCloseTo(100, 9);
  });

  it("ramps 5 -> 40 over 30 s with (5+40)/2*30 arrivals and growing density", () => {
    const ps = phases({ durationMs: 30_000, rate: 5, rampTo: 40 });
    const xs = all(ps);
    expect(xs).toHaveLength(675);
    expect(plannedCount(ps)).toBe(675);
    expectOrderedWithinPhases(ps, xs);
    const g = gaps(xs);
    for (let i = 1; i < g.length; i++) expect(g[i]).toBeLessThan(g[i - 1]);
    expect(g[0]).toBeCloseTo(1000 / 5, -1); // ~200 ms apart at the start
    expect(g[g.length - 1]).toBeCloseTo(1000 / 40, 0); // ~25 ms apart at the end
    const firstHalf = xs.filter((x) => x < 15_000).length;
    // N(15 s) = 5*15 + 35*15^2/60 = 206.25 -> arrivals k = 0..206
    expect(firstHalf).toBe(207);
  });

  it("ramps down with thinning density and handles ramps to and from 0", () => {
    const down = all(phases({ durationMs: 10_000, rate: 40, rampTo: 5 }));
    expect(down).toHaveLength(225);
    const g = gaps(down);
    for (let i = 1; i < g.length; i++) expect(g[i]).toBeGreaterThan(g[i - 1]);

    const up0 = phases({ durationMs: 10_000, rate: 0, rampTo: 10 });
    const a = all(up0);
    expect(a).toHaveLength(50);
    expectOrderedWithinPhases(up0, a);
    expect(a[1]).toBeCloseTo(Math.sqrt(1 / 0.5) * 1000, 6); // N(t) = t^2/2 -> t = sqrt(2)

    const to0 = phases({ durationMs: 10_000, rate: 10, rampTo: 0 });
    const b = all(to0);
    expect(b).toHaveLength(50);
    expectOrderedWithinPhases(to0, b);
    expect(b[b.length - 1]).toBeLessThan(10_000);
  });

  it("yields nothing in a rate-0 phase and resumes at the next phase", () => {
    expect(all(phases({ durationMs: 5_000, rate: 0 }))).toEqual([]);
    const ps = phases({ durationMs: 1_000, rate: 2 }, { durationMs: 5_000, rate: 0 }, { durationMs: 1_000, rate: 2 });
    expect(all(ps)).toEqual([0, 500, 6000, 6500]);
    expect(plannedCount(ps)).toBe(4);
  });

  it("counts a fractional expectation by rounding up (k < N(D))", () => {
    const ps = phases({ durationMs: 3_000, rate: 0.5 });
    expect(all(ps)).toEqual([0, 2000]);
    expect(plannedCount(ps)).toBe(2);
  });

  it("does not depend on the seed", () => {
    const ps = phases({ durationMs: 10_000, rate: 3, rampTo: 9 });
    expect(all(ps, 1)).toEqual(all(ps, 2));
  });
});

describe("poisson arrival", () => {
  it("matches the expected count within 4 sigma and has inter-arrival CV near 1", () => {
    const ps = phases({ durationMs: 600_000, rate: 20, arrival: "poisson" });
    const xs = all(ps, 7);
    const expected = plannedCount(ps);
    expect(expected).toBe(12_000);
    expect(Math.abs(xs.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expectOrderedWithinPhases(ps, xs);
    const g = gaps(xs);
    expect(mean(g)).toBeGreaterThan(47);
    expect(mean(g)).toBeLessThan(53);
    expect(stdev(g) / mean(g)).toBeGreaterThan(0.95);
    expect(stdev(g) / mean(g)).toBeLessThan(1.05);
  });

  it("follows a ramp: count near the integral, denser in the second half", () => {
    const ps = phases({ durationMs: 120_000, rate: 5, rampTo: 45, arrival: "poisson" });
    const xs = all(ps, 11);
    const expected = plannedCount(ps); // (5+45)/2*120 = 3000
    expect(expected).toBe(3000);
    expect(Math.abs(xs.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
    // Expected in the first half: 5*60 + 40*60^2/240 = 900; second half 2100.
    const first = xs.filter((x) => x < 60_000).length;
    expect(Math.abs(first - 900)).toBeLessThan(4 * Math.sqrt(900));
    expect(xs.length - first).toBeGreaterThan(2 * first);
  });

  it("keeps offsets ordered and inside their phases across mixed phases", () => {
    const ps = phases(
      { durationMs: 5_000, rate: 10, arrival: "poisson" },
      { durationMs: 5_000, rate: 0 },
      { durationMs: 5_000, rate: 0, rampTo: 30, arrival: "poisson" },
      { durationMs: 5_000, rate: 30, rampTo: 0 },
    );
    const xs = all(ps, 3);
    expectOrderedWithinPhases(ps, xs);
    expect(xs.filter((x) => x >= 5_000 && x < 10_000)).toEqual([]);
    for (const x of xs.filter((x) => x < 5_000)) expect(x).toBeLessThan(5_000);
  });
});

describe("determinism of the schedule", () => {
  const ps = phases(
    { durationMs: 60_000, rate: 10, arrival: "poisson" },
    { durationMs: 60_000, rate: 10, rampTo: 40, arrival: "poisson" },
  );
  const first = (seed: number, n = 2000) => {
    const out: number[] = [];
    for (const x of arrivalsFor({ seed, load: ps })) {
      out.push(x);
      if (out.length === n) break;
    }
    return out;
  };

  it("gives the same first 2,000 offsets for the same seed, bit for bit", () => {
    const a = first(42);
    expect(a).toHaveLength(2000);
    expect(JSON.stringify(first(42))).toBe(JSON.stringify(a));
  });

  it("gives different offsets for a different seed", () => {
    expect(JSON.stringify(first(43))).not.toBe(JSON.stringify(first(42)));
  });

  it("keeps a phase's draws when another phase changes", () => {
    const changed = phases(
      { durationMs: 60_000, rate: 25, arrival: "poisson" },
      { durationMs: 60_000, rate: 10, rampTo: 40, arrival: "poisson" },
    );
    const second = (p: Phase[]) => [...arrivalsFor({ seed: 5, load: p })].filter((x) => x >= 60_000);
    expect(second(changed)).toEqual(second(ps));
  });
});

describe("plannedCount and targetRateAt", () => {
  it("adds exact constant counts and poisson integrals", () => {
    const ps = phases({ durationMs: 10_000, rate: 5 }, { durationMs: 10_000, rate: 1.5, arrival: "poisson" }, { durationMs: 1_000, rate: 0.5 });
    expect(plannedCount(ps)).toBe(50 + 15 + 1);
  });

  it("interpolates the target rate within a ramp and is 0 outside the load", () => {
    const ps = phases({ durationMs: 10_000, rate: 5 }, { durationMs: 30_000, rate: 5, rampTo: 40 });
    expect(targetRateAt(ps, 0)).toBe(5);
    expect(targetRateAt(ps, 9_999)).toBe(5);
    expect(targetRateAt(ps, 10_000)).toBe(5);
    expect(targetRateAt(ps, 25_000)).toBeCloseTo(22.5, 9);
    expect(targetRateAt(ps, 39_999)).toBeCloseTo(40, 2);
    expect(targetRateAt(ps, 40_000)).toBe(0);
    expect(targetRateAt(ps, -1)).toBe(0);
  });
});

describe("Rng", () => {
  it("is deterministic per (seed, label) and independent across labels", () => {
    const draw = (r: Rng) => Array.from({ length: 100 }, () => r.next());
    expect(draw(Rng.derive(1, "a"))).toEqual(draw(Rng.derive(1, "a")));
    expect(draw(Rng.derive(1, "a"))).not.toEqual(draw(Rng.derive(1, "b")));
    expect(draw(Rng.derive(1, "a"))).not.toEqual(draw(Rng.derive(2, "a")));
    expect(draw(Rng.derive(1, "a").fork("x"))).toEqual(draw(Rng.derive(1, "a").fork("x")));
    expect(draw(Rng.derive(1, "a").fork("x"))).not.toEqual(draw(Rng.derive(1, "a").fork("y")));
    // A child does not move its parent.
    const parent = Rng.derive(9, "p");
    parent.fork("c").next();
    expect(parent.next()).toBe(Rng.derive(9, "p").next());
  });

  it("draws uniform floats in [0, 1) and inclusive integers", () => {
    const r = Rng.derive(3, "uniform");
    const xs = Array.from({ length: 20_000 }, () => r.next());
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(mean(xs)).toBeGreaterThan(0.49);
    expect(mean(xs)).toBeLessThan(0.51);
    const counts = new Map<number, number>();
    for (let i = 0; i < 12_000; i++) {
      const n = r.int(1, 6);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(200);
    expect(() => r.int(3, 2)).toThrow(RangeError);
  });

  it("picks by weight, never a zero weight, and draws exponentials of the right mean", () => {
    const r = Rng.derive(4, "weights");
    const tally = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) tally[r.weighted({ a: 1, b: 3, c: 0 })]++;
    expect(tally.c).toBe(0);
    expect(Math.abs(tally.b / 10_000 - 0.75)).toBeLessThan(0.03);
    expect(() => r.weighted({ a: 0 })).toThrow(RangeError);
    const e = Array.from({ length: 20_000 }, () => r.exponential(4));
    expect(Math.abs(mean(e) - 0.25)).toBeLessThan(0.01);
    expect(["x", "y"]).toContain(r.pick(["x", "y"]));
    expect(() => r.pick([])).toThrow(RangeError);
  });
});
