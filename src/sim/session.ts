import { join } from "node:path";
import { connectNats, type NatsOptions, type TopologyOptions } from "../services/shared/nats.js";
import { prepareTopology } from "../services/shared/topology.js";
import { openRestaurantsBucket, seedRestaurants } from "../services/shared/restaurants.js";
import { DEFAULT_RESTAURANTS } from "../services/shared/menus.js";
import { startBroker, type LocalBroker } from "./system/broker.js";
import { findNatsServer } from "./system/nats-binary.js";
import { startCluster, type LocalCluster } from "./system/cluster.js";
import { InstanceProxies } from "./faults/instance-proxies.js";
import { InProcessLauncher } from "./system/in-process-launcher.js";
import type { Launcher } from "./system/launcher.js";
import { ProcessSupervisor } from "./system/process-supervisor.js";
import { createRunDir } from "./system/run-dir.js";
import type { SystemSettings } from "./system/settings.js";
import type { Roster } from "./scenario/roster.js";
import type { RunMode } from "./scenario/run-mode.js";

export interface SessionOptions {
  /** Use this NATS instead of starting one. */
  nats?: NatsOptions;
  roster: Roster;
  label: string;
  runDir?: string;
  topology?: TopologyOptions;
  timeScale?: number;
  cookTimeMs?: number;
  heartbeatIntervalMs?: number;
  orderPort?: number;
  trackingPort?: number;
  logLevel?: string;
  /** Start a local JetStream cluster of this many nodes instead of one server (with no `nats`). */
  cluster?: number;
  /** A TCP proxy between each instance and NATS, so network faults can target one service. */
  proxies?: boolean;
  /** Run each service instance inside this process (default) or as its own `pizzeria service` process. */
  mode?: RunMode;
}

export interface Session {
  runDir: string;
  /** The broker this session started (absent with --nats or a cluster). */
  broker: LocalBroker | null;
  /** The local cluster this session started (`cluster` > 1). */
  cluster: LocalCluster | null;
  nats: NatsOptions;
  launcher: Launcher;
  /** The TCP proxies between each instance and NATS (network faults), when the session has them. */
  proxies: InstanceProxies | null;
  settings: SystemSettings;
  /** Stop every service gracefully, then the broker we started. */
  close(): Promise<void>;
}

/**
 * A running system: a run directory, a broker (ours or the user's), and the roster started in
 * this process. `up` and `run` both begin here.
 */
export async function openSession(options: SessionOptions): Promise<Session> {
  if (!options.nats) findNatsServer(); // fail before leaving a run directory behind
  const runDir = createRunDir(options.label, "runs", options.runDir);
  const clusterSize = options.cluster ?? 1;
  const cluster = !options.nats && clusterSize > 1 ? await startCluster({ size: clusterSize, logDir: join(runDir, "logs") }) : null;
  const broker = options.nats || cluster ? null : await startBroker({ logFile: join(runDir, "logs", "nats-server.log") });
  const nats: NatsOptions = options.nats ?? (cluster ? { servers: cluster.urls } : { servers: broker!.url });
  // Streams are replicated on every node of a cluster we start (R3 on three nodes).
  const topology = cluster ? { ...options.topology, replicas: Math.min(3, clusterSize) } : options.topology;
  const settings: SystemSettings = {
    nats,
    topology,
    runDir,
    timeScale: options.timeScale,
    cookTimeMs: options.cookTimeMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logLevel: options.logLevel,
    orderPort: options.orderPort,
    trackingPort: options.trackingPort,
  };
  const proxies = options.proxies ? new InstanceProxies() : null;
  const route = proxies ? (id: string, to: NatsOptions) => proxies.route(id, to) : undefined;
  const launcher = options.mode === "processes" ? new ProcessSupervisor(settings, {}, route) : new InProcessLauncher(settings, route);
  try {
    const nc = await connectNats(nats, "harness-setup");
    try {
      await prepareTopology(nc, topology);
      // Carts are priced from the restaurants bucket, which the restaurant service writes: without one, the default menus.
      if ((options.roster.customer?.instances ?? 0) > 0 && options.roster.restaurant.instances === 0) await seedRestaurants(await openRestaurantsBucket(nc, topology?.replicas ?? 1), DEFAULT_RESTAURANTS);
    } finally {
      await nc.close();
    }
    await launcher.startRoster(options.roster);
  } catch (err) {
    await launcher.stopAll();
    await proxies?.closeAll();
    await broker?.stop();
    await cluster?.stop();
    throw err;
  }
  return {
    runDir,
    broker,
    cluster,
    nats,
    launcher,
    proxies,
    settings,
    async close() {
      await launcher.stopAll();
      await proxies?.closeAll();
      await broker?.stop();
      await cluster?.stop();
    },
  };
}
