import type { Argv, CommandModule } from "yargs";
import { ConfigError } from "../services/shared/errors.js";
import { RUN_MODES, type RunMode } from "../sim/scenario/run-mode.js";
import type { RunStart } from "../sim/telemetry/run-events.js";
import { durationArg, EXIT, natsFromArgs, natsOptions, runCommand, type NatsArgs } from "./common.js";
import { metricsOptions, pageOptions, startMetrics, startPage, startWeb, webOptions, type MetricsArgs, type PageArgs, type WebArgs } from "./outputs.js";
import type { RunOutput } from "../sim/outputs/output.js";
import { DEFAULT_RESTAURANTS } from "../services/shared/menus.js";
import { UP_ROSTER, type Roster } from "../sim/scenario/roster.js";

interface UpArgs extends NatsArgs, WebArgs, PageArgs, MetricsArgs {
  manual?: string[];
  timeScale: number;
  orderPort: number;
  trackingPort: number;
  restaurantPort: number;
  customerPort: number;
  reportingPort: number;
  heartbeatInterval: string;
  runDir?: string;
  logLevel: string;
  proxies: boolean;
  cluster: number;
  mode: RunMode;
  tui: boolean;
  retentionAge: string;
  retentionBytes: string;
}

/** The endpoints, printed before the dashboard takes the screen (and the only output without one). */
function endpointLines(start: RunStart, cluster: boolean, page: string | null): string[] {
  const order = start.endpoints?.order[0] ?? "(order API not up)";
  const tracking = start.endpoints?.tracking[0] ?? "(tracking API not up)";
  const customer = start.endpoints?.customer?.[0];
  return [
    `pizzeria is up (run directory ${start.runDir})`,
    `  NATS          ${start.broker.urls.join(", ")}${cluster ? ` (a ${start.broker.urls.length}-node cluster started for this run)` : start.broker.kind === "local" ? " (started for this run)" : ""}`,
    `  order API     ${order}/orders   (POST; GET ${order}/menu, ${order}/health)`,
    `  tracking API  ${tracking}/orders/<number>/status   ${tracking}/orders/<number>/history   ${tracking}/workers/status   ${tracking}/restaurants/<id>/orders?status=`,
    `  GraphQL       ${tracking}/graphql   (POST or GET queries; subscriptions orderStatus, orderEvents with Accept: text/event-stream)`,
    ...(start.endpoints?.restaurant?.[0] ? [`  restaurants   ${start.endpoints.restaurant[0]}/restaurants   (menus: /restaurants/<id>/menu; staff: POST /restaurants/<id>/orders/<number>/accept|reject|ready)`] : []),
    ...(customer ? [`  customer API  ${customer}/customers   (POST; then ${customer}/customers/<id>/cart/items, .../cart/checkout with an Idempotency-Key)`] : []),
    ...(start.endpoints?.reporting?.[0] ? [`  reports       ${start.endpoints.reporting[0]}/reports/restaurants   /reports/customers/<id>   /reports/workers   /reports/daily`] : []),
    ...(page ? [`  customer page ${page}   (order from a browser; the staff's board: ${page}#board)`] : []),
    `  logs          ${start.runDir}/logs/`,
    `  metrics       GET /metrics of every service; scrape config: ${start.runDir}/prometheus.yml (prometheus --config.file ...)`,
    "",
    `Try: curl -s -X POST ${order}/orders -H 'content-type: application/json' \\`,
    `       -d '{"customer_name":"Jane Doe","order_type":"takeout","items":[{"name":"Margherita Pizza","quantity":1,"price":12.99}]}'`,
    "Inject faults from another terminal: pizzeria chaos kill kitchen/chef_anna --restart-after 5s",
    "Press Ctrl-C to stop (the orders seen are checked on the way out).",
  ];
}

/** `up`'s roster with the ports its flags give. */
function upRoster(roster: Roster, args: Pick<UpArgs, "restaurantPort" | "customerPort" | "reportingPort">): Roster {
  for (const [flag, port] of Object.entries({ "restaurant-port": args.restaurantPort, "customer-port": args.customerPort, "reporting-port": args.reportingPort })) {
    if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new ConfigError(`--${flag} must be a port number from 0 to 65535; got ${port}`);
  }
  return {
    ...roster,
    restaurant: { ...roster.restaurant, port: args.restaurantPort },
    customer: { ...roster.customer, port: args.customerPort },
    reporting: { ...roster.reporting, port: args.reportingPort },
  };
}

/** `--manual a,b`: `up`'s roster with those restaurants answered by their staff (the page's board). */
function manualRoster(ids: string[]): Roster {
  const known = DEFAULT_RESTAURANTS.map((r) => r.id);
  const wanted = ids.flatMap((id) => id.split(",")).filter((id) => id !== "");
  const unknown = wanted.find((id) => !known.includes(id));
  if (unknown !== undefined) throw new ConfigError(`--manual must name restaurants of up (${known.join(", ")}); got ${JSON.stringify(unknown)}`);
  const restaurants = (UP_ROSTER.restaurant.restaurants ?? []).map((r) => (wanted.includes(r.id) ? { ...r, acceptance: "manual" as const } : r));
  return { ...UP_ROSTER, restaurant: { ...UP_ROSTER.restaurant, restaurants } };
}

export const upCommand: CommandModule<object, UpArgs> = {
  command: "up",
  describe: "Start the broker and every service with the default roster, with the live dashboard, until Ctrl-C",
  builder: (y: Argv) =>
    y
      .options({
        ...natsOptions,
        "time-scale": { type: "number", default: 1, describe: "Divide the seed's cooking times (8/10/12 s) by this" },
        "order-port": { type: "number", default: 3000, describe: "Port of the order API (0: any free port)" },
        "tracking-port": { type: "number", default: 3002, describe: "Port of the tracking API (0: any free port)" },
        "restaurant-port": { type: "number", default: 3004, describe: "Port of the restaurant API (0: any free port)" },
        "customer-port": { type: "number", default: 0, describe: "Port of the customer API (0: any free port)" },
        "reporting-port": { type: "number", default: 3006, describe: "Port of the reports API (0: any free port)" },
        "heartbeat-interval": { type: "string", default: "5s", describe: "Kitchen heartbeat period" },
        mode: { type: "string", choices: RUN_MODES, default: "inprocess", describe: "Services in this process, or each as its own `pizzeria service` process" },
        cluster: { type: "number", default: 1, describe: "Start a local JetStream cluster of this many nodes (streams R3) instead of one server" },
        proxies: { type: "boolean", default: false, describe: "Put a TCP proxy between each service and NATS, for network faults from `pizzeria chaos`" },
        tui: { type: "boolean", default: true, describe: "Live dashboard when stdout is a terminal (--no-tui: endpoints and events only)" },
        "run-dir": { type: "string", describe: "Directory for logs and databases (default runs/<time>-up)", normalize: true },
        "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "info" },
        ...webOptions,
        ...pageOptions,
        manual: { type: "string", array: true, describe: `Restaurants answered by their staff (on the customer page's board) instead of by themselves, e.g. --manual napoli (of ${DEFAULT_RESTAURANTS.map((r) => r.id).join(", ")})` },
        ...metricsOptions,
        "metrics-port": { ...metricsOptions["metrics-port"], default: 0 },
        "retention-age": { type: "string", default: "5m", describe: "The ORDERS stream drops messages older than this (0: no age limit); the services forget their idempotency entries past it" },
        "retention-bytes": { type: "string", default: "1GiB", describe: "The ORDERS stream's size limit, oldest messages dropped first, e.g. 512MiB (0: none)" },
      })
      .example("$0 up --time-scale 10", "cook ten times faster than the seed")
      .example("$0 up --manual napoli", "order on the customer page (http://127.0.0.1:3001/), answer Da Napoli's orders on its board (#board)")
      .example("$0 up --mode processes --proxies", "every service its own process, network faults possible")
      .example("$0 up --nats nats://127.0.0.1:4222", "use a running NATS server instead of starting one") as unknown as Argv<UpArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (!(args.timeScale > 0)) throw new ConfigError(`--time-scale must be above 0; got ${args.timeScale}`);
      if (!(Number.isInteger(args.cluster) && args.cluster >= 1 && args.cluster <= 5)) throw new ConfigError(`--cluster must be a number of nodes from 1 to 5; got ${args.cluster}`);
      const [{ ScenarioRun }, { upScenario }, { formatLogLine }, { formatSummary }] = await Promise.all([
        import("../sim/run.js"),
        import("../sim/scenario/scenario.js"),
        import("../tui/plain-reporter.js"),
        import("../tui/summary.js"),
      ]);
      const heartbeatIntervalMs = durationArg("heartbeat-interval", "s")(args.heartbeatInterval) ?? 5_000;
      const { parseSize, SIZE_HINT } = await import("../sim/scenario/retention.js");
      const maxBytes = parseSize(args.retentionBytes);
      if (maxBytes === null) throw new ConfigError(`--retention-bytes must be ${SIZE_HINT}; got ${JSON.stringify(args.retentionBytes)}`);
      const retention = { maxAgeMs: durationArg("retention-age", "ms")(args.retentionAge) ?? 0, maxBytes };
      const outputs: RunOutput[] = [];
      const run = new ScenarioRun({
        outputs,
        scenario: upScenario({ timeScale: args.timeScale, heartbeatIntervalMs, mode: args.mode, cluster: args.cluster, retention, roster: upRoster(args.manual ? manualRoster(args.manual) : UP_ROSTER, args) }),
        observe: true,
        nats: natsFromArgs(args) ?? undefined,
        runDir: args.runDir,
        logLevel: args.logLevel,
        proxies: args.proxies,
        orderPort: args.orderPort,
        trackingPort: args.trackingPort,
      });
      const live = args.tui && process.stdout.isTTY && !process.env.CI;
      const write = (line: string) => process.stdout.write(`${line}\n`);
      await startWeb(args, run, outputs, write);
      const page = await startPage(args, args.page ?? true, outputs, write);
      await startMetrics(args, run, outputs, write);
      let dashboard: { waitUntilExit(): Promise<void>; unmount(): void } | null = null;
      if (live) {
        // The dashboard owns the terminal and its header shows the endpoints: anything printed
        // beside it would fight its redraws.
        const { renderDashboard } = await import("../tui/dashboard.js");
        dashboard = renderDashboard(run);
      } else {
        run.once("start", (start) => {
          for (const line of endpointLines(start, args.cluster > 1, page)) write(line);
        });
        run.on("log", (entry) => write(formatLogLine(entry)));
        run.on("fault", (f) => write(`[${((f.endedAtMs ?? f.startedAtMs) / 1000).toFixed(1)}s] fault ${f.id} (${f.source}) ${f.detail}: ${f.error ? `refused: ${f.error}` : f.endedAtMs !== null && f.endedAtMs > f.startedAtMs ? "ended" : "injected"}`));
        run.once("done", (report) => write(formatSummary(report)));
      }
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) process.exit(130);
        if (!live) write(`\n${signal}: shutting down gracefully...`);
        run.finish();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        await run.run().catch((err: NodeJS.ErrnoException) => {
          if (err.code === "EADDRINUSE") throw new ConfigError(`a port is already in use (${err.message}); pass --order-port 0 --tracking-port 0 --restaurant-port 0 --reporting-port 0 for free ones`);
          throw err;
        });
        await (dashboard as { waitUntilExit(): Promise<void> } | null)?.waitUntilExit();
        if (!live) write("stopped.");
        return EXIT.ok;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }),
};
