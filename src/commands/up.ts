import type { Argv, CommandModule } from "yargs";
import { ConfigError } from "../services/shared/errors.js";
import { durationArg, natsFromArgs, natsOptions, runCommand, untilSignal, type NatsArgs } from "./common.js";

interface UpArgs extends NatsArgs {
  timeScale: number;
  orderPort: number;
  trackingPort: number;
  heartbeatInterval: string;
  runDir?: string;
  logLevel: string;
  proxies: boolean;
  cluster: number;
}

export const upCommand: CommandModule<object, UpArgs> = {
  command: "up",
  describe: "Start the broker and every service in this process with the default roster, until Ctrl-C",
  builder: (y: Argv) =>
    y
      .options({
        ...natsOptions,
        "time-scale": { type: "number", default: 1, describe: "Divide the seed's cooking times (8/10/12 s) by this" },
        "order-port": { type: "number", default: 3000, describe: "Port of the order API (0: any free port)" },
        "tracking-port": { type: "number", default: 3002, describe: "Port of the tracking API (0: any free port)" },
        "heartbeat-interval": { type: "string", default: "5s", describe: "Kitchen heartbeat period" },
        "run-dir": { type: "string", describe: "Directory for logs and databases (default runs/<time>-up)", normalize: true },
        "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "info" },
        cluster: { type: "number", default: 1, describe: "Start a local JetStream cluster of this many nodes (streams R3) instead of one server" },
        proxies: { type: "boolean", default: false, describe: "Put a TCP proxy between each service and NATS, for network faults from `pizzeria chaos`" },
      })
      .example("$0 up --time-scale 10", "cook ten times faster than the seed")
      .example("$0 up --nats nats://127.0.0.1:4222", "use a running NATS server instead of starting one") as unknown as Argv<UpArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (!(args.timeScale > 0)) throw new ConfigError(`--time-scale must be above 0; got ${args.timeScale}`);
      if (!(Number.isInteger(args.cluster) && args.cluster >= 1 && args.cluster <= 5)) throw new ConfigError(`--cluster must be a number of nodes from 1 to 5; got ${args.cluster}`);
      const [{ startLiveSystem }, { DEFAULT_ROSTER }] = await Promise.all([import("../sim/live-system.js"), import("../sim/system.js")]);
      const live = await startLiveSystem({
        label: "up",
        roster: DEFAULT_ROSTER,
        nats: natsFromArgs(args) ?? undefined,
        timeScale: args.timeScale,
        orderPort: args.orderPort,
        trackingPort: args.trackingPort,
        heartbeatIntervalMs: durationArg("heartbeat-interval", "s")(args.heartbeatInterval),
        runDir: args.runDir,
        logLevel: args.logLevel,
        proxies: args.proxies,
        cluster: args.cluster,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") throw new ConfigError(`a port is already in use (${err.message}); pass --order-port 0 --tracking-port 0 for free ones`);
        throw err;
      });
      const session = live.session;
      live.on("fault", (f) => {
        const when = `${((f.endedAtMs ?? f.startedAtMs) / 1000).toFixed(1)}s`;
        const what = f.error ? `refused: ${f.error}` : f.endedAtMs !== null && f.endedAtMs > f.startedAtMs ? "ended" : "injected";
        process.stdout.write(`[${when}] fault ${f.id} (${f.source}) ${f.detail}: ${what}\n`);
      });
      const [order] = session.launcher.urls("order");
      const [tracking] = session.launcher.urls("tracking");
      const workers = session.launcher.list().filter((i) => i.service === "kitchen").map((i) => i.instance);
      const lines = [
        `pizzeria is up (run directory ${session.runDir})`,
        `  NATS          ${[session.nats.servers].flat().join(", ")}${session.cluster ? ` (a ${session.cluster.nodes.length}-node cluster started for this run)` : session.broker ? " (started for this run)" : ""}`,
        `  order API     ${order}/orders   (POST; GET ${order}/menu, ${order}/health)`,
        `  tracking API  ${tracking}/orders/<number>/status   ${tracking}/orders/<number>/history   ${tracking}/workers/status`,
        `  kitchen       ${workers.join(", ")}`,
        `  logs          ${session.runDir}/logs/`,
        "",
        `Try: curl -s -X POST ${order}/orders -H 'content-type: application/json' \\`,
        `       -d '{"customer_name":"Jane Doe","order_type":"takeout","items":[{"name":"Margherita Pizza","quantity":1,"price":12.99}]}'`,
        "Inject faults from another terminal: pizzeria chaos kill kitchen/chef_anna --restart-after 5s",
        "Press Ctrl-C to stop.",
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      const signal = await untilSignal();
      process.stdout.write(`\n${signal}: shutting down gracefully...\n`);
      await live.close();
      process.stdout.write("stopped.\n");
      return 0;
    }),
};
