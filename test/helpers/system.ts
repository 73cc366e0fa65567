import { rmSync } from "node:fs";
import type { TopologyOptions } from "../../src/services/shared/nats.js";
import { InProcessLauncher } from "../../src/sim/system/in-process-launcher.js";
import { DEFAULT_ROSTER, type Roster } from "../../src/sim/scenario/roster.js";
import { scratchDir, startTestBroker } from "./nats.js";

export interface TestSystem {
  broker: Awaited<ReturnType<typeof startTestBroker>>;
  launcher: InProcessLauncher;
  natsUrl: string;
  orderUrl: string;
  trackingUrl: string;
  runDir: string;
  close(): Promise<void>;
}

/** Quick redelivery so crash tests do not wait long; every service of a system shares it. */
export const TEST_TOPOLOGY: TopologyOptions = { ackWaitMs: 1_000, maxDeliver: 10 };

/** A real broker plus a roster of real services in this process, each with its own SQLite file. */
export async function startTestSystem(options: { roster?: Partial<Roster>; cookTimeMs?: number; heartbeatIntervalMs?: number } = {}): Promise<TestSystem> {
  const broker = await startTestBroker();
  const runDir = scratchDir("run");
  const launcher = new InProcessLauncher({
    nats: { servers: broker.url },
    topology: TEST_TOPOLOGY,
    runDir,
    cookTimeMs: options.cookTimeMs ?? 20,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
  });
  await launcher.startRoster({ ...DEFAULT_ROSTER, ...options.roster });
  return {
    broker,
    launcher,
    natsUrl: broker.url,
    orderUrl: launcher.urls("order")[0],
    trackingUrl: launcher.urls("tracking")[0],
    runDir,
    async close() {
      await launcher.stopAll();
      await broker.cleanup();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
