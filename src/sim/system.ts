import { join } from "node:path";
import type { OrderType } from "../services/shared/contracts.js";
import type { NatsOptions, TopologyOptions } from "../services/shared/nats.js";
import type { ProviderSettings } from "../services/payment/payment-provider.js";
import type { Scenario } from "./scenario.js";

/** One kitchen worker of a roster. */
export interface WorkerSpec {
  name: string;
  orderTypes?: OrderType[];
  prefetch?: number;
}

/** What to run: the scenario's `services` section, and `up`'s default. */
export interface Roster {
  order: { instances: number; maxConcurrent?: number; port?: number };
  payment: { instances: number; provider?: Partial<ProviderSettings>; concurrency?: number };
  kitchen: WorkerSpec[];
  tracking: { instances: number; port?: number };
  notification: { instances: number };
}

export const DEFAULT_ROSTER: Roster = {
  order: { instances: 1 },
  payment: { instances: 1 },
  kitchen: [
    { name: "chef_mario", orderTypes: ["dine_in", "takeout", "delivery"] },
    { name: "chef_anna", orderTypes: ["dine_in"] },
    { name: "chef_luigi", orderTypes: ["takeout", "delivery"] },
  ],
  tracking: { instances: 1 },
  notification: { instances: 2 },
};

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
  /** Put a TCP proxy between each instance and NATS, so network faults can be injected per instance. */
  proxies?: boolean;
  /** Ports for the first order and tracking instances (0: any free port). */
  orderPort?: number;
  trackingPort?: number;
}

export function instanceFiles(runDir: string, service: string, instance: string): { dbFile: string; logFile: string } {
  return {
    dbFile: join(runDir, "db", `${service}-${instance}.db`),
    logFile: join(runDir, "logs", `${service}-${instance}.log`),
  };
}

/** What `pizzeria up` runs: the default roster, no load of its own, a check of whatever happened at the end. */
export function upScenario(options: { timeScale: number; heartbeatIntervalMs: number; mode: "inprocess" | "processes"; cluster: number; roster?: Roster }): Scenario {
  return {
    file: "(up)",
    name: "up",
    description: "The system, running until Ctrl-C; orders come from you (curl, pizzeria run --nats ...).",
    seed: 0,
    durationMs: 0,
    timeScale: options.timeScale,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    mode: options.mode,
    cluster: options.cluster,
    load: [],
    orders: { types: { dine_in: 1 / 3, takeout: 1 / 3, delivery: 1 / 3 }, items: { min: 1, max: 3 }, invalid: 0 },
    roster: options.roster ?? DEFAULT_ROSTER,
    chaos: [],
    expect: { lost: 0, duplicated: 0, invalid: 0 },
    drainTimeoutMs: 15_000,
  };
}
