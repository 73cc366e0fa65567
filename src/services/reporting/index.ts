import { CONSUMERS, subjects } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { decodeOrderEvent } from "../shared/events.js";
import { listen } from "../shared/http.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant, mutantPicks } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { reportingApi } from "./http-api.js";
import { REPORTING_SCHEMA, ReportStore } from "./store.js";

export interface ReportingServiceOptions extends CommonServiceOptions {
  /** Instance name (default `reporting-1`). */
  instance?: string;
  /** HTTP port; default 3006, 0 picks a free one. */
  port?: number;
  host?: string;
}

export interface ReportingService {
  instance: string;
  url: string;
  port: number;
  store: ReportStore;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

export const REPORTING_DEFAULTS = { port: 3006, host: "127.0.0.1" };

/**
 * The back office's query side (seed 004's reports, CQRS): its own read model of every order,
 * built only from the ORDERS stream through its own durable (ordered, a transaction per batch,
 * each event id applied once), answering the reports over HTTP. It never asks another service.
 */
export async function start(options: ReportingServiceOptions): Promise<ReportingService> {
  const instance = options.instance ?? "reporting-1";
  const life = await ServiceLifecycle.open("reporting", instance, options, REPORTING_SCHEMA);
  return life.starting(() => startReportingService(life, options, instance));
}

async function startReportingService(life: ServiceLifecycle, options: ReportingServiceOptions, instance: string): Promise<ReportingService> {
  const host = options.host ?? REPORTING_DEFAULTS.host;
  const { log, js, jsm, nc, db, topology } = life.rt;
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; off in every real run.
  const store = new ReportStore(db, activeMutant() === "reporting-drop-ready" ? { dropReadyOf: (n) => mutantPicks(n, 5) } : {});

  const durable = CONSUMERS.reporting(instance);
  await ensureConsumer(jsm, { durable, filter: subjects.allOrderEvents, ordered: true }, topology, log);
  forwardMaxDeliveries(nc, js, durable, log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable,
    log,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    // Events that arrive together are applied in one transaction, acked after its commit: a report may be 50 ms behind the stream.
    batch: { db, nc, lingerMs: 50 },
    handle(event) {
      store.apply(event);
    },
  });

  const server = reportingApi(store, log, instance);
  const port = await listen(server, options.port ?? REPORTING_DEFAULTS.port, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const control = serveControl(nc, "reporting", instance, log, {
    stats: () => ({ orders: store.orders(), handled: consumer.handled }),
    /** Every report, for the checker: {restaurants, workers, daily, customers}. */
    reports: () => store.all(),
  });
  log.info({ action: "service_started", url }, `Reporting service listening on ${url}`);
  life.own({
    server,
    consumers: [consumer],
    control,
    stopped: () => log.info({ action: "service_stopped" }, "Reporting service stopped"),
  });
  return { instance, url, port, store, stop: () => life.stop(), abort: () => life.abort() };
}
