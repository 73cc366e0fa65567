import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBench } from "../src/sim/bench/index.js";
import { messagesPerOrder } from "../src/sim/bench/jetstream-raw.js";
import { featuresOf } from "../src/services/shared/server-features.js";
import { subjectMatches } from "../src/services/shared/contracts.js";
import { readResults, renderTables, updateReadme, type BenchResult } from "../src/sim/bench/results.js";
import { DEFAULT_ROSTER } from "../src/sim/scenario/roster.js";
import { CLI } from "./helpers/cli.js";

// Behaviour only: the quick bench runs end to end and produces figures, files and a valid verdict.
// How fast anything is belongs in bench/results, never in a pass/fail test.
describe("pizzeria bench (quick mode)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pizzeria-bench-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("counts what one order costs the broker from the event catalogue", () => {
    expect(subjectMatches("pizzeria.order.accepted.main.dine_in.*", "pizzeria.order.accepted.main.dine_in.order-1")).toBe(true);
    expect(subjectMatches("pizzeria.order.accepted.main.dine_in.*", "pizzeria.order.accepted.main.takeout.order-1")).toBe(false);
    expect(subjectMatches("pizzeria.order.accepted.main.dine_in.*", "pizzeria.order.accepted.napoli.dine_in.order-1")).toBe(false);
    expect(subjectMatches("pizzeria.order.>", "pizzeria.order.placed.main.takeout.order-1")).toBe(true);
    expect(subjectMatches("pizzeria.order.*.*.*.order-1", "pizzeria.order.ready.main.delivery.order-1")).toBe(true);
    // placed -> payment, order, tracking, 2 notification; paid -> restaurant, order, tracking, 2 notification;
    // accepted -> its kitchen, order, tracking, 2 notification; cooking, ready, completed -> order, tracking, 2 notification each;
    // and the customers' read model (unfiltered, like tracking) each of the 6.
    expect(messagesPerOrder(DEFAULT_ROSTER, featuresOf("2.9.10"))).toMatchObject({ publishes: 6, deliveries: 33 });
    // On 2.10+ the broker filters the order durable: not its own placed and completed.
    expect(messagesPerOrder(DEFAULT_ROSTER, featuresOf("2.15.1"))).toMatchObject({ publishes: 6, deliveries: 31 });
  });

  it("measures the order API beside a bare node:http server, each in its own process", async () => {
    const { result, file } = await runBench({ what: "accept", modes: ["processes"], quick: true, outDir: dir, name: "accept-test" });
    expect(file).toBe(join(dir, `${result.date.slice(0, 10)}-accept-test.json`));
    expect(JSON.parse(readFileSync(file!, "utf8")).name).toBe("accept-test");
    const [a] = result.accept;
    expect(a.mode).toBe("processes");
    expect(a.bare.ok).toBeGreaterThan(0);
    expect(a.accept.ok).toBeGreaterThan(0);
    expect(a.accept.errors).toBe(0);
    expect(a.ratio).toBeGreaterThan(0);
    expect(a.half.ok).toBeGreaterThan(0);
    expect(a.accept.latencyMs.p99).toBeGreaterThan(0);
    // The floor under the half-rate latency: the bare server paced at the same rate.
    expect(a.bareHalf!.targetRate).toBe(a.half.targetRate);
    expect(a.bareHalf!.ok).toBeGreaterThan(0);
    expect(result.targets.find((t) => t.name === "accept[processes] p99 at half the maximum rate")!.actual).toContain("bare node:http at the same rate");
    // Every 201 became an OrderPlaced in JetStream.
    expect(a.durability.complete).toBe(true);
    expect(a.accept.cpu.server).not.toBeUndefined();
    expect(result.baselines.sqlite!.perTransaction).toBeGreaterThan(0);
    expect(result.machine.natsServer).toMatch(/\d+\.\d+/);
    expect(result.targets.map((t) => t.name)).toContain("accept[processes] share of bare node:http");
  }, 60_000);

  it("climbs the pipeline staircase with a valid verdict, beside the raw JetStream ceiling", async () => {
    const { result, file } = await runBench({ what: "pipeline", modes: ["inprocess"], quick: true, outDir: dir, name: "pipeline-test" });
    expect(existsSync(file!)).toBe(true);
    const js = result.baselines.jetstream!;
    expect(js.ordersPerSecond).toBeGreaterThan(0);
    // The filters of the server the bench ran on (VERSION-DEPENDENT, see above).
    expect(js.deliveries).toBe(js.orders * messagesPerOrder(DEFAULT_ROSTER, featuresOf(result.machine.natsServer)).deliveries);
    expect(js.cpuMicrosPerOrder).toBeGreaterThan(0);
    const [p] = result.pipeline;
    expect(p.skipped).toBeUndefined();
    expect(p.staircase!.verdictValid).toBe(true);
    expect(p.staircase!.deliveriesPerOrder).toBeGreaterThan(0);
    expect(p.staircase!.lost + p.staircase!.duplicated + p.staircase!.invalid).toBe(0);
    const [step] = p.staircase!.steps;
    expect(step.rate).toBe(50);
    expect(step.accepted).toBeGreaterThan(0);
    expect(step.endToEnd.count).toBeGreaterThan(0);
    expect(step.endToEnd.p99).toBeGreaterThan(0);
    // In inprocess mode the services are in the harness's own CPU; the broker is the system's.
    expect(step.cpuMicrosPerOrder!.harness).toBeGreaterThan(0);
    expect(step.cpuMicrosPerOrder!.system).toBeGreaterThan(0);
    if (p.atHalf) expect(p.atHalf.verdictValid).toBe(true);
    // The same messages, paced at the step's rate on the raw topology: the baseline of CPU per order there.
    const [paced] = result.baselines.jetstreamPaced!;
    expect(paced.rate).toBe(50);
    expect(paced.cpuMicrosPerOrder).toBeGreaterThan(0);
    expect(step.cpuRatioToRawJetStream).toBeGreaterThan(0);
    expect(result.targets.map((t) => t.name)).toContain("pipeline[inprocess] CPU per order at 50/s over the raw JetStream topology's at that rate");
  }, 90_000);

  it("measures the roster standing by, per process", async () => {
    const { result } = await runBench({ what: "idle", modes: ["processes"], quick: true, outDir: dir, name: "idle-test" });
    const [idle] = result.idle!;
    expect(idle.mode).toBe("processes");
    expect(Object.keys(idle.cpu)).toEqual(expect.arrayContaining(["harness", "nats-server", "order/order-1", "kitchen/chef_mario", "notification/notification-2"]));
    expect(idle.total).toBeGreaterThan(0);
    expect(result.targets.map((t) => t.name)).toContain("idle[processes] roster with nothing ordered");
    expect(renderTables([{ file: "idle-test.json", result }])).toContain("#### Cheap to run");
  }, 60_000);

  it("renders the results as README tables between markers, keeping the rest of the README", () => {
    const entries = readResults(dir);
    expect(entries.length).toBeGreaterThan(0);
    const tables = renderTables(entries);
    expect(tables).toContain("#### Accept");
    expect(tables).toContain("#### Pipeline");
    for (const { file, result } of entries) {
      expect(tables).toContain(file);
      for (const a of result.accept) expect(tables).toContain(`| ${a.mode} | ${a.bare.okPerSecond.toLocaleString("en-US")} |`);
    }
    const readme = join(dir, "README.md");
    writeFileSync(readme, "# Benchmarks\n\nHand-written text.\n");
    updateReadme(readme, dir);
    updateReadme(readme, dir); // twice: replaced, not appended again
    const text = readFileSync(readme, "utf8");
    expect(text).toContain("Hand-written text.");
    expect(text.match(/bench-results:begin/g)).toHaveLength(1);
    expect(text).toContain((entries[0].result as BenchResult).machine.cpuModel);
  });

  it("`bench --update-readme F --no-save` regenerates the tables from the saved results and runs no bench", () => {
    const before = readdirSync(dir).sort();
    const readme = join(dir, "TABLES.md");
    writeFileSync(readme, "# Mine\n");
    const out = execFileSync(process.execPath, [CLI, "bench", "--update-readme", readme, "--out-dir", dir, "--no-save"], { encoding: "utf8" });
    expect(out).toContain(`tables in ${readme} regenerated from ${dir} (--no-save: no bench was run)`);
    const text = readFileSync(readme, "utf8");
    expect(text).toContain("# Mine");
    expect(text).toContain("#### Pipeline");
    for (const { file } of readResults(dir)) expect(text).toContain(file);
    // Nothing was measured or written but the tables.
    expect(readdirSync(dir).sort()).toEqual([...before, "TABLES.md"].sort());
  });

  it("`bench --update-readme --no-save` refuses with exit 2 and the path when there are no results or the README cannot be written", () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, "bench", ...args, "--no-save"], { encoding: "utf8" });
    const empty = mkdtempSync(join(tmpdir(), "pizzeria-bench-empty-"));
    const none = run(["--update-readme", join(empty, "T.md"), "--out-dir", empty]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(`--out-dir ${empty} holds no bench results`);
    expect(existsSync(join(empty, "T.md"))).toBe(false);
    const unwritable = run(["--update-readme", join(empty, "no", "such", "T.md"), "--out-dir", dir]);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toContain(`--update-readme ${join(empty, "no", "such", "T.md")}: cannot write it`);
    rmSync(empty, { recursive: true, force: true });
  });
});
