import { describe, expect, it } from "vitest";
import { renderTables, type BenchResult } from "../src/sim/bench/results.js";
import { benchSoak, rssMiB, soakGrowth, soakSlopes, type SoakSample } from "../src/sim/bench/soak.js";
import { silentProgress } from "../src/sim/bench/progress.js";
import { UP_RETENTION } from "../src/sim/scenario/retention.js";
import { scratchDir } from "./helpers/nats.js";

const sample = (atSeconds: number, finished: number, rss: Record<string, number>): SoakSample => ({ atSeconds, finished, rssMiB: rss, stream: null, runDirMiB: 0 });

describe("bench soak: RSS per process over a paced run", () => {
  it("takes the growth from the first sample at or after the window's start to the last, per 1,000 orders finished", () => {
    const samples = [sample(60, 6_000, { harness: 100, order: 80 }), sample(300, 30_000, { harness: 110, order: 80, late: 5 }), sample(1_800, 180_000, { harness: 120, order: 78, late: 6 })];
    const { growth, window } = soakGrowth(samples, 300);
    expect(window).toEqual({ fromSeconds: 300, toSeconds: 1_800, orders: 150_000 });
    expect(growth.harness).toEqual({ fromMiB: 110, toMiB: 120, percent: 9.1, kibPer1000Orders: Math.round((10 * 1024 * 1000) / 150_000) });
    expect(growth.order.percent).toBe(-2.5);
    expect(growth.late.fromMiB).toBe(5);
  });

  it("reads a process's resident set from /proc", () => {
    expect(rssMiB(process.pid)).toBeGreaterThan(10);
    expect(rssMiB(2 ** 22 + 12_345)).toBeNull();
  });

  it("samples every process of the roster in processes mode, bounded as up bounds the stream, with a valid verdict", async () => {
    const soak = await benchSoak({ mode: "processes", minutes: 0.25, rate: 50, sampleSeconds: 3, seed: 1, workDir: scratchDir("soak"), logLevel: "warn", progress: silentProgress() });
    expect(soak.verdictValid).toBe(true);
    expect(soak.retention).toEqual(UP_RETENTION);
    expect(soak.samples.length).toBeGreaterThan(2);
    const last = soak.samples[soak.samples.length - 1];
    expect(Object.keys(last.rssMiB)).toEqual(expect.arrayContaining(["harness", "nats-server", "order/order-1", "kitchen/chef_mario", "notification/notification-2"]));
    expect(last.stream!.messages).toBeGreaterThan(0);
    expect(last.finished).toBeGreaterThan(soak.samples[0].finished);
    const result: BenchResult = {
      name: "soak-test", date: new Date().toISOString(), command: "pizzeria bench soak", git: null, quick: true, durationSeconds: 20,
      machine: { os: "linux", cpuModel: "cpu", cpus: 2, memoryGiB: 1, node: "v20", natsServer: "2", sqlite: "3", packages: {} },
      loadAverage: { start: [0, 0, 0], end: [0, 0, 0] }, baselines: {}, accept: [], pipeline: [], soak: [soak], targets: [], profiles: [], notes: [],
    };
    expect(renderTables([{ file: "soak-test.json", result }])).toMatch(/#### Soak[\s\S]*\| soak-test\.json \(quick\) \| processes \| 0\.25 at 50\/s \|/);
  }, 90_000);
});

describe("soakSlopes: growth fitted over every sample of the window", () => {
  it("is the least-squares slope of RSS against orders finished, in KiB per 1,000 orders; null with too few samples", () => {
    const samples = [sample(10, 0, { a: 100, b: 50 }), sample(300, 10_000, { a: 100, b: 60 }), sample(600, 20_000, { a: 110, b: 50 }), sample(900, 30_000, { a: 110, b: 60 }), sample(1_200, 40_000, { a: 120, b: 50 })];
    const slopes = soakSlopes(samples, 300);
    expect(slopes.a).toBe(614); // 100, 110, 110, 120 MiB at 10k, 20k, 30k, 40k orders: 0.6 MiB per 1,000 orders
    expect(slopes.b).toBe(-205); // 60, 50, 60, 50: noise about a flat line, a small slope either way
    expect(soakSlopes(samples, 900).a).toBeNull();
  });
});
