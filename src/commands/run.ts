import { writeFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { ConfigError, errorMessage } from "../services/shared/errors.js";
import { RUN_MODES, type RunMode } from "../sim/scenario/run-mode.js";
import { EXIT, natsFromArgs, natsOptions, runCommand, type NatsArgs } from "./common.js";
import { metricsOptions, pageOptions, startMetrics, startPage, startWeb, webOptions, type MetricsArgs, type PageArgs, type WebArgs } from "./outputs.js";
import type { RunOutput } from "../sim/outputs/output.js";

interface RunArgs extends NatsArgs, WebArgs, PageArgs, MetricsArgs {
  html?: string;
  junit?: string;
  scenario: string;
  report?: string;
  tui: boolean;
  mode?: RunMode;
  runDir?: string;
  seed?: number;
  cluster?: number;
  logLevel: string;
  proxies: boolean;
}

export const runScenarioCommand: CommandModule<object, RunArgs> = {
  command: "run <scenario>",
  describe: "Run a scenario: boot the system, offer its load, inject its faults, then drain, check and report",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "Scenario file (YAML), e.g. scenarios/lunch-rush.yaml", normalize: true })
      .options({
        ...natsOptions,
        report: { type: "string", describe: "Also write the machine-readable report here (JSON)", normalize: true },
        html: { type: "string", describe: "Also write the HTML report here (self-contained, offline; every run directory has report.html anyway)", normalize: true },
        junit: { type: "string", describe: "Write JUnit XML here: each threshold and each checker check a test case, for CI", normalize: true },
        ...webOptions,
        ...pageOptions,
        ...metricsOptions,
        tui: { type: "boolean", default: true, describe: "Live dashboard when stdout is a terminal (--no-tui: plain lines)" },
        mode: { type: "string", choices: RUN_MODES, describe: "Run services in this process or each as its own process (default: the scenario's)" },
        "run-dir": { type: "string", describe: "Directory for logs, databases, timeline and report (default runs/<time>-<name>)", normalize: true },
        seed: { type: "number", describe: "Override the scenario's seed" },
        cluster: { type: "number", describe: "Start a local JetStream cluster of this many nodes (streams R3) instead of one server" },
        "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "info", describe: "Services' log level (their logs go to the run directory)" },
        proxies: { type: "boolean", default: false, describe: "Put a TCP proxy in front of each service even without network faults in the scenario (for `pizzeria chaos`)" },
      })
      .example("$0 run scenarios/smoke.yaml", "a quick run with the live view")
      .example("$0 run scenarios/kitchen-crash.yaml --no-tui --report out.json", "for CI: plain lines, a JSON report, exit code 0/1")
      .example("$0 run scenarios/smoke.yaml --no-tui --junit junit.xml --html report.html", "for CI: JUnit XML and the HTML report as artefacts")
      .example("$0 run scenarios/lunch-rush.yaml --web", "the live web dashboard beside the terminal one, and the customer page (port 3001) to order from") as unknown as Argv<RunArgs>,
  handler: (args) =>
    runCommand(async () => {
      const [{ loadScenario, NETWORK_FAULTS }, { ScenarioRun }, { attachPlainReporter }, { HtmlReportOutput }, { JUnitOutput }] = await Promise.all([
        import("../sim/scenario/scenario.js"),
        import("../sim/run.js"),
        import("../tui/plain-reporter.js"),
        import("../sim/outputs/html-report.js"),
        import("../sim/outputs/junit.js"),
      ]);
      const scenario = loadScenario(args.scenario);
      if (args.cluster !== undefined && !(Number.isInteger(args.cluster) && args.cluster >= 1 && args.cluster <= 5)) {
        throw new ConfigError(`--cluster must be a number of nodes from 1 to 5; got ${args.cluster}`);
      }
      if (args.seed !== undefined) {
        if (!Number.isSafeInteger(args.seed) || args.seed < 0) throw new ConfigError(`--seed must be a whole number >= 0; got ${args.seed}`);
        scenario.seed = args.seed;
      }
      // report.html in the run directory is always written; these come on top.
      const outputs: RunOutput[] = [...(args.html ? [new HtmlReportOutput(args.html)] : []), ...(args.junit ? [new JUnitOutput(args.junit)] : [])];
      // The customer page's orders are checked with the load's: taken in as placed elsewhere.
      const page = args.page ?? args.web;
      const run = new ScenarioRun({
        outputs,
        scenario,
        adopt: page,
        nats: natsFromArgs(args) ?? undefined,
        runDir: args.runDir,
        mode: args.mode,
        logLevel: args.logLevel,
        proxies: args.proxies || scenario.chaos.some((c) => NETWORK_FAULTS.includes(c.kind)),
        cluster: args.cluster,
      });

      await startWeb(args, run, outputs, (line) => process.stdout.write(`${line}\n`));
      await startPage(args, page, outputs, (line) => process.stdout.write(`${line}\n`));
      await startMetrics(args, run, outputs, (line) => process.stdout.write(`${line}\n`));
      // The live dashboard in a terminal; plain lines for pipes and CI (where Ink would print only the last frame).
      const live = args.tui && process.stdout.isTTY && !process.env.CI;
      const dashboard = live ? (await import("../tui/dashboard.js")).renderDashboard(run) : null;
      const detach = dashboard ? () => undefined : attachPlainReporter(run, (line) => process.stdout.write(`${line}\n`));
      let reported = false;
      run.once("done", () => (reported = true));
      let dashboardLeftEarly = false;
      void dashboard?.waitUntilExit().then(() => (dashboardLeftEarly = !reported));
      let signals = 0;
      const onSignal = () => {
        if (++signals > 1) {
          process.stderr.write("pizzeria: second interrupt, exiting without the report\n");
          process.exit(130);
        }
        // With the dashboard live, a stray line would garble its frame; it shows FINISHING itself.
        if (!dashboard) process.stderr.write("pizzeria: interrupted: finishing early (draining, checking, reporting); press Ctrl-C again to quit at once\n");
        run.finish();
        // Whatever the finish waits on (a drain, a service that does not answer), a signal ends the run.
        const graceMs = scenario.drainTimeoutMs + 30_000;
        setTimeout(() => {
          process.stderr.write(`pizzeria: not finished ${Math.round(graceMs / 1000)} s after the interrupt; exiting without the report\n`);
          process.exit(130);
        }, graceMs).unref();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const report = await run.run();
        await dashboard?.waitUntilExit();
        // Left the dashboard before the end (q twice): the summary still belongs on the screen.
        if (dashboardLeftEarly) process.stdout.write(`${(await import("../tui/summary.js")).formatSummary(report, { color: true })}\n`);
        if (args.report) {
          try {
            writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
          } catch (err) {
            // The verdict is out already; the exit code still says it, and this says where the file is not.
            process.stderr.write(`pizzeria: cannot write the report ${args.report}: ${errorMessage(err)}\n`);
          }
        }
        return report.exitCode === 0 ? EXIT.ok : EXIT.failed;
      } catch (err) {
        dashboard?.unmount();
        throw err;
      } finally {
        detach();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
};
