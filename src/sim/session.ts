import { join } from "node:path";
import type { NatsOptions, TopologyOptions } from "../services/shared/nats.js";
import { findNatsServer, startBroker, type LocalBroker } from "./broker.js";
import { InProcessLauncher } from "./in-process-launcher.js";
import type { Launcher } from "./launcher.js";
import { createRunDir } from "./run-dir.js";
import type { Roster, SystemSettings } from "./system.js";

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
}

export interface Session {
  runDir: string;
  /** The broker this session started (absent with --nats). */
  broker: LocalBroker | null;
  nats: NatsOptions;
  launcher: Launcher;
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
  const broker = options.nats ? null : await startBroker({ logFile: join(runDir, "logs", "nats-server.log") });
  const nats: NatsOptions = options.nats ?? { servers: broker!.url };
  const settings: SystemSettings = {
    nats,
    topology: options.topology,
    runDir,
    timeScale: options.timeScale,
    cookTimeMs: options.cookTimeMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logLevel: options.logLevel,
    orderPort: options.orderPort,
    trackingPort: options.trackingPort,
  };
  const launcher = new InProcessLauncher(settings);
  try {
    await launcher.startRoster(options.roster);
  } catch (err) {
    await launcher.stopAll();
    await broker?.stop();
    throw err;
  }
  return {
    runDir,
    broker,
    nats,
    launcher,
    settings,
    async close() {
      await launcher.stopAll();
      await broker?.stop();
    },
  };
}
