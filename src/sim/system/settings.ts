import { join } from "node:path";
import type { NatsOptions, TopologyOptions } from "../../services/shared/nats.js";

/** Settings shared by every service of one system. */
export interface SystemSettings {
  nats: NatsOptions;
  topology?: TopologyOptions;
  /** Where each instance keeps `db/<service>-<instance>.db` and `logs/<service>-<instance>.log`. */
  runDir: string;
  timeScale?: number;
  /** Fixed cooking time (0 for throughput runs); overrides timeScale. */
  cookTimeMs?: number;
  heartbeatIntervalMs?: number;
  logLevel?: string;
  /** Ports for the first order and tracking instances (0: any free port). */
  orderPort?: number;
  trackingPort?: number;
  /** Port of the first customer instance (0 or absent: any free port). */
  customerPort?: number;
}

export function instanceFiles(runDir: string, service: string, instance: string): { dbFile: string; logFile: string } {
  return {
    dbFile: join(runDir, "db", `${service}-${instance}.db`),
    logFile: join(runDir, "logs", `${service}-${instance}.log`),
  };
}

/**
 * What an instance printed (its stdout as a process; in-process, the lines a notification
 * subscriber prints), beside its log: `logs/<service>-<instance>.out`. The checker reads the
 * subscribers' files: what they announced, not what their tables say they did.
 */
export function outputFile(runDir: string, service: string, instance: string): string {
  return join(runDir, "logs", `${service}-${instance}.out`);
}
