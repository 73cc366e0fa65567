import type { Options } from "yargs";
import type { RunOutput } from "../sim/outputs/output.js";
import type { RunControl } from "../sim/telemetry/run-events.js";
import { ConfigError } from "../services/shared/errors.js";
import type { Metrics } from "../sim/telemetry/metrics.js";

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

/** The harness's metrics endpoint flags, for `run` and `up`. */
export const metricsOptions = {
  "metrics-port": { type: "number", describe: "Serve the harness's own figures (offered and achieved rate, latency histograms, active faults) on GET /metrics at this port (0: any free port); `up` always does (default 0). The run directory gets a prometheus.yml of every service and this endpoint" },
  "metrics-host": { type: "string", default: "127.0.0.1", describe: "Address the harness's metrics endpoint binds to" },
} satisfies Record<string, Options>;

export interface MetricsArgs {
  metricsPort?: number;
  metricsHost: string;
}

/**
 * Starts the harness's metrics endpoint (a run output that also writes prometheus.yml into the
 * run directory at the start) when a port is given; its address is printed.
 */
export async function startMetrics(args: MetricsArgs, run: { readonly metrics: Metrics }, outputs: RunOutput[], say: (line: string) => void): Promise<void> {
  if (args.metricsPort === undefined) return;
  if (!(Number.isInteger(args.metricsPort) && args.metricsPort >= 0 && args.metricsPort <= 65_535)) throw new ConfigError(`--metrics-port must be a port number from 0 to 65535; got ${args.metricsPort}`);
  const { PrometheusOutput } = await import("../sim/outputs/prometheus.js");
  const endpoint = new PrometheusOutput(run, { host: args.metricsHost, port: args.metricsPort });
  try {
    say(`harness metrics: ${await endpoint.listen()} (prometheus.yml in the run directory)`);
  } catch (err) {
    throw new ConfigError(`--metrics-port: cannot listen on ${args.metricsHost}:${args.metricsPort}: ${err instanceof Error ? err.message : String(err)}`);
  }
  outputs.push(endpoint);
}
