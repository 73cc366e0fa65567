import autocannon from "autocannon";
import hdr from "hdr-histogram-js";
import { ORDER_TYPES, type OrderType } from "../../services/shared/contracts.js";
import { OrderGenerator } from "../load/order-generator.js";

/** What one autocannon run measured. Latency is from autocannon's own send/response times, in ms. */
export interface HttpFigures {
  /** Seconds the run lasted (autocannon's measure). */
  seconds: number;
  connections: number;
  /** The overall rate asked for (null: as fast as it answers). */
  targetRate: number | null;
  /** Answers 201 per second. */
  okPerSecond: number;
  ok: number;
  /** Other statuses (503 overload counts here), connection errors, and timeouts. */
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** Paced runs: requests the generator itself sent more than 25 ms after their time. */
  late?: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

export interface BodyPool {
  /** Valid, varied order bodies (seeded); requests cycle through them. */
  bodies: Buffer[];
  seed: number;
}

/** `size` valid order bodies drawn by the scenario generator with this seed: the same bodies every run. */
export function orderBodies(seed: number, size = 4_096): BodyPool {
  const types = Object.fromEntries(ORDER_TYPES.map((t) => [t, 1 / ORDER_TYPES.length])) as Record<OrderType, number>;
  const generator = new OrderGenerator({ seed, orders: { types, items: { min: 1, max: 4 }, invalid: 0 } });
  return { seed, bodies: generator.take(size).map((r) => Buffer.from(r.body, "utf8")) };
}

export interface HttpLoadOptions {
  url: string;
  pool: BodyPool;
  /** Distinguishes the idempotency keys of runs against the same service. */
  label: string;
  connections: number;
  durationSeconds: number;
  overallRate?: number;
  /** Called about every second with requests answered so far. */
  onTick?: (answered: number) => void;
}

/**
 * POST /orders with autocannon's programmatic API: a different order body (and Idempotency-Key)
 * per request through setupRequest, as a real client sends them.
 */
export async function postOrders(options: HttpLoadOptions): Promise<HttpFigures> {
  const { bodies } = options.pool;
  let n = 0;
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  const statuses: Record<string, number> = {};
  let answered = 0;
  let finish!: (err: unknown, result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => (finish = (err, result) => (err ? reject(err) : resolve(result))));
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate ? { overallRate: Math.max(1, Math.round(options.overallRate)) } : {}),
    timeout: 10,
    requests: [
      {
        method: "POST",
        path: "/orders",
        setupRequest: (req) => {
          const i = n++;
          return {
            ...req,
            headers: { "content-type": "application/json", "idempotency-key": `bench-${options.label}-${options.pool.seed}-${i}` },
            body: bodies[i % bodies.length],
          };
        },
      },
    ],
  }, (err, result) => finish(err, result));
  instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
    answered++;
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode === 201) latency.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
  });
  const tick = options.onTick ? setInterval(() => options.onTick!(answered), 1_000) : null;
  const result = await done.finally(() => tick && clearInterval(tick));
  const ms = (us: number) => Math.round(us) / 1000;
  const ok = statuses["201"] ?? 0;
  const seconds = result.duration;
  return {
    seconds: Math.round(seconds * 100) / 100,
    connections: options.connections,
    targetRate: options.overallRate ? Math.round(options.overallRate) : null,
    okPerSecond: Math.round(ok / Math.max(0.001, seconds)),
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    latencyMs:
      latency.totalCount === 0
        ? { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
        : {
            p50: ms(latency.getValueAtPercentile(50)),
            p90: ms(latency.getValueAtPercentile(90)),
            p99: ms(latency.getValueAtPercentile(99)),
            max: ms(latency.maxValue),
            mean: ms(latency.mean),
          },
  };
}
