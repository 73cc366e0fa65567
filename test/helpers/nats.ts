import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBroker, type LocalBroker } from "../../src/sim/broker.js";

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
