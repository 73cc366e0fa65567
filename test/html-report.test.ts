import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportHtml } from "../src/sim/outputs/html-report.js";
import { buildReport } from "../src/sim/telemetry/report.js";
import { emptyRecord } from "../src/sim/telemetry/run-record.js";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { launchBrowser, watchedPage } from "./helpers/browser.js";
import { runCli } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";
import { runScenarioText } from "./helpers/scenario-run.js";
import { smallRun, verdictOf } from "./telemetry/report-fixture.js";
import { waitFor } from "./helpers/wait.js";

// What page.evaluate runs is the page's own code: its globals.
declare const window: any;
declare const document: any;

// A short run with a kitchen stop (a fault with a window and a recovery) and a poison message (a dead letter).
const SCENARIO = `timeScale: 100
heartbeatInterval: 500ms
load:
  - { duration: 4s, rate: 10 }
services:
  payment: { instances: 1, failureRate: 0.1, latency: 5ms }
chaos:
  - { at: 1500ms, stop: kitchen/chef_luigi, restartAfter: 1s }
  - { at: 2500ms, fault: poison, count: 1 }
expect: { lost: 0, duplicated: 0, acceptP99: 1s }
drainTimeout: 8s
`;

// Sixty seconds of load, killed after a few: a run that never reaches its report.
const KILLED_SCENARIO = `name: killed
seed: 7
timeScale: 100
heartbeatInterval: 500ms
load:
  - { duration: 60s, rate: 10 }
chaos:
  - { at: 1500ms, stop: kitchen/chef_luigi, restartAfter: 1s }
expect: { lost: 0, acceptP99: 1s, endToEndP95: 3s }
drainTimeout: 8s
`;

const TIME_CHARTS = ["stages", "accept", "endToEnd", "queues", "kitchen"];

let browser: Browser;
let run: RunReport & { dir: string };
let html: string;

beforeAll(async () => {
  [browser, run] = await Promise.all([launchBrowser(), runScenarioText("html", SCENARIO, { keepDir: true })]);
  html = readFileSync(join(run.dir, "report.html"), "utf8");
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (run) rmSync(run.dir, { recursive: true, force: true });
});

/** The data the page carries (its <script type="application/json">). */
function pageData(text: string): { runs: Array<Record<string, any>> } {
  const m = /<script id="run-data" type="application\/json">([\s\S]*?)<\/script>/.exec(text);
  if (!m) throw new Error("the page carries no run data");
  return JSON.parse(m[1]);
}

/** Opens a page from a file, with every request recorded and any non-file one aborted. */
async function openFile(file: string) {
  const w = await watchedPage(browser, (url) => url.startsWith("file:"));
  await w.page.goto(pathToFileURL(file).href);
  await w.page.waitForFunction(() => (window as any).__rendered >= 1);
  return w;
}

describe("report.html", () => {
  it("is written in the run directory, self-contained, with the JSON report's own figures", () => {
    expect(run.faults.map((f) => f.kind)).toEqual(["stop", "poison"]);
    expect(run.deadLetters).toBeGreaterThan(0);
    // Nothing to fetch: no external script, stylesheet, image or frame, no CSS url() or @import.
    expect(html).not.toMatch(/<(script|link|img|iframe|source|embed)\b[^>]*\b(src|href)\s*=/i);
    expect(html).not.toMatch(/url\(\s*['"]?(?!data:)/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain("default-src 'none'");
    const page = pageData(html).runs[0];
    const perSecond = run.throughput.perSecond;
    expect(page.thresholds).toEqual(run.thresholds);
    expect(page.seconds).toEqual(perSecond.map((s) => s.t));
    for (const stage of ["placed", "paid", "cooking", "ready", "completed", "cancelled"] as const) {
      expect(page.stages.find((s: any) => s.name === stage).values, stage).toEqual(perSecond.map((s) => s[stage]));
    }
    // Every event kind of the contracts has its series, PaymentFailed included.
    expect(page.stages.map((s: any) => s.name)).toContain("payment_failed");
    expect(page.errors).toEqual(perSecond.map((s) => s.errors));
    expect(page.acceptLatency.p99).toEqual(perSecond.map((s) => s.acceptP99));
    expect(page.endToEndLatency.p95).toEqual(perSecond.map((s) => s.endToEndP95));
    expect(page.histograms).toEqual(run.distribution);
    expect(run.distribution!.accept.counts.reduce((a, b) => a + b, 0)).toBe(run.latency.accept.count);
    expect(page.faults.map((f: any) => [f.id, f.startedAtMs, f.recovery])).toEqual(run.faults.map((f) => [f.id, f.startedAtMs, f.recovery]));
    expect(page.deadLetters).toEqual({ count: run.deadLetters, samples: run.deadLetterSamples });
    // The kitchen bars are the orders cooked, on the workers that cooked them.
    expect(page.kitchen.cooks.length).toBe(run.workers.reduce((n, w) => n + w.ordersCooked, 0));
    expect(page.queues.length).toBeGreaterThan(0);
  });

  it("opens offline in Chromium with no request but its own file and no console error, every panel showing the run's figures", async () => {
    const file = join(run.dir, "report.html");
    const { page, requests, problems } = await openFile(file);
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
    for (const panel of ["header", "charts", "faults", "findings", "deadLetters", "workers"]) {
      await expect(page.locator(`[data-panel="${panel}"]`).count(), panel).resolves.toBe(1);
    }
    expect(await page.locator("[data-verdict]").textContent()).toContain(run.verdict.valid ? "VALID" : "INVALID");
    expect(await page.locator("table.thresholds tbody tr").count()).toBe(run.thresholds.length);
    expect(await page.locator("table.faults tbody tr").count()).toBe(run.faults.length);
    expect(await page.locator("table.workers tbody tr").count()).toBe(run.workers.length);
    expect(await page.locator("[data-dead-letters]").getAttribute("data-dead-letters")).toBe(String(run.deadLetters));
    for (const chart of [...TIME_CHARTS, "acceptHistogram", "endToEndHistogram"]) {
      await expect(page.locator(`[data-chart="${chart}"] canvas`).count(), chart).resolves.toBeGreaterThan(0);
    }
    // What uPlot was given to draw: the report's per-second figures.
    const drawn = await page.evaluate(() => {
      const c = (window as any).__charts;
      const column = (name: string, label: string) => c[name].data[c[name].series.findIndex((s: any) => s.label === label)];
      return { completed: column("stages", "completed"), sent: column("stages", "sent"), p99: column("accept", "p99"), histogram: c.acceptHistogram.data[1] };
    });
    expect(drawn.completed).toEqual(run.throughput.perSecond.map((s) => s.completed));
    expect(drawn.sent.reduce((a: number, b: number) => a + b, 0)).toBe(run.orders.sent);
    expect(drawn.p99).toEqual(run.throughput.perSecond.map((s) => s.acceptP99));
    expect(drawn.histogram).toEqual(run.distribution!.accept.counts);
    const shot = join(run.dir, "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    await page.close();
  });

  it("shades every fault as a lane across every time chart, where the fault was, with its recovery figures", async () => {
    const { page } = await openFile(join(run.dir, "report.html"));
    const lanes = await page.evaluate((charts) => {
      const c = (window as any).__charts;
      return charts.map((name: string) =>
        [...document.querySelectorAll(`[data-chart="${name}"] .fault-lane`)].map((el: any) => ({
          id: el.dataset.faultId,
          fromS: Number(el.dataset.fromS),
          toS: Number(el.dataset.toS),
          left: parseFloat(el.style.left),
          width: parseFloat(el.style.width),
          // Where uPlot itself puts the fault's start and end on this chart's x axis.
          expectedLeft: c[name].valToPos(Number(el.dataset.fromS), "x"),
          expectedRight: c[name].valToPos(Number(el.dataset.toS), "x"),
          title: el.title,
        })),
      );
    }, TIME_CHARTS);
    for (const [i, chartLanes] of lanes.entries()) {
      expect(chartLanes.map((l: any) => l.id), TIME_CHARTS[i]).toEqual(run.faults.map((f) => f.id));
      for (const [j, lane] of chartLanes.entries()) {
        const f = run.faults[j];
        expect(lane.fromS).toBe(f.startedAtMs / 1000);
        expect(lane.toS).toBe((f.endedAtMs ?? f.startedAtMs) / 1000);
        expect(Math.abs(lane.left - lane.expectedLeft)).toBeLessThan(1);
        expect(lane.left + lane.width).toBeGreaterThanOrEqual(lane.expectedRight - 1);
        expect(lane.title).toContain(f.kind);
      }
    }
    const stop = run.faults.find((f) => f.kind === "stop")!;
    const stopLane = lanes[0].find((l: any) => l.id === stop.id)!;
    expect(stopLane.width).toBeGreaterThan(20); // a 1 s window on a ~5 s chart
    expect(stopLane.title).toMatch(/throughput back after .*; backlog drained after .*; peak in flight \d+/);
    // The faults table says the same recovery figures in words.
    const row = await page.locator("table.faults tbody tr").first().textContent();
    expect(row).toContain(String(stop.recovery!.peakInFlight));
    await page.close();
  });

  it("names the orders of the checker's findings", async () => {
    const report = buildReport(smallRun({ verdict: verdictOf([{ orderNumber: "ORD_20261202_042", reason: "accepted (201) but never completed", history: ["received", "paid"] }]) }));
    const dir = scratchDir("html-findings");
    const file = join(dir, "report.html");
    writeFileSync(file, reportHtml({ ...emptyRecord(), report, faults: report.faults }));
    const { page, problems } = await openFile(file);
    expect(problems).toEqual([]);
    expect(await page.locator("[data-verdict]").textContent()).toContain("INVALID");
    const lost = page.locator('[data-panel="findings"] h3[data-kind="lost"]');
    expect(await lost.textContent()).toContain("lost: 1");
    const findings = await page.locator('[data-panel="findings"] table.findings').textContent();
    expect(findings).toContain("ORD_20261202_042");
    expect(findings).toContain("accepted (201) but never completed");
    expect(findings).toContain("received > paid");
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("pizzeria report <run-dir>", () => {
  it("rebuilds report.html, and report.json when gone, of a finished run from its timeline", async () => {
    const json = readFileSync(join(run.dir, "report.json"), "utf8");
    rmSync(join(run.dir, "report.json"));
    rmSync(join(run.dir, "report.html"));
    const p = runCli(["report", run.dir]);
    expect((await p.exited).code).toBe(0);
    expect(p.stdout().trim()).toBe(join(run.dir, "report.html"));
    expect(JSON.parse(readFileSync(join(run.dir, "report.json"), "utf8"))).toEqual(JSON.parse(json));
    expect(pageData(readFileSync(join(run.dir, "report.html"), "utf8"))).toEqual(pageData(html));
  });

  it("rebuilds the page and the JSON report of a run killed before its end, from its timeline, unfinished and not judged", async () => {
    const dir = scratchDir("html-killed");
    const runDir = join(dir, "run");
    // A long load (killed long before its end) with a kitchen stop early on.
    const scenario = join(dir, "killed.yaml");
    writeFileSync(scenario, KILLED_SCENARIO);
    const p = runCli(["run", scenario, "--no-tui", "--run-dir", runDir]);
    const timeline = join(runDir, "timeline.ndjson");
    // Killed after its kitchen stop began and three ticks more.
    const ticksAfterFault = () => readFileSync(timeline, "utf8").split('"type":"fault"').slice(1).join("").split('"type":"tick"').length - 1;
    await waitFor(() => existsSync(timeline) && ticksAfterFault() > 3, "the fault and three ticks after it in the timeline");
    p.child.kill("SIGKILL");
    await p.exited;
    expect(existsSync(join(runDir, "report.json"))).toBe(false);

    const rebuilt = runCli(["report", runDir]);
    expect((await rebuilt.exited).code).toBe(0);
    expect(rebuilt.stdout()).toContain("ended without its report");
    expect(rebuilt.stdout()).toContain(`${join(runDir, "report.json")} (finished: false)`);
    expect(rebuilt.stdout()).toContain("UNFINISHED, not judged");

    // report.json: what the timeline's ticks say, no verdict invented.
    const lines = readFileSync(timeline, "utf8").split("\n").flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    const ticks = lines.filter((l) => l.type === "tick").map((l) => l.data);
    const last = ticks.at(-1);
    const json = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8"));
    expect(json.finished).toBe(false);
    expect(json.verdict.valid).toBeNull();
    expect(json.verdict.reason).toContain("the checker's verdict needs the services' own accounts");
    expect([json.passed, json.exitCode]).toEqual([null, null]);
    expect(json.ticks).toBe(ticks.length);
    expect(json.lastTickAtMs).toBe(last.elapsedMs);
    const t = last.totals;
    expect(json.orders).toEqual({ planned: lines.find((l) => l.type === "start").data.plannedOrders, sent: t.sent, accepted: t.accepted, rejected: t.rejected, errors: t.errors, late: t.late, completed: t.stages.completed, cancelled: t.stages.cancelled, inFlight: t.inFlight });
    expect(json.orders.sent).toBeGreaterThan(0);
    const seconds = new Map<number, unknown>(ticks.map((k: any) => [k.lastSecond.t, k.lastSecond]));
    expect(json.throughput.perSecond.length).toBe(Math.max(...seconds.keys()) + 1);
    for (const [sec, sample] of seconds) expect(json.throughput.perSecond[sec], `second ${sec}`).toEqual(sample);
    expect(json.throughput.acceptedPerSecond).toBeCloseTo(t.accepted / (last.elapsedMs / 1000), 2);
    expect(json.lastWindowLatency).toEqual(last.latency);
    expect(json.workers).toEqual(last.workers);
    expect(json.deadLetters).toBe(last.deadLetters);
    const faultEvents = lines.filter((l) => l.type === "fault").map((l) => l.data);
    const lastOfEach = [...new Map(faultEvents.map((f: any) => [f.id, f])).values()] as any[];
    expect(json.faults.map(({ recovery: _r, ...f }: any) => f)).toEqual(lastOfEach);
    expect(json.faults.map((f: any) => f.kind)).toEqual(["stop"]);
    const rec = json.faults[0].recovery;
    expect([rec.touchedOrders, rec.findings]).toEqual([null, null]); // the orders it touched need the checker
    expect(rec.peakInFlight).toBeGreaterThanOrEqual(json.faults[0].inFlightAtStart ?? 0);
    expect(json.thresholds.map((x: any) => x.name).sort()).toEqual(["acceptP99", "endToEndP95", "lost"]);
    expect(json.thresholds.every((x: any) => x.actual === null && x.passed === null)).toBe(true);

    // compare takes it, on what it has, marked unfinished.
    const compared = runCli(["compare", run.dir, runDir, "--json"]);
    expect((await compared.exited).code).toBe(0);
    const cmp = JSON.parse(compared.stdout());
    expect(cmp.b).toMatch(/\(unfinished\)$/);
    expect(cmp.unfinished).toEqual({ a: false, b: true });
    const row = (f: string) => cmp.rows.find((r: any) => r.figure === f);
    expect(row("sent").b).toBe(t.sent);
    expect([row("lost").b, row("endToEndP99").b, row("drainMs").b]).toEqual([null, null, null]);
    const comparePage = join(dir, "compare.html");
    const table = runCli(["compare", run.dir, runDir, "--html", comparePage]);
    expect((await table.exited).code).toBe(0);
    expect(table.stdout()).toContain("not judged");
    const cmpPage = await openFile(comparePage);
    expect(cmpPage.problems).toEqual([]);
    expect(await cmpPage.page.locator("[data-verdict]").allTextContents()).toEqual([expect.stringContaining(run.verdict.valid ? "VALID" : "INVALID"), expect.stringContaining("UNFINISHED")]);
    await cmpPage.page.close();
    const { page, problems } = await openFile(join(runDir, "report.html"));
    expect(problems).toEqual([]);
    expect(await page.locator("[data-verdict]").textContent()).toContain("UNFINISHED");
    const sent = await page.evaluate(() => {
      const c = (window as any).__charts.stages;
      return c.data[c.series.findIndex((s: any) => s.label === "sent")].reduce((a: number, b: number | null) => a + (b ?? 0), 0);
    });
    expect(sent).toBeGreaterThan(0);
    await page.close();

    const missing = runCli(["report", join(dir, "nowhere")]);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toContain("no timeline.ndjson");
    rmSync(dir, { recursive: true, force: true });
  });
});
