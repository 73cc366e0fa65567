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
      })
      .example("$0 up --time-scale 10", "cook ten times faster than the seed")
      .example("$0 up --nats nats://127.0.0.1:4222", "use a running NATS server instead of starting one") as unknown as Argv<UpArgs>,
  handler: (args) =>
    runCommand(async () => {
      if (!(args.timeScale > 0)) throw new ConfigError(`--time-scale must be above 0; got ${args.timeScale}`);
      const [{ openSession }, { DEFAULT_ROSTER }] = await Promise.all([import("../sim/session.js"), import("../sim/system.js")]);
      const session = await openSession({
        label: "up",
        roster: DEFAULT_ROSTER,
        nats: natsFromArgs(args) ?? undefined,
        timeScale: args.timeScale,
        orderPort: args.orderPort,
        trackingPort: args.trackingPort,
        heartbeatIntervalMs: durationArg("heartbeat-interval", "s")(args.heartbeatInterval),
        runDir: args.runDir,
        logLevel: args.logLevel,
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE") throw new ConfigError(`a port is already in use (${err.message}); pass --order-port 0 --tracking-port 0 for free ones`);
        throw err;
      });
      const [order] = session.launcher.urls("order");
      const [tracking] = session.launcher.urls("tracking");
      const workers = session.launcher.list().filter((i) => i.service === "kitchen").map((i) => i.instance);
      const lines = [
        `pizzeria is up (run directory ${session.runDir})`,
        `  NATS          ${[session.nats.servers].flat().join(", ")}${session.broker ? " (started for this run)" : ""}`,
        `  order API     ${order}/orders   (POST; GET ${order}/menu, ${order}/health)`,
        `  tracking API  ${tracking}/orders/<number>/status   ${tracking}/orders/<number>/history   ${tracking}/workers/status`,
        `  kitchen       ${workers.join(", ")}`,
        `  logs          ${session.runDir}/logs/`,
        "",
        `Try: curl -s -X POST ${order}/orders -H 'content-type: application/json' \\`,
        `       -d '{"customer_name":"Jane Doe","order_type":"takeout","items":[{"name":"Margherita Pizza","quantity":1,"price":12.99}]}'`,
        "Press Ctrl-C to stop.",
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
      const signal = await untilSignal();
      process.stdout.write(`\n${signal}: shutting down gracefully...\n`);
      await session.close();
      process.stdout.write("stopped.\n");
      return 0;
    }),
};
