import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll } from "vitest";
import { ensureStreams, resolveTopology, type TopologyOptions } from "../../src/services/shared/nats.js";
import { startBroker, type LocalBroker } from "../../src/sim/system/broker.js";

/**
 * The one way tests get a broker: a real nats-server with JetStream on a free loopback port and
 * its own store directory, stopped (and its store removed) by `stop()`. `args` go to nats-server
 * (e.g. `--auth <token>`).
 */
export async function startTestBroker(options: { args?: string[] } = {}): Promise<LocalBroker & { dir: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "pizzeria-test-"));
  const broker = await startBroker({ storeDir: join(dir, "js"), logFile: join(dir, "nats-server.log"), args: options.args });
  return Object.assign(broker, {
    dir,
    async cleanup() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** A scratch directory for a test's SQLite files and logs. */
export function scratchDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `pizzeria-${label}-`));
}

export type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

/** What `useTestNats` hands a describe block; filled in before its first test. */
export interface TestNats {
  broker: TestBroker;
  nc: NatsConnection;
  jsm: JetStreamManager;
}

/**
 * For a describe block: a test broker and a connection to it, started before its tests (with the
 * ORDERS and DLQ streams of `topology`, unless `streams` is false) and closed and removed after them.
 */
export function useTestNats(options: { topology?: TopologyOptions; streams?: boolean } = {}): TestNats {
  const t = {} as TestNats;
  beforeAll(async () => {
    t.broker = await startTestBroker();
    t.nc = await connect({ servers: t.broker.url });
    t.jsm = await jetstreamManager(t.nc);
    if (options.streams !== false) await ensureStreams(t.jsm, resolveTopology(options.topology));
  });
  afterAll(async () => {
    await t.nc?.close();
    await t.broker?.cleanup();
  });
  return t;
}
