import { join } from "node:path";
import { ScenarioRun } from "../run.js";
import { upScenario } from "../scenario/scenario.js";
import type { BenchMode } from "./accept.js";
import { childProcesses, measureCpu, type CpuShares } from "./cpu.js";
import { loadAverage } from "./machine.js";
import type { Progress } from "./progress.js";

export interface IdleOptions {
  mode: BenchMode;
  /** Seconds measured, after `settleSeconds` for the start to be over. */
  seconds: number;
  settleSeconds: number;
  workDir: string;
  logLevel: string;
  progress: Progress;
}

export interface IdleResult {
  mode: BenchMode;
  seconds: number;
  /**
   * CPU time over wall time of every process while nothing was ordered (1 = one core): `harness`
   * is this process (in inprocess mode the services too), then the broker and each service
   * process by instance.
   */
  cpu: Record<string, number>;
  /** All of them summed: the cost of the roster standing by. */
  total: number;
  loadAverage: [number, number, number];
}

/**
 * The default roster (`pizzeria up`'s: order, payment, three kitchen workers, tracking, two
 * notification subscribers, the harness watching with its stream tap and dashboard feed) standing
 * by with no orders for `seconds`: what it costs per process to be up. Idle should cost next to
 * nothing; whatever it costs is timers and polls that run whether or not anything happened.
 */
export async function benchIdle(o: IdleOptions): Promise<IdleResult> {
  const scenario = upScenario({ timeScale: 100_000, heartbeatIntervalMs: 5_000, mode: o.mode, cluster: 1 });
  const run = new ScenarioRun({ scenario, observe: true, runDir: join(o.workDir, `idle-${o.mode}`), logLevel: o.logLevel });
  let measured: { cpu: CpuShares; load: [number, number, number] } | null = null;
  let failure: unknown = null;
  run.once("start", () => {
    void (async () => {
      try {
        await sleep(o.settleSeconds * 1000);
        o.progress.step(`idle[${o.mode}]: measuring ${o.seconds} s with nothing ordered`);
        const cpu = measureCpu(childProcesses());
        await sleep(o.seconds * 1000);
        measured = { cpu: cpu.stop(), load: loadAverage() };
      } catch (err) {
        failure = err;
      } finally {
        run.finish();
      }
    })();
  });
  await run.run();
  if (failure) throw failure;
  if (!measured) throw new Error(`idle[${o.mode}]: the roster stopped before it was measured`);
  const { cpu, load } = measured as { cpu: CpuShares; load: [number, number, number] };
  const shares: Record<string, number> = {};
  for (const [name, share] of Object.entries(cpu)) {
    if (share === null || name.startsWith("pid-") || name === "reaper") continue;
    shares[name === "self" ? "harness" : name] = share;
  }
  const total = Math.round(Object.values(shares).reduce((a, b) => a + b, 0) * 1000) / 1000;
  return { mode: o.mode, seconds: o.seconds, cpu: shares, total, loadAverage: load };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `idle[processes]: 3.1% of one core: harness 1.0%, nats-server 0.8%, order/order-1 0.3%, ...` */
export function idleLine(r: IdleResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const parts = Object.entries(r.cpu).sort(([a], [b]) => (a === "harness" ? -1 : b === "harness" ? 1 : a.localeCompare(b))).map(([k, v]) => `${k} ${pct(v)}`);
  return `idle[${r.mode}] over ${r.seconds} s: ${pct(r.total)} of one core: ${parts.join(", ")} (load ${r.loadAverage.join(" ")})`;
}
