import type { Options } from "yargs";
import type { RunOutput } from "../sim/outputs/output.js";
import type { RunControl } from "../sim/telemetry/run-events.js";
import { ConfigError } from "../services/shared/errors.js";

/** The live web dashboard's flags, for `run` and `up`. */
export const webOptions = {
  web: { type: "boolean", default: false, describe: "Serve a live web dashboard (the report's charts, updated over server-sent events, with the dashboard's keys as buttons); its address is printed" },
  "web-host": { type: "string", default: "127.0.0.1", describe: "Address the web dashboard binds to (anyone who can reach it can press its buttons)" },
  "web-port": { type: "number", default: 0, describe: "Port of the web dashboard (0: any free port)" },
} satisfies Record<string, Options>;

export interface WebArgs {
  web: boolean;
  webHost: string;
  webPort: number;
}

/**
 * With `--web`, starts the web dashboard on the run's control and adds it to the run's outputs;
 * its address is printed before the terminal dashboard takes the screen.
 */
export async function startWeb(args: WebArgs, control: RunControl, outputs: RunOutput[], say: (line: string) => void): Promise<void> {
  if (!args.web) return;
  if (!(Number.isInteger(args.webPort) && args.webPort >= 0 && args.webPort <= 65_535)) throw new ConfigError(`--web-port must be a port number from 0 to 65535; got ${args.webPort}`);
  const { WebDashboard } = await import("../sim/outputs/web-dashboard.js");
  const web = new WebDashboard(control, { host: args.webHost, port: args.webPort });
  try {
    say(`live web dashboard: ${await web.listen()}`);
  } catch (err) {
    throw new ConfigError(`--web: cannot listen on ${args.webHost}:${args.webPort}: ${err instanceof Error ? err.message : String(err)}`);
  }
  outputs.push(web);
}
