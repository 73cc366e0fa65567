import { join } from "node:path";
import type { Argv, CommandModule, Options } from "yargs";
import { ORDER_TYPES, type OrderType, type ServiceName } from "../services/shared/contracts.js";
import { ConfigError } from "../services/shared/errors.js";
import { DEFAULT_RESTAURANT_ID } from "../services/shared/menus.js";
import { parseSize, SIZE_HINT } from "../sim/scenario/retention.js";
import { durationArg, loadConfigFile, natsFromArgs, natsOptions, runCommand, onStopSignal, type NatsArgs } from "./common.js";

/** Options every `pizzeria service <name>` takes. */
const commonOptions = {
  ...natsOptions,
  nats: { ...natsOptions.nats, default: "nats://127.0.0.1:4222", describe: "URL of the NATS server or cluster (comma-separated)" },
  "data-dir": { type: "string", default: "pizzeria-data", describe: "Directory for the service's SQLite file", normalize: true },
  db: { type: "string", describe: "SQLite file (default: <data-dir>/<service>-<instance>.db)", normalize: true },
  "log-file": { type: "string", describe: "Append JSON log lines here instead of stderr", normalize: true },
  "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "info" },
  "metrics-port": { type: "number", default: 0, describe: "Port of GET /metrics for a service without an HTTP API (kitchen, notification, payment; 0: any free port, named in its log as metrics_listening); HTTP services serve /metrics on their API port" },
  "metrics-host": { type: "string", default: "127.0.0.1", describe: "Address of the metrics port (0.0.0.0 for all)" },
  "connect-timeout": { type: "string", default: "10s", describe: "How long to keep trying the first NATS connection" },
  "ack-wait": { type: "string", describe: "Redelivery delay for unacked messages (must match the rest of the system), e.g. 5s" },
  "max-deliver": { type: "number", describe: "Deliveries before a message is dead-lettered" },
  replicas: { type: "number", describe: "Stream replicas when this service creates the streams (3 on a cluster)" },
  "retention-age": { type: "string", default: "24h", describe: "When this service creates the ORDERS stream: drop messages older than this (0: no age limit). A stream that exists keeps its own settings" },
  "retention-bytes": { type: "string", default: "1GiB", describe: "When this service creates the ORDERS stream: its size limit, oldest messages dropped first, e.g. 512MiB (0: none)" },
  config: { type: "string", describe: "JSON or YAML file with any of these options (long names)", config: true, configParser: loadConfigFile },
} satisfies Record<string, Options>;

const httpOptions = (port: number) =>
  ({
    port: { type: "number", default: port, describe: "HTTP port (0: any free port)" },
    host: { type: "string", default: "127.0.0.1", describe: "Address to listen on (0.0.0.0 for all)" },
  }) satisfies Record<string, Options>;

interface CommonArgs extends NatsArgs {
  dataDir: string;
  db?: string;
  logFile?: string;
  logLevel: string;
  metricsPort: number;
  metricsHost: string;
  ackWait?: string;
  connectTimeout: string;
  maxDeliver?: number;
  replicas?: number;
  retentionAge: string;
  retentionBytes: string;
}

/** The ORDERS stream's bounds should this service be the one to create it (a service alone runs for days). */
function retentionFromArgs(args: CommonArgs): { ordersMaxAgeMs: number; ordersMaxBytes: number } {
  const maxBytes = parseSize(args.retentionBytes);
  if (maxBytes === null) throw new ConfigError(`--retention-bytes must be ${SIZE_HINT}; got ${JSON.stringify(args.retentionBytes)}`);
  return { ordersMaxAgeMs: durationArg("retention-age", "ms")(args.retentionAge) ?? 0, ordersMaxBytes: maxBytes };
}

function commonServiceOptions(service: ServiceName, instance: string, args: CommonArgs) {
  return {
    nats: { ...natsFromArgs(args)!, connectTimeoutMs: durationArg("connect-timeout", "ms")(args.connectTimeout) },
    dbFile: args.db ?? join(args.dataDir, `${service}-${instance}.db`),
    logFile: args.logFile,
    logLevel: args.logLevel,
    metricsPort: args.metricsPort,
    metricsHost: args.metricsHost,
    topology: { ackWaitMs: durationArg("ack-wait", "ms")(args.ackWait), maxDeliver: args.maxDeliver, replicas: args.replicas, ...retentionFromArgs(args) },
  };
}

function parseOrderTypes(value: string | undefined): OrderType[] | undefined {
  if (value === undefined) return undefined;
  const types = value.split(",").map((t) => t.trim()).filter(Boolean);
  const bad = types.filter((t) => !(ORDER_TYPES as readonly string[]).includes(t));
  if (bad.length > 0 || types.length === 0) {
    throw new ConfigError(`--order-types must be a comma-separated list of ${ORDER_TYPES.join(", ")}; got ${JSON.stringify(value)}`);
  }
  return types as OrderType[];
}

/**
 * Start a service and run it until SIGINT/SIGTERM, then stop it gracefully. The signal handlers
 * are in place before the service starts: a signal that arrives while it starts (a supervisor
 * that saw its "started" line, on a busy machine the process not yet past the next microtask)
 * stops it once it is up, instead of killing it with the signal's default action.
 */
export async function serve(start: () => Promise<{ stop(): Promise<void> }>, afterStop?: () => void): Promise<number> {
  const stopSignal = onStopSignal();
  try {
    const service = await start();
    const signal = await stopSignal.signalled;
    process.stderr.write(`pizzeria: ${signal}: stopping gracefully (send it again to exit at once)\n`);
    await service.stop();
    afterStop?.();
    return 0;
  } finally {
    stopSignal.dispose();
  }
}

function sub<A>(name: ServiceName, describe: string, options: Record<string, Options>, handler: (args: A & CommonArgs) => Promise<number>): CommandModule {
  return {
    command: name,
    describe,
    builder: (y: Argv) => y.options({ ...commonOptions, ...options }).strict(),
    handler: (args) =>
      runCommand(async () => {
        // A process of its own: a slow_disk commit holds its thread, as a slow fsync would (disk.ts).
        (await import("../services/shared/disk.js")).holdThreadOnSlowCommit();
        return handler(args as unknown as A & CommonArgs);
      }),
  };
}

const orderCommand = sub<{ instance: string; port: number; host: string; maxConcurrent: number }>(
  "order",
  "The order API: POST /orders, GET /menu, GET /health",
  {
    instance: { type: "string", default: "order-1", describe: "Instance name (unique per order service)" },
    ...httpOptions(3000),
    "max-concurrent": { type: "number", default: 50, describe: "Requests handled at once; the rest get 503 with Retry-After" },
  },
  async (a) => {
    const { start } = await import("../services/order/index.js");
    return serve(() => start({ ...commonServiceOptions("order", a.instance, a), instance: a.instance, port: a.port, host: a.host, maxConcurrent: a.maxConcurrent }));
  },
);

const paymentCommand = sub<{ instance: string; failureRate: number; latency: string; concurrency: number; seed: number }>(
  "payment",
  "Charges new orders with the mock provider; emits paid or payment_failed",
  {
    instance: { type: "string", default: "payment-1", describe: "Instance name" },
    "failure-rate": { type: "number", default: 0.05, describe: "Share of payments the provider declines (0-1)" },
    latency: { type: "string", default: "20ms", describe: "Provider response time" },
    concurrency: { type: "number", default: 64, describe: "Charges in progress at once" },
    seed: { type: "number", default: 1, describe: "Decides which orders are declined (same seed, same declines)" },
  },
  async (a) => {
    if (!(a.failureRate >= 0 && a.failureRate <= 1)) throw new ConfigError(`--failure-rate must be between 0 and 1; got ${a.failureRate}`);
    const { start } = await import("../services/payment/index.js");
    return serve(() =>
      start({
        ...commonServiceOptions("payment", a.instance, a),
        instance: a.instance,
        concurrency: a.concurrency,
        provider: { failureRate: a.failureRate, latencyMs: durationArg("latency", "ms")(a.latency), seed: a.seed },
      }),
    );
  },
);

const restaurantCommand = sub<{ instance: string; port: number; host: string; seed: number; restaurants?: string }>(
  "restaurant",
  "The restaurants: menus, open/closed, and an answer to every paid order (GET /restaurants, staff accept/reject/ready)",
  {
    instance: { type: "string", default: "restaurant-1", describe: "Instance name" },
    ...httpOptions(3004),
    seed: { type: "number", default: 1, describe: "Decides which orders an auto restaurant rejects (same seed, same rejections)" },
    restaurants: { type: "string", describe: "JSON or YAML file with the restaurants to run (a list of {id, name, open, acceptance, reject_rate, menu}); default: main and napoli", normalize: true },
  },
  async (a) => {
    const [{ start }, { readRestaurantsFile }] = await Promise.all([import("../services/restaurant/index.js"), import("../services/restaurant/definitions.js")]);
    const restaurants = a.restaurants ? readRestaurantsFile(a.restaurants) : undefined;
    return serve(() => start({ ...commonServiceOptions("restaurant", a.instance, a), instance: a.instance, port: a.port, host: a.host, seed: a.seed, restaurants }));
  },
);

const kitchenCommand = sub<{ name: string; restaurant: string; orderTypes?: string; prefetch: number; heartbeatInterval: string; timeScale: number; cookTime?: string }>(
  "kitchen",
  "A named kitchen worker that cooks paid orders of its types",
  {
    name: { type: "string", demandOption: "a kitchen worker needs --name (e.g. --name chef_mario)", describe: "Worker name; refused while a worker of that name is online" },
    restaurant: { type: "string", default: DEFAULT_RESTAURANT_ID, describe: "The restaurant whose kitchen it cooks in (only its orders)" },
    "order-types": { type: "string", describe: `Comma-separated types this worker cooks (${ORDER_TYPES.join(",")}); default all` },
    prefetch: { type: "number", default: 1, describe: "Orders held at once per order type" },
    "heartbeat-interval": { type: "string", default: "30", describe: "Heartbeat period; bare numbers are seconds (the seed's 30)" },
    "time-scale": { type: "number", default: 1, describe: "Divide the seed's cooking times (8/10/12 s) by this" },
    "cook-time": { type: "string", describe: "Fixed cooking time for every order, e.g. 0 or 500ms (overrides --time-scale)" },
  },
  async (a) => {
    if (!(a.prefetch >= 1)) throw new ConfigError(`--prefetch must be at least 1; got ${a.prefetch}`);
    if (!(a.timeScale > 0)) throw new ConfigError(`--time-scale must be above 0; got ${a.timeScale}`);
    const { start } = await import("../services/kitchen/index.js");
    return serve(() =>
      start({
        ...commonServiceOptions("kitchen", a.name, a),
        name: a.name,
        restaurant: a.restaurant,
        orderTypes: parseOrderTypes(a.orderTypes),
        prefetch: a.prefetch,
        heartbeatIntervalMs: durationArg("heartbeat-interval", "s")(a.heartbeatInterval),
        timeScale: a.timeScale,
        cookTimeMs: durationArg("cook-time", "ms")(a.cookTime),
      }),
    );
  },
);

const trackingCommand = sub<{ instance: string; port: number; host: string; timeScale: number }>(
  "tracking",
  "The read model: GET /orders/:number/status, /orders/:number/history, /workers/status; GraphQL at /graphql (subscriptions over server-sent events)",
  {
    instance: { type: "string", default: "tracking-1", describe: "Instance name (each keeps its own read model)" },
    ...httpOptions(3002),
    "time-scale": { type: "number", default: 1, describe: "The kitchen's time scale, for estimated completion times" },
  },
  async (a) => {
    const { start } = await import("../services/tracking/index.js");
    return serve(() => start({ ...commonServiceOptions("tracking", a.instance, a), instance: a.instance, port: a.port, host: a.host, timeScale: a.timeScale }));
  },
);

const customerCommand = sub<{ instance: string; port: number; host: string }>(
  "customer",
  "Customers and carts: POST /customers, GET /customers/:id[/orders], /customers/:id/cart[/items[/:line]], POST /customers/:id/cart/checkout",
  {
    instance: { type: "string", default: "customer-1", describe: "Instance name (each keeps its own customers and read model)" },
    ...httpOptions(3005),
  },
  async (a) => {
    const { start } = await import("../services/customer/index.js");
    return serve(() => start({ ...commonServiceOptions("customer", a.instance, a), instance: a.instance, port: a.port, host: a.host }));
  },
);

const notificationCommand = sub<{ instance: string }>(
  "notification",
  "A fanout subscriber that prints every status change",
  { instance: { type: "string", alias: "name", default: "notification-1", describe: "Subscriber name (each sees every change)" } },
  async (a) => {
    const { start } = await import("../services/notification/index.js");
    const printer = linePrinter(process.stdout);
    return serve(() => start({ ...commonServiceOptions("notification", a.instance, a), instance: a.instance, print: printer.print }), printer.flush);
  },
);

const reportingCommand = sub<{ instance: string; port: number; host: string }>(
  "reporting",
  "The back office's reports from its own read model: GET /reports/restaurants, /reports/customers/:id, /reports/workers, /reports/daily",
  { instance: { type: "string", default: "reporting-1", describe: "Instance name (each keeps its own read model)" }, ...httpOptions(3006) },
  async (a) => {
    const { start } = await import("../services/reporting/index.js");
    return serve(() => start({ ...commonServiceOptions("reporting", a.instance, a), instance: a.instance, port: a.port, host: a.host }));
  },
);

/**
 * Print lines, the lines of one turn of the event loop in one write: the subscriber announces a
 * batch of events at once, and stdout (a pipe to a supervisor, or a terminal) is written
 * synchronously, a syscall per write.
 */
function linePrinter(out: NodeJS.WritableStream): { print(line: string): void; flush(): void } {
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("");
    lines = [];
    out.write(text);
  };
  return {
    print(line) {
      if (lines.length === 0) setImmediate(flush);
      lines.push(`${line}\n`);
    },
    flush,
  };
}

export const serviceCommand: CommandModule = {
  command: "service <name>",
  describe: "Run one service as its own process against a NATS server (like the seed's --mode)",
  builder: (y: Argv) =>
    y
      .command(orderCommand)
      .command(paymentCommand)
      .command(restaurantCommand)
      .command(kitchenCommand)
      .command(trackingCommand)
      .command(notificationCommand)
      .command(customerCommand)
      .command(reportingCommand)
      .demandCommand(1, "name a service: order, payment, restaurant, kitchen, tracking, notification, customer or reporting")
      .example("$0 service kitchen --name chef_anna --order-types dine_in --nats nats://10.0.0.5:4222", "a dine-in specialist against a shared server"),
  handler: () => undefined,
};
