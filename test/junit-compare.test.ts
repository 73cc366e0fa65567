import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareReports, parseFailOn } from "../src/sim/outputs/compare.js";
import { junitXml } from "../src/sim/outputs/junit.js";
import { buildReport } from "../src/sim/telemetry/report.js";
import type { RunReport } from "../src/sim/telemetry/run-events.js";
import { launchBrowser, watchedPage } from "./helpers/browser.js";
import { runCli } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";
import { smallRun, verdictOf } from "./telemetry/report-fixture.js";

declare const window: any;
declare const document: any;
declare const DOMParser: any;

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchBrowser();
  dir = scratchDir("junit-compare");
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fixture's run, asked for the throughput it had (0.5 orders/s), so every threshold is met. */
const passing = () => {
  const base = smallRun();
  const r = buildReport({ ...base, scenario: { ...base.scenario, expect: { ...base.scenario.expect, minThroughput: 0.5 } } });
  expect(r.passed).toBe(true);
  return r;
};
const failing = () => {
  const r = buildReport(smallRun({ verdict: verdictOf([{ orderNumber: "ORD_20261202_007", reason: "accepted (201) but never completed" }]) }));
  r.thresholds = [{ name: "acceptP99", limit: 10, actual: 40, passed: false }, ...r.thresholds];
  return r;
};

/**
 * The JUnit shape CI systems read (Jenkins' junit-10.xsd, Surefire, GitLab): testsuites >
 * testsuite[name tests failures errors] > testcase[name classname] > failure[message]? Checked on
 * the document as Chromium's XML parser reads it; returns what is wrong, one line each.
 */
async function junitProblems(xml: string): Promise<{ problems: string[]; cases: Array<{ suite: string; name: string; failure: string | null; body: string }> }> {
  const page = await browser.newPage();
  const out = await page.evaluate((text: string) => {
    const doc = new DOMParser().parseFromString(text, "application/xml");
    const problems: string[] = [];
    if (doc.getElementsByTagName("parsererror").length) return { problems: ["not well-formed XML"], cases: [] };
    const root = doc.documentElement;
    if (root.tagName !== "testsuites") problems.push(`root is <${root.tagName}>`);
    const int = (el: any, a: string) => /^\d+$/.test(el.getAttribute(a) ?? "");
    const cases: any[] = [];
    let total = 0;
    let totalFailures = 0;
    for (const suite of [...root.children]) {
      if (suite.tagName !== "testsuite") problems.push(`<${suite.tagName}> under <testsuites>`);
      for (const a of ["tests", "failures", "errors"]) if (!int(suite, a)) problems.push(`testsuite ${a}="${suite.getAttribute(a)}"`);
      if (!suite.getAttribute("name")) problems.push("testsuite without a name");
      if (!/^\d+(\.\d+)?$/.test(suite.getAttribute("time") ?? "0")) problems.push("testsuite time not a number");
      const kids = [...suite.children];
      const failures = kids.filter((c: any) => c.getElementsByTagName("failure").length > 0).length;
      if (Number(suite.getAttribute("tests")) !== kids.length) problems.push(`tests=${suite.getAttribute("tests")} but ${kids.length} testcases`);
      if (Number(suite.getAttribute("failures")) !== failures) problems.push(`failures=${suite.getAttribute("failures")} but ${failures} failed`);
      total += kids.length;
      totalFailures += failures;
      for (const c of kids) {
        if (c.tagName !== "testcase") problems.push(`<${c.tagName}> under <testsuite>`);
        if (!c.getAttribute("name") || !c.getAttribute("classname")) problems.push("testcase without name or classname");
        for (const f of [...c.children]) if (!["failure", "error", "skipped", "system-out", "system-err"].includes(f.tagName)) problems.push(`<${f.tagName}> in a testcase`);
        const failure = c.getElementsByTagName("failure")[0];
        if (failure && !failure.getAttribute("message")) problems.push("failure without a message");
        cases.push({ suite: suite.getAttribute("name"), name: c.getAttribute("name"), failure: failure ? failure.getAttribute("message") : null, body: failure ? failure.textContent : "" });
      }
    }
    if (Number(root.getAttribute("tests")) !== total) problems.push(`testsuites tests=${root.getAttribute("tests")} but ${total}`);
    if (Number(root.getAttribute("failures")) !== totalFailures) problems.push(`testsuites failures=${root.getAttribute("failures")} but ${totalFailures}`);
    return { problems, cases };
  }, xml);
  await page.close();
  return out;
}

describe("JUnit XML", () => {
  it("has the JUnit shape: a suite of thresholds and one of checker checks, all passing for a passing run", async () => {
    const report = passing();
    const { problems, cases } = await junitProblems(junitXml(report));
    expect(problems).toEqual([]);
    const thresholds = cases.filter((c) => c.suite.endsWith(".thresholds"));
    expect(thresholds.map((c) => c.name.split(" ")[0])).toEqual(report.thresholds.map((t) => t.name));
    expect(cases.filter((c) => c.suite.endsWith(".checker")).map((c) => c.name)).toEqual(expect.arrayContaining(["drained", "lost = 0", "duplicated = 0", "invalid = 0", "deadLettered = 0"]));
    expect(cases.every((c) => c.failure === null)).toBe(true);
  });

  it("fails a missed threshold with its figure and a finding with the order it names", async () => {
    const { problems, cases } = await junitProblems(junitXml(failing()));
    expect(problems).toEqual([]);
    expect(cases.find((c) => c.name === "acceptP99 <= 10")).toMatchObject({ failure: "acceptP99 was 40; the limit is at most 10" });
    const lost = cases.find((c) => c.name === "lost = 0")!;
    expect(lost.failure).toBe("1 lost");
    expect(lost.body).toContain("ORD_20261202_007: accepted (201) but never completed");
  });

  it("escapes what the XML cannot hold as it is", async () => {
    const r = failing();
    r.scenario = `a "quoted" <scenario> & more`;
    r.verdict.findings.lost[0].reason = "control \u0001 char and ]]> and <tag>";
    const { problems, cases } = await junitProblems(junitXml(r));
    expect(problems).toEqual([]);
    expect(cases[0].suite).toBe(`pizzeria.a "quoted" <scenario> & more.thresholds`);
    expect(cases.find((c) => c.name === "lost = 0")!.body).toContain("control  char and ]]> and <tag>");
  });
});

/** A run directory holding only a report.json (what compare needs at least). */
function runDirWith(name: string, report: RunReport): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "report.json"), JSON.stringify({ ...report, runDir: d }));
  return d;
}

/** A run directory with its report.json and a timeline.ndjson of ticks as a run writes them (two consumers' queues, `scale` apart). */
function runDirWithTimeline(name: string, report: RunReport, scale: number): string {
  const d = runDirWith(name, report);
  const ticks = report.throughput.perSecond.map((s, i) => ({
    t: 0,
    type: "tick",
    data: {
      elapsedMs: (i + 1) * 1000,
      state: "running",
      targetRate: 1,
      totals: { sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, inFlight: i * scale, stages: {} },
      queues: [
        { consumer: "kitchen-dine_in", pending: i * scale, ackPending: scale },
        { consumer: "notification", pending: scale, ackPending: 0 },
      ],
      workers: [],
      lastSecond: s,
    },
  }));
  writeFileSync(join(d, "timeline.ndjson"), `${ticks.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return d;
}

describe("pizzeria compare", () => {
  it("finds no regression between two equal runs (exit 0) and fails a regressed one (exit 1)", async () => {
    const base = passing();
    const a = runDirWith("base", base);
    const same = runDirWith("same", base);
    const equal = runCli(["compare", a, same, "--fail-on", "endToEndP99:+10%,accepted:-5%"]);
    expect((await equal.exited).code).toBe(0);
    expect(equal.stdout()).toContain("no regression");

    const worse: RunReport = JSON.parse(JSON.stringify(base));
    worse.latency.endToEnd.p99 = base.latency.endToEnd.p99 * 1.2;
    worse.orders.accepted = base.orders.accepted; // unchanged: only the latency regressed
    const b = runDirWith("worse", worse);
    const html = join(dir, "compare.html");
    const regressed = runCli(["compare", a, b, "--fail-on", "endToEndP99:+10%,accepted:-5%", "--html", html]);
    expect((await regressed.exited).code).toBe(1);
    expect(regressed.stdout()).toMatch(/endToEndP99 .*\+20%\s+✗ regressed \(endToEndP99:\+10%\)/);
    expect(regressed.stdout()).toContain("REGRESSED: endToEndP99");

    // The page shows both runs, their charts overlaid, and the table with the regression marked; offline.
    const w = await watchedPage(browser, (url) => url.startsWith("file:"));
    await w.page.goto(pathToFileURL(html).href);
    await w.page.waitForFunction(() => (window as any).__rendered >= 1);
    expect(w.requests).toEqual([pathToFileURL(html).href]);
    expect(w.problems).toEqual([]);
    expect(await w.page.locator('[data-panel="header"] h2').allTextContents()).toEqual(["base: small", "worse: small"]);
    const labels: string[] = await w.page.evaluate(() => (window as any).__charts.endToEnd.series.map((s: any) => s.label));
    expect(labels).toEqual(expect.arrayContaining(["base: p99", "worse: p99"]));
    const row = await w.page.locator("table.comparison tr", { hasText: "endToEndP99" }).first().textContent();
    expect(row).toContain("REGRESSED");
    await w.page.close();
  });

  it("overlays every time chart of the one-run page, each run in its own colour, with both runs' fault lanes", async () => {
    const base = passing();
    const other: RunReport = JSON.parse(JSON.stringify(base));
    other.throughput.perSecond = other.throughput.perSecond.map((s) => ({ ...s, paid: s.paid * 2 + 1, cancelled: s.cancelled + 3, acceptP95: (s.acceptP95 ?? 0) + 5, endToEndP50: (s.endToEndP50 ?? 0) + 7 }));
    other.faults = [{ ...base.faults[0], id: "f9", kind: "pause", startedAtMs: 2_500, endedAtMs: 3_500 }];
    expect(base.throughput.perSecond.length).toBeGreaterThan(2);
    expect(base.throughput.perSecond.reduce((n, s) => n + s.paid + s.completed, 0)).toBeGreaterThan(0);
    const a = runDirWithTimeline("overlay-a", base, 1);
    const b = runDirWithTimeline("overlay-b", other, 3);
    const html = join(dir, "overlay.html");
    const p = runCli(["compare", a, b, "--html", html]);
    expect((await p.exited).code).toBe(0);

    const w = await watchedPage(browser, (url) => url.startsWith("file:"));
    await w.page.goto(pathToFileURL(html).href);
    await w.page.waitForFunction(() => (window as any).__rendered >= 1);
    expect(w.problems).toEqual([]);
    const charts = await w.page.evaluate(() => {
      const c = (window as any).__charts;
      return Object.fromEntries(
        Object.entries(c).map(([name, u]: [string, any]) => [
          name,
          {
            series: u.series.slice(1).map((s: any, i: number) => ({ label: s.label, stroke: typeof s.stroke === "function" ? s.stroke(u, i + 1) : s.stroke, values: u.data[i + 1] })),
            lanes: [...document.querySelectorAll(`[data-chart="${name}"] .fault-lane`)].map((el: any) => [el.dataset.faultId, el.className, Number(el.dataset.fromS), Number(el.dataset.toS)]),
          },
        ]),
      );
    });
    await w.page.screenshot({ path: join(dir, "overlay.png"), fullPage: true });
    expect(statSync(join(dir, "overlay.png")).size).toBeGreaterThan(50_000);
    await w.page.close();
    const column = (chart: string, label: string) => {
      const s = charts[chart]?.series.find((x: any) => x.label === label);
      if (!s) throw new Error(`no series "${label}" on chart ${chart}`);
      return s.values;
    };
    const runs: Array<[string, RunReport]> = [["overlay-a", base], ["overlay-b", other]];
    const stageNames = ["placed", "paid", "cooking", "ready", "completed", "cancelled", "payment_failed"];
    const consumers = ["kitchen-dine_in", "notification"];
    const timeCharts = ["stages", ...stageNames.map((n) => `stage:${n}`), "accept", "endToEnd", "queues", ...consumers.map((c) => `queue:${c}`)];
    expect(Object.keys(charts)).toEqual(expect.arrayContaining(timeCharts));
    for (const [label, r] of runs) {
      const per = r.throughput.perSecond as any[];
      for (const n of stageNames.slice(0, 6)) expect(column(`stage:${n}`, `${label}: ${n}`), `${label} ${n}`).toEqual(per.map((s) => s[n]));
      expect(column("stage:payment_failed", `${label}: payment_failed`)).toEqual(per.map(() => 0));
      for (const [chart, of] of [["accept", "accept"], ["endToEnd", "endToEnd"]]) {
        for (const q of ["P50", "P95", "P99"]) expect(column(chart, `${label}: ${q.toLowerCase()}`), `${label} ${chart} ${q}`).toEqual(per.map((s) => s[`${of}${q}`] ?? null));
      }
      expect(column("stages", `${label}: sent`)).toEqual(per.map((s) => s.sent));
    }
    // Queues from each run's ticks: the sums, and each consumer on its own chart.
    expect(column("queues", "overlay-a: pending, all consumers")).toEqual(base.throughput.perSecond.map((_, i) => i + 1));
    expect(column("queues", "overlay-b: pending, all consumers")).toEqual(other.throughput.perSecond.map((_, i) => i * 3 + 3));
    expect(column("queue:kitchen-dine_in", "overlay-b: pending")).toEqual(other.throughput.perSecond.map((_, i) => i * 3));
    expect(column("queue:notification", "overlay-a: ack pending")).toEqual(base.throughput.perSecond.map(() => 0));
    // The two runs differ where their figures do (the overlay is not one run drawn twice).
    expect(column("stage:paid", "overlay-b: paid")).not.toEqual(column("stage:paid", "overlay-a: paid"));
    for (const name of timeCharts) {
      const { series, lanes } = charts[name];
      const colours = (label: string) => [...new Set(series.filter((s: any) => s.label.startsWith(`${label}: `)).map((s: any) => s.stroke))];
      expect(colours("overlay-a"), name).toHaveLength(1);
      expect(colours("overlay-b"), name).toHaveLength(1);
      expect(colours("overlay-a")[0], name).not.toBe(colours("overlay-b")[0]);
      expect(series.every((s: any) => /^overlay-[ab]: /.test(s.label)), name).toBe(true);
      expect(lanes, name).toEqual([
        ["f1", "fault-lane run-0", 1, 2],
        ["f9", "fault-lane run-1", 2.5, 3.5],
      ]);
    }
  });

  it("refuses a --fail-on it cannot read, naming the figure (exit 2)", async () => {
    const a = runDirWith("bad-a", passing());
    const p = runCli(["compare", a, a, "--fail-on", "p99:+10%"]);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain('unknown figure "p99"');
    const q = runCli(["compare", a, join(dir, "nowhere")]);
    expect((await q.exited).code).toBe(2);
    expect(q.stderr()).toContain("no such run directory or report file");
    expect(() => parseFailOn("accepted:5%")).toThrow(/should be <figure>:\+<n>%/);
  });

  it("judges each rule in its direction: a rise for latencies, a fall for counts, absolute amounts too", () => {
    const a = passing();
    const b: RunReport = JSON.parse(JSON.stringify(a));
    expect(a.orders.accepted).toBe(2);
    b.orders.accepted = 1; // a fall of 50%
    b.verdict.lost = 1;
    b.latency.endToEnd.p99 = a.latency.endToEnd.p99 / 2; // better: never a regression
    const regressed = (rules: string) => compareReports(a, b, parseFailOn(rules)).filter((r) => r.regressed).map((r) => r.regressed);
    expect(regressed("accepted:-60%")).toEqual([]);
    expect(regressed("accepted:-40%")).toEqual(["accepted:-40%"]);
    expect(regressed("lost:+0")).toEqual(["lost:+0"]);
    expect(regressed("lost:+1")).toEqual([]);
    expect(regressed("endToEndP99:+0%")).toEqual([]);
    expect(compareReports(a, b).find((r) => r.figure === "accepted")).toMatchObject({ a: 2, b: 1, changePercent: -50, better: "higher" });
  });
});
