import type { Options } from "yargs";
import type { RunOutput } from "../sim/outputs/output.js";
import type { RunControl } from "../sim/telemetry/run-events.js";
import { ConfigError } from "../services/shared/errors.js";
import type { Metrics } from "../sim/telemetry/metrics.js";

/** Where the customer page listens unless told otherwise (seed 001's web front end). */
export const DEFAULT_PAGE_PORT = 3001;

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

/** The customer web page's flags, for `run` (with `--web`) and `up` (always, unless --no-page). */
export const pageOptions = {
  page: { type: "boolean", describe: "Serve the customer web page (restaurants, menu, cart, checkout, the order's status live; the staff's board at #board). Default: on for `up`, with --web for `run`" },
  "page-host": { type: "string", default: "127.0.0.1", describe: "Address the customer page binds to" },
  "page-port": { type: "number", describe: `Port of the customer page (default ${DEFAULT_PAGE_PORT}, or any free port when that one is taken; 0: any free port)` },
} satisfies Record<string, Options>;

export interface PageArgs {
  page?: boolean;
  pageHost: string;
  pagePort?: number;
}

/**
 * Starts the customer page (a run output: it learns the services' addresses at the run's start)
 * and prints its address. A port given is a port required; the default one, when taken, gives way
 * to any free port (a second `up` on the machine still gets its page).
 */
export async function startPage(args: PageArgs, on: boolean, outputs: RunOutput[], say: (line: string) => void): Promise<string | null> {
  if (!on) return null;
  const port = args.pagePort;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new ConfigError(`--page-port must be a port number from 0 to 65535; got ${port}`);
  const { CustomerPage } = await import("../sim/outputs/customer-page.js");
  const listen = async (p: number) => {
    const page = new CustomerPage({ host: args.pageHost, port: p });
    return { page, url: await page.listen() };
  };
  let opened: { page: InstanceType<typeof CustomerPage>; url: string };
  let taken = "";
  try {
    opened = await listen(port ?? DEFAULT_PAGE_PORT).catch((err: NodeJS.ErrnoException) => {
      if (port !== undefined || err.code !== "EADDRINUSE") throw err;
      taken = ` (port ${DEFAULT_PAGE_PORT} is taken)`;
      return listen(0);
    });
  } catch (err) {
    throw new ConfigError(`--page-port: cannot listen on ${args.pageHost}:${port ?? DEFAULT_PAGE_PORT}: ${err instanceof Error ? err.message : String(err)}`);
  }
  say(`customer page: ${opened.url}   (staff board: ${opened.url}#board)${taken}`);
  outputs.push(opened.page);
  return opened.url;
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
