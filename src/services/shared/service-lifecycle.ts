import type { Server } from "node:http";
import { BUCKETS, type ServiceName } from "./contracts.js";
import { lockDataFile, type DataFileLock } from "./data-file-lock.js";
import { errorField, errorMessage } from "./errors.js";
import { serveControl } from "./control.js";
import { diskGuard } from "./db.js";
import { closeServer } from "./http.js";
import { openBucket } from "./kv.js";
import { serveMetrics } from "./metrics.js";
import type { Outbox } from "./outbox.js";
import { PRESENCE_INTERVAL_MS, ServicePresence, type InstanceClaim } from "./presence.js";
import { openRuntime, type CommonServiceOptions, type Connection, type Runtime } from "./runtime.js";

/** Something that takes work until stopped: a consumer runner, a KV watcher, the kitchen's fetch loops and stove. */
export interface Stoppable {
  /** Graceful: take nothing new, finish (or hand back) what is in hand. */
  stop(): Promise<void> | void;
  /** A crash: stop at once, abandon what is in hand. */
  halt(): void;
}

/** What a service runs, handed to the lifecycle once it is up; each part is optional. */
export interface ServiceParts {
  /** The HTTP API: closed first at a stop (no new work). */
  server?: Server;
  /** Stopped in this order at a graceful stop, after the server. */
  consumers?: Stoppable[];
  /** The control subscription (pizzeria.ctl.<service>.<instance>.*): answers until the work is done. */
  control?: { stop(): void };
  /** Stopped after the consumers (what they wrote still goes out), halted at a crash. */
  outbox?: Outbox;
  /** The service's first words of a graceful stop (a log line). */
  stopping?(): void;
  /** Its last words once stopped, before the connection and the log close. */
  stopped?(): void;
}

export interface LifecycleOptions {
  /** How the instance claims its name (default: a ServicePresence record in `pizzeria_instances`). */
  claim?(connection: Connection): Promise<InstanceClaim>;
  /** Heartbeat of the claim (default PRESENCE_INTERVAL_MS). */
  heartbeatIntervalMs?: number;
}

/**
 * One service instance from start to end: it claims the instance (its name, through a presence
 * record with heartbeats; its data file, through a lock file) before the database is opened, owns
 * what the service runs, and ends it one way or the other:
 * - `stop()`: graceful, in this order: the HTTP server (no new work), the consumers (finish what
 *   is in hand), the control subscription, the outbox (publish what is left), the heartbeat and
 *   the presence (signed off: the name is free at once), the connection and database, the lock;
 * - `abort()`: a crash: nothing is finished or signed off; the connection and database are
 *   dropped. The lock file and this process's hold on the name are let go of, so that the same
 *   instance can be started again in this process at once (the harness's in-process "kill").
 */
export class ServiceLifecycle {
  private parts: ServiceParts = {};
  private ending: Promise<void> | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  /** GET /metrics of a service without an HTTP API (serveMetrics()). */
  private metricsServer: Server | null = null;

  /** The disk faults' control verb, which every service answers (serveDiskControl). */
  private readonly diskControl: { stop(): void };

  private constructor(
    readonly rt: Runtime,
    private readonly claim: InstanceClaim,
    private readonly lock: DataFileLock,
    heartbeatIntervalMs: number,
    private readonly metricsAt: { port: number; host: string },
  ) {
    this.heartbeat = setInterval(() => {
      void claim.beat();
      rt.log.debug({ action: "heartbeat_sent", interval_ms: heartbeatIntervalMs }, "Heartbeat sent");
    }, heartbeatIntervalMs);
    this.diskControl = serveDiskControl(rt);
  }

  /**
   * Open a service instance: connect, claim the name (refused while an instance of it is
   * online), lock the data file (refused while another live process has it), open the database.
   */
  static async open(service: ServiceName, instance: string, options: CommonServiceOptions, schema: string, lifecycle: LifecycleOptions = {}): Promise<ServiceLifecycle> {
    let claim: InstanceClaim | null = null;
    let lock: DataFileLock | null = null;
    try {
      const rt = await openRuntime(service, instance, options, schema, async (connection) => {
        claim = lifecycle.claim ? await lifecycle.claim(connection) : await claimPresence(connection);
        try {
          lock = lockDataFile(options.dbFile, service, instance);
        } catch (err) {
          await claim.signOff(); // the name is not used after all
          claim = null;
          throw err;
        }
      });
      const metricsAt = { port: options.metricsPort ?? 0, host: options.metricsHost ?? "127.0.0.1" };
      return new ServiceLifecycle(rt, claim!, lock!, lifecycle.heartbeatIntervalMs ?? PRESENCE_INTERVAL_MS, metricsAt);
    } catch (err) {
      (claim as InstanceClaim | null)?.cancel();
      (lock as DataFileLock | null)?.release();
      throw err;
    }
  }

  /** The service is up: these are what stop() and abort() end. */
  own(parts: ServiceParts): void {
    this.parts = parts;
    const { outbox } = parts;
    if (outbox) {
      // Read at scrape time; a database already closed (the end of a stop) reads as nothing.
      this.rt.metrics.gauge("outbox_backlog_messages", "Outbox rows written and not yet published to JetStream", () => {
        try {
          return outbox.pending();
        } catch {
          return Number.NaN;
        }
      });
    }
  }

  /**
   * GET /metrics on a port of its own (options.metricsPort, 0: a free one), for a service without
   * an HTTP API; logged as `metrics_listening`. Its URL, for the service's handle.
   */
  async serveMetrics(): Promise<{ url: string; port: number }> {
    const { server, url, port } = await serveMetrics(this.rt.metrics, this.metricsAt.port, this.metricsAt.host);
    this.metricsServer = server;
    this.rt.log.info({ action: "metrics_listening", url }, `Metrics at ${url}`);
    return { url, port };
  }

  /** Run the rest of a service's start; if it fails, let go of everything opened so far (and of the claims) and pass the error on. */
  async starting<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
  }

  stop(): Promise<void> {
    this.ending ??= (async () => {
      const { server, consumers = [], control, outbox } = this.parts;
      this.parts.stopping?.();
      if (server) await closeServer(server);
      for (const c of consumers) await c.stop();
      control?.stop();
      this.diskControl.stop();
      await outbox?.stop();
      clearInterval(this.heartbeat);
      await this.claim.signOff();
      this.parts.stopped?.();
      if (this.metricsServer) await closeServer(this.metricsServer);
      try {
        await this.rt.close();
      } finally {
        this.lock.release();
      }
    })();
    return this.ending;
  }

  abort(): Promise<void> {
    this.ending ??= (async () => {
      const { server, consumers = [], control, outbox } = this.parts;
      clearInterval(this.heartbeat);
      this.claim.cancel();
      control?.stop();
      this.diskControl.stop();
      if (server) {
        server.closeAllConnections();
        server.close();
      }
      for (const c of consumers) c.halt();
      this.metricsServer?.closeAllConnections();
      this.metricsServer?.close();
      void outbox?.halt();
      await this.rt.abort().catch((err) => this.rt.log.debug({ action: "abort_failed", error: errorField(err) }, errorMessage(err)));
      this.lock.release();
    })();
    return this.ending;
  }
}

/**
 * `pizzeria.ctl.<service>.<instance>.disk`: the disk faults, in every service. `{full: true}`
 * holds the database at its size (disk_full), `{full: false}` lets it grow again;
 * `{commitDelayMs}` makes every commit take that much longer (slow_disk; 0 ends it). Answers the
 * database's DiskState.
 */
function serveDiskControl(rt: Runtime): { stop(): void } {
  return serveControl(rt.nc, rt.service, rt.instance, rt.log, {
    disk(req: { full?: unknown; commitDelayMs?: unknown }) {
      const guard = diskGuard(rt.db);
      if (req.full !== undefined && typeof req.full !== "boolean") throw new Error(`full must be true or false; got ${JSON.stringify(req.full)}`);
      if (req.commitDelayMs !== undefined && typeof req.commitDelayMs !== "number") throw new Error(`commitDelayMs must be a number of ms; got ${JSON.stringify(req.commitDelayMs)}`);
      if (req.full === true) guard.hold();
      else if (req.full === false) guard.release();
      if (typeof req.commitDelayMs === "number") guard.slow(req.commitDelayMs);
      return guard.state();
    },
  });
}

/** The default claim: the instance's record in `pizzeria_instances`. */
async function claimPresence(connection: Connection): Promise<InstanceClaim> {
  const kv = await openBucket(connection.nc, BUCKETS.instances, { replicas: connection.topology.replicas });
  const presence = new ServicePresence(kv, connection.service, connection.instance);
  await presence.claim();
  return presence;
}
