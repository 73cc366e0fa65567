import { join } from "node:path";
import { DEFAULT_ROSTER } from "../scenario/roster.js";
import { startBroker } from "../system/broker.js";
import { cpuMicrosPer, measureCpu } from "./cpu.js";
import { fmt } from "./accept.js";
import { measureJetStreamCeiling } from "./jetstream-raw.js";
import type { PipelineResult } from "./pipeline.js";
import type { Progress } from "./progress.js";

/** The raw JetStream topology's cost at one paced rate (see JetStreamCeilingOptions.pacedRate). */
export interface PacedJetStreamCost {
  rate: number;
  orders: number;
  seconds: number;
  /** CPU microseconds per order: the clients (one process, every durable on its own connection) and the broker. */
  cpuMicrosPerOrder: number;
  clientsMicrosPerOrder: number;
  brokerMicrosPerOrder: number;
}

/**
 * What the same messages as the pipeline's (5 publishes, 22 deliveries an order, acked as the
 * services ack them) cost the broker and its clients when offered at `rate` orders a second for
 * `seconds`, on a fresh broker of its own. At low rates every message is a wake-up of its own in
 * every process it touches, so the flat-out ceiling's CPU per order is no baseline there: this is.
 */
export async function measurePacedJetStream(rate: number, seconds: number, workDir: string): Promise<PacedJetStreamCost> {
  const broker = await startBroker({ logFile: join(workDir, `nats-server-jetstream-paced-${rate}.log`) });
  try {
    const orders = Math.max(1, Math.round(rate * seconds));
    // From the first publish on: the setting up (stream, durables, connections) is not the load's.
    let wallStart = 0;
    let cpu: ReturnType<typeof measureCpu> | null = null;
    const js = await measureJetStreamCeiling({
      natsUrl: broker.url,
      roster: DEFAULT_ROSTER,
      orders,
      pacedRate: rate,
      onLoadStart: () => {
        wallStart = performance.now();
        cpu = measureCpu({ natsServer: broker.pid });
      },
    });
    const shares = (cpu as ReturnType<typeof measureCpu> | null)?.stop() ?? {};
    const wall = (performance.now() - wallStart) / 1000;
    const clients = cpuMicrosPer(shares.self ?? 0, wall, orders) ?? 0;
    const brokerCost = cpuMicrosPer(shares.natsServer ?? 0, wall, orders) ?? 0;
    return { rate, orders, seconds: js.seconds, cpuMicrosPerOrder: clients + brokerCost, clientsMicrosPerOrder: clients, brokerMicrosPerOrder: brokerCost };
  } finally {
    await broker.stop();
  }
}

/** The paced raw topology at each of `rates`, one after the other, for `seconds` each. */
export async function measurePacedBaselines(rates: number[], seconds: number, workDir: string, progress: Progress): Promise<PacedJetStreamCost[]> {
  const out: PacedJetStreamCost[] = [];
  for (const rate of rates) {
    progress.status(`baseline JetStream paced at ${fmt(rate)} orders/s for ${seconds} s`);
    const paced = await measurePacedJetStream(rate, seconds, workDir);
    progress.done();
    out.push(paced);
    progress.step(`baseline JetStream paced at ${fmt(rate)} orders/s: ${fmt(paced.cpuMicrosPerOrder)} us of CPU per order (clients ${fmt(paced.clientsMicrosPerOrder)} + broker ${fmt(paced.brokerMicrosPerOrder)})`);
  }
  return out;
}

/**
 * Sets each pipeline step's `cpuRatioToRawJetStream` (its CPU per order, system + harness, over
 * the paced raw topology's at the same rate) and reports it beside the flat-out ceiling's.
 */
export function compareWithRawJetStream(pipeline: PipelineResult, paced: PacedJetStreamCost[], flatOut: number | undefined, progress: Progress): void {
  for (const step of [...(pipeline.staircase?.steps ?? []), ...(pipeline.atHalf ? [pipeline.atHalf.step] : [])]) {
    const raw = paced.find((b) => b.rate === step.rate);
    const own = (step.cpuMicrosPerOrder?.system ?? 0) + (step.cpuMicrosPerOrder?.harness ?? 0);
    if (!raw || own === 0 || raw.cpuMicrosPerOrder === 0) continue;
    step.cpuRatioToRawJetStream = Math.round((own / raw.cpuMicrosPerOrder) * 100) / 100;
    progress.step(
      `pipeline[${pipeline.mode}] ${fmt(step.rate)}/s: ${fmt(own)} us of CPU per order (system ${fmt(step.cpuMicrosPerOrder?.system ?? 0)} + harness ${fmt(step.cpuMicrosPerOrder?.harness ?? 0)}) = ${step.cpuRatioToRawJetStream}x the raw JetStream topology paced at that rate (${fmt(raw.cpuMicrosPerOrder)} us)${flatOut ? `, ${Math.round((own / flatOut) * 10) / 10}x its flat-out cost (${fmt(flatOut)} us)` : ""}`,
    );
  }
}
