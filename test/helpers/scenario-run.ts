import { rmSync } from "node:fs";
import { ScenarioRun } from "../../src/sim/run.js";
import type { RunReport } from "../../src/sim/telemetry/run-events.js";
import { parseScenario } from "../../src/sim/scenario/scenario.js";
import { scratchDir } from "./nats.js";

/**
 * Run a scenario written inline (YAML) in a scratch run directory and return its report. The
 * header gives every test the same small, quick shape unless the text overrides it.
 */
export async function runScenarioText(name: string, body: string, options: { keepDir?: boolean } = {}): Promise<RunReport & { dir: string }> {
  const dir = scratchDir(`run-${name}`);
  const text = `name: ${name}\nseed: 5\n${body}`;
  const scenario = parseScenario(text, `${name}.yaml`);
  const run = new ScenarioRun({ scenario, runDir: dir, proxies: scenario.chaos.some((c) => ["latency", "bandwidth", "timeout", "reset_peer", "slicer", "partition"].includes(c.kind)) });
  try {
    const report = await run.run();
    return Object.assign(report, { dir });
  } finally {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}
