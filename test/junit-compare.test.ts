import { mkdirSync, rmSync, writeFileSync } from "node:fs";
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
