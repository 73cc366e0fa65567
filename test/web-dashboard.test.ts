import { readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ScenarioRun } from "../src/sim/run.js";
import { WebDashboard } from "../src/sim/outputs/web-dashboard.js";
import { parseScenario } from "../src/sim/scenario/scenario.js";
import type { FaultRecord, LogEntry, RunReport } from "../src/sim/telemetry/run-events.js";
import { launchBrowser } from "./helpers/browser.js";
import { watchedPage } from "./helpers/browser.js";
import { runCli } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

declare const window: any;

// Long enough to be driven from the page; the page's finish button ends it early.
const SCENARIO = `name: web
seed: 3
timeScale: 100
heartbeatInterval: 500ms
load:
  - { duration: 60s, rate: 5 }
expect: { lost: 0, duplicated: 0 }
drainTimeout: 8s
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the live web dashboard (--web)", () => {
  it("serves the charts live over server-sent events, and its buttons drive the run through RunControl", async () => {
    const dir = scratchDir("web");
    dirs.push(dir);
    const outputs: WebDashboard[] = [];
    const run = new ScenarioRun({ scenario: parseScenario(SCENARIO, "web.yaml"), runDir: dir, outputs });
    const web = new WebDashboard(run);
    outputs.push(web);
    const url = await web.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const logs: LogEntry[] = [];
    const faults: FaultRecord[] = [];
    run.on("log", (l) => logs.push(l));
    run.on("fault", (f) => faults.push(f));
    const browser = await launchBrowser();
    try {
      const done = run.run();
      const { page, requests, problems } = await watchedPage(browser, (u) => u.startsWith(url));
      await page.goto(url);
      // Updates arrive by themselves: the page redraws on each `page` event with more seconds in it.
      await page.waitForFunction(() => (window as any).__updates >= 3, null, { timeout: 20_000 });
      expect(await page.locator("[data-verdict]").textContent()).toContain("RUNNING");
      // The scenario's thresholds are shown with their limits, judged only at the end.
      expect(await page.locator("table.thresholds tbody tr").allTextContents()).toEqual(["lost0n/anot judged", "duplicated0n/anot judged"]);
      const sent = await page.evaluate(() => {
        const c = (window as any).__charts.stages;
        return c.data[c.series.findIndex((s: any) => s.label === "sent")].reduce((a: number, b: number | null) => a + (b ?? 0), 0);
      });
      expect(sent).toBeGreaterThan(0);

      await page.click('button[data-action="pause"]');
      await waitFor(() => logs.find((l) => l.message === "load paused"), "the load paused from the page");
      await page.click('button[data-action="resume"]');
      await waitFor(() => logs.find((l) => l.message === "load resumed"), "the load resumed from the page");

      // A fault on the selected process, as the dashboard's keys do; it comes back as a lane.
      await page.selectOption("select", "kitchen/chef_luigi");
      await page.click('button[data-action="inject:stop"]');
      const stop = await waitFor(() => faults.find((f) => f.kind === "stop" && f.source === "manual"), "a manual stop");
      expect(stop.target).toBe("kitchen/chef_luigi");
      await page.waitForSelector(`[data-chart="stages"] .fault-lane[data-fault-id="${stop.id}"]`, { timeout: 10_000 });

      // A wrong command is a 400 that names the field.
      const bad = await fetch(`${url}control`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ action: "inject", kind: "stop" }) });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toContain("target must name a process");
      // Another name for this address (DNS rebinding) is refused.
      const rebound = await new Promise<number>((resolve, reject) => {
        const u = new URL(url);
        http.get({ host: u.hostname, port: u.port, path: "/", headers: { host: `evil.example:${u.port}` } }, (r) => (r.resume(), resolve(r.statusCode ?? 0))).on("error", reject);
      });
      expect(rebound).toBe(403);
      const notJson = await fetch(`${url}control`, { method: "POST", headers: { "content-type": "text/plain" }, body: "pause" });
      expect(notJson.status).toBe(400);

      await page.click('button[data-action="finish"]');
      const report = await done;
      // The last update carries the verdict, then `done`.
      await page.waitForFunction(() => (window as any).__done === true, null, { timeout: 10_000 });
      expect(await page.locator("[data-verdict]").textContent()).toContain(report.verdict.valid ? "VALID" : "INVALID");
      expect(await page.locator("table.thresholds tbody tr").allTextContents()).toEqual(report.thresholds.map((t) => `${t.name}${t.limit}${t.actual}${t.passed ? "PASS" : "MISS"}`));
      expect(report.faults.map((f) => f.id)).toContain(stop.id);
      expect(requests.every((u) => u.startsWith(url))).toBe(true);
      expect(requests.filter((u) => u.endsWith("/events")).length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await browser.close();
    }
  }, 90_000);

  it("is started by `pizzeria run --web`, which prints its address; its event stream sends pages, then done", async () => {
    const dir = scratchDir("web-cli");
    dirs.push(dir);
    const p = runCli(["run", "scenarios/smoke.yaml", "--no-tui", "--web", "--page-port", "0", "--run-dir", join(dir, "run"), "--report", join(dir, "report.json")]);
    const url = (await waitFor(() => /live web dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.stdout())?.[1], "the printed address"))!;
    // Beside it, the customer page (test/customer-page.test.ts drives it).
    const pageUrl = (await waitFor(() => /customer page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.stdout())?.[1], "the customer page's address"))!;
    expect((await fetch(pageUrl)).status).toBe(200);
    // Read the stream as a client would, until the run is over.
    const res = await fetch(`${url}events`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    let text = "";
    for await (const chunk of res.body!) text += Buffer.from(chunk).toString("utf8");
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.filter((e) => e === "page").length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toBe("done");
    const pages = [...text.matchAll(/^data: (\{"label".*)$/gm)].map((m) => JSON.parse(m[1]) as { verdict: string; sent: number[] });
    expect(pages.at(-1)!.verdict).toBe("VALID");
    expect(pages.at(-1)!.sent.reduce((a, b) => a + b, 0)).toBe(50);
    // The run's own exit code: 0 unless a latency limit was missed, which on a shared machine is a
    // bench figure, not this test's business (the verdict above is).
    const code = (await p.exited).code;
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as RunReport;
    expect(report.verdict.valid).toBe(true);
    expect(code).toBe(report.exitCode);

    const taken = runCli(["run", "scenarios/smoke.yaml", "--no-tui", "--web", "--web-port", "70000"]);
    expect((await taken.exited).code).toBe(2);
    expect(taken.stderr()).toContain("--web-port must be a port number");
  }, 60_000);
});
