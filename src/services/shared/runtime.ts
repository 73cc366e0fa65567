import { jetstream, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { INSTANCE_NAME_PATTERN, type ServiceName } from "./contracts.js";
import { diskGuard, openDatabase, type Db } from "./db.js";
import { ConfigError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";
import { bindMetrics, ServiceMetrics } from "./metrics.js";
import { connectNats, openJetStream, resolveTopology, type NatsConnection, type NatsOptions, type TopologyOptions } from "./nats.js";

/** Options every service takes. */
export interface CommonServiceOptions {
  nats: NatsOptions;
  topology?: TopologyOptions;
  /** The service's own SQLite file. */
  dbFile: string;
  /** JSON log lines go here; stderr when absent. */
  logFile?: string;
  logLevel?: string;
  /**
   * Port of GET /metrics for a service without an HTTP API (kitchen, notification, payment);
   * 0 (the default) takes a free one, which the service's handle and its log line name. A service
   * with an HTTP API serves /metrics there instead.
   */
  metricsPort?: number;
  /** Address of that port (default 127.0.0.1). */
  metricsHost?: string;
}

export interface Runtime {
  service: ServiceName;
  instance: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  db: Db;
  log: Logger;
  /** Its Prometheus metrics, in a registry of its own. */
  metrics: ServiceMetrics;
  topology: ReturnType<typeof resolveTopology>;
  /** Close NATS (draining what is in flight), the database and the log, in that order. */
  close(): Promise<void>;
  /** Drop everything without draining: what a crash leaves behind. */
  abort(): Promise<void>;
}

export function checkInstanceName(kind: string, name: string): string {
  if (!INSTANCE_NAME_PATTERN.test(name)) {
    throw new ConfigError(`${kind} name "${name}" must be 1-64 letters, digits, "_" or "-" (it becomes a NATS subject token)`);
  }
  return name;
}

/** What a service has before its database is opened. */
export type Connection = Pick<Runtime, "service" | "instance" | "nc" | "js" | "jsm" | "log" | "topology">;

/**
 * The start of every service: logger, NATS connection, streams, SQLite file. `beforeDatabase`
 * runs once connected, before the file is opened (the lifecycle claims the instance there); when
 * it throws, the connection and the log are closed and the error passed on.
 */
export async function openRuntime(
  service: ServiceName,
  instance: string,
  options: CommonServiceOptions,
  schema: string,
  beforeDatabase?: (connection: Connection) => Promise<void>,
): Promise<Runtime> {
  checkInstanceName(service, instance);
  const { log, close: closeLog } = createLogger({ service, instance, file: options.logFile, level: options.logLevel });
  const topology = resolveTopology(options.topology);
  let nc: NatsConnection | undefined;
  let db: Db | undefined;
  try {
    nc = await connectNats(options.nats, `${service}:${instance}`);
    const jsm = await openJetStream(nc, topology);
    const js = jetstream(nc);
    log.info({ action: "broker_connected", broker: "nats", server: nc.getServer() }, `Connected to NATS at ${nc.getServer()}`);
    await beforeDatabase?.({ service, instance, nc, js, jsm, log, topology });
    db = openDatabase(options.dbFile, schema);
    diskGuard(db).attach(service, instance, log);
    log.info({ action: "db_connected", file: options.dbFile }, `Opened its SQLite file ${options.dbFile}`);
    watchConnection(nc, log);
    const opened = { nc, db };
    return {
      service,
      instance,
      nc,
      js,
      jsm,
      db,
      log,
      metrics: bindMetrics(new ServiceMetrics(service, instance), js, log),
      topology,
      async close() {
        await opened.nc.drain().catch(() => opened.nc.close());
        opened.db.close();
        await closeLog();
      },
      async abort() {
        await opened.nc.close().catch(() => undefined);
        opened.db.close();
        void closeLog(); // a crash: nothing waits for its last lines
      },
    };
  } catch (err) {
    await nc?.close().catch(() => undefined);
    db?.close();
    log.error({ action: "service_start_failed", error: { msg: (err as Error).message } }, `${service} could not start`);
    await closeLog();
    throw err;
  }
}

/** Log connection changes once each, so an outage is visible in the service's log. */
function watchConnection(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") log.warn({ action: "nats_disconnected", server: s.server }, "Lost the NATS connection; reconnecting");
      else if (s.type === "reconnect") log.info({ action: "nats_reconnected", server: s.server }, "Reconnected to NATS");
    }
  })().catch(() => undefined);
}
