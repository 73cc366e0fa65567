import hdr from "hdr-histogram-js";
import { ORDER_TYPES, type OrderType } from "../../services/shared/contracts.js";
import { arrivals } from "../load/arrivals.js";
import { LoadRunner } from "../load/load-runner.js";
import { OrderGenerator } from "../load/order-generator.js";
import { Rng } from "../load/rng.js";
import type { HttpFigures } from "./http-load.js";

export interface PacedLoadOptions {
  url: string;
  rate: number;
  durationSeconds: number;
  /** Seeds the bodies and the Idempotency-Keys (`req-<seed>-<n>`): use a fresh one per run against one service. */
  seed: number;
  onTick?: (answered: number) => void;
}

/**
 * POST /orders at a fixed rate, open model (the harness's LoadRunner, as `pizzeria run` uses):
 * each order leaves at its scheduled time whether or not earlier ones were answered, and its
 * latency counts from that time. autocannon's `overallRate` is not used for this: it sends each
 * second's quota back to back at the start of the second and then waits, so "half the rate" would
 * be full-speed bursts and its latency that of the maximum.
 */
export async function postOrdersPaced(options: PacedLoadOptions): Promise<HttpFigures> {
  const types = Object.fromEntries(ORDER_TYPES.map((t) => [t, 1 / ORDER_TYPES.length])) as Record<OrderType, number>;
  const generator = new OrderGenerator({ seed: options.seed, orders: { types, items: { min: 1, max: 4 }, invalid: 0 } });
  const durationMs = options.durationSeconds * 1000;
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  const statuses: Record<string, number> = {};
  let answered = 0;
  let errors = 0;
  const startedAt = Date.now() + 20;
  const runner = new LoadRunner({
    targets: () => [options.url],
    arrivals: arrivals([{ durationMs, rate: options.rate, rampTo: options.rate, arrival: "constant" }], Rng.derive(options.seed, "bench-arrivals")),
    next: () => generator.next(),
    startedAt,
    timeoutMs: 10_000,
    onOutcome: (o) => {
      answered++;
      statuses[o.status] = (statuses[o.status] ?? 0) + 1;
      if (o.status === 201) latency.recordValue(Math.max(1, Math.round(o.latencyMs * 1000)));
      else if (o.status === 0) errors++;
    },
  });
  const tick = options.onTick ? setInterval(() => options.onTick!(answered), 1_000) : null;
  try {
    await runner.start();
  } finally {
    if (tick) clearInterval(tick);
  }
  const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
  const ok = statuses["201"] ?? 0;
  const ms = (us: number) => Math.round(us) / 1000;
  const late = runner.results().filter((r) => r.sentMs - r.scheduledMs > 25).length;
  return {
    seconds: Math.round(seconds * 100) / 100,
    connections: 0,
    targetRate: Math.round(options.rate),
    okPerSecond: Math.round(ok / Math.min(seconds, options.durationSeconds)),
    ok,
    non2xx: answered - ok - errors,
    errors,
    timeouts: 0,
    statuses,
    late,
    latencyMs:
      latency.totalCount === 0
        ? { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
        : { p50: ms(latency.getValueAtPercentile(50)), p90: ms(latency.getValueAtPercentile(90)), p99: ms(latency.getValueAtPercentile(99)), max: ms(latency.maxValue), mean: ms(latency.mean) },
  };
}
