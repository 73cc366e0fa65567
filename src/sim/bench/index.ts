import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_ROSTER } from "../scenario/roster.js";
import { startBroker } from "../system/broker.js";
import { benchAccept, fmt, type AcceptResult, type BenchMode } from "./accept.js";
import { measureJetStreamCeiling, messagesPerOrder } from "./jetstream-raw.js";
import { featuresOf } from "../../services/shared/server-features.js";
import { cpuMicrosPer, measureCpu } from "./cpu.js";
import { describeMachine, gitVersion, loadAverage } from "./machine.js";
import { BENCH_ROSTER, benchPipeline, type BenchRoster, type PipelineResult } from "./pipeline.js";
import { bar, silentProgress, type Progress } from "./progress.js";
import { checkTargets, writeResult, type BenchResult } from "./results.js";
import { measureSqliteCeiling } from "./sqlite-ceiling.js";
import { withCpuProfile } from "./cpu-profile.js";
import { benchIdle, idleLine } from "./idle.js";
import { benchSoak, soakLine } from "./soak.js";
import { compareWithRawJetStream, measurePacedBaselines } from "./jetstream-paced.js";

export type BenchWhat = "accept" | "pipeline" | "idle" | "soak" | "all";

export interface BenchOptions {
  what: BenchWhat;
  modes: BenchMode[];
  /** A few seconds in all: proves the bench works (tests), figures not meant to be quoted. */
  quick?: boolean;
  /** Where the result JSON goes (bench/results); null: do not write one. */
  outDir: string | null;
  name?: string;
  command?: string;
  seed?: number;
  logLevel?: string;
  accept?: { durationSeconds?: number; warmupSeconds?: number; connections?: number; maxConcurrent?: number };
  pipeline?: { rates?: number[]; stepSeconds?: number; warmupSeconds?: number; p99LimitMs?: number; drainTimeoutSeconds?: number; roster?: Partial<BenchRoster> };
  idle?: { seconds?: number; settleSeconds?: number };
  /** `bench soak` (not part of `all`: it is long): minutes of paced load, its rate, seconds between samples. */
  soak?: { minutes?: number; rate?: number; sampleSeconds?: number; retentionAgeMs?: number };
  /** Pipeline rates up to this also get the raw JetStream topology paced at that rate (default 500). */
  pacedBaselineUpTo?: number;
  /** Orders' worth of messages for the raw JetStream ceiling. */
  jetstreamOrders?: number;
  /** Write CPU profiles here (accept: the order service; pipeline: the staircase, every process). */
  profileDir?: string;
  /** Keep the scratch directory (databases, service logs, run timelines). */
  keepWorkDir?: boolean;
  progress?: Progress;
}

export const FULL_RATES = [250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 3500, 4000];

/**
 * `pizzeria bench`: the order API against a bare node:http server, and the whole pipeline against
 * the raw JetStream ceiling, every baseline measured in the same run (the machine is shared and
 * noisy: ratios mean more than absolute figures). Returns the result and, unless `outDir` is
 * null, writes it to `<outDir>/<date>-<name>.json`.
 */
export async function runBench(options: BenchOptions): Promise<{ result: BenchResult; file: string | null; workDir: string }> {
  const quick = options.quick ?? false;
  const progress = options.progress ?? silentProgress();
  const seed = options.seed ?? 1;
  const logLevel = options.logLevel ?? "info";
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), "pizzeria-bench-"));
  const result = await emptyResult(options, quick, started);
  progress.step(`bench ${options.what}${quick ? " (quick)" : ""}: ${result.machine.cpus} x ${result.machine.cpuModel}, Node ${result.machine.node}, nats-server ${result.machine.natsServer}; load average ${result.loadAverage.start.join(" ")}`);
  if (options.profileDir) mkdirSync(options.profileDir, { recursive: true });
  try {
    if (options.what === "idle" || options.what === "all") {
      const i = options.idle ?? {};
      for (const mode of options.modes) {
        const idle = await benchIdle({ mode, seconds: i.seconds ?? (quick ? 2 : 20), settleSeconds: i.settleSeconds ?? (quick ? 1 : 5), workDir, logLevel, progress });
        (result.idle ??= []).push(idle);
        progress.step(idleLine(idle));
      }
    }

    if (options.what === "soak") await soakEachMode(options, result, { quick, seed, workDir, logLevel, progress });

    if (options.what === "accept" || options.what === "all") {
      const a = options.accept ?? {};
      result.baselines.sqlite = measureSqliteCeiling(quick ? 0.2 : 2);
      progress.step(`baseline SQLite (WAL, synchronous=NORMAL) order + outbox: ${fmt(result.baselines.sqlite.perTransaction)} tx/s one per transaction, ${fmt(result.baselines.sqlite.grouped)} orders/s ${result.baselines.sqlite.batch} per transaction`);
      for (const mode of options.modes) {
        const acceptOptions = {
          mode,
          durationSeconds: a.durationSeconds ?? (quick ? 1 : 10),
          warmupSeconds: a.warmupSeconds ?? (quick ? 0 : 2),
          connections: a.connections ?? (quick ? 10 : 50),
          // Quick mode proves the bench works beside other tests: no flat-out load.
          rateCap: quick ? 400 : undefined,
          maxConcurrent: a.maxConcurrent ?? 10_000,
          seed,
          workDir,
          logLevel,
          cpuProfDir: mode === "processes" ? options.profileDir : undefined,
          progress,
        };
        const accept: AcceptResult =
          mode === "inprocess" && options.profileDir
            ? await withCpuProfile(options.profileDir, "accept-inprocess", () => benchAccept(acceptOptions))
            : await benchAccept(acceptOptions);
        result.accept.push(accept);
        progress.step(`accept[${mode}]: ${fmt(accept.accept.okPerSecond)} orders/s = ${(accept.ratio * 100).toFixed(1)}% of bare node:http (${fmt(accept.bare.okPerSecond)} req/s); p99 ${accept.half.latencyMs.p99} ms at half rate; ${accept.durability.complete ? "every 201 is in JetStream" : "SOME 201s ARE MISSING FROM JETSTREAM"}`);
      }
      result.notes.push(
        `accept: the order service runs with --max-concurrent ${options.accept?.maxConcurrent ?? 10_000} (default 50) so 503s do not cap the rate; autocannon -c ${options.accept?.connections ?? (quick ? 10 : 50)}, a different seeded order body and Idempotency-Key per request; log level ${logLevel}.`,
      );
    }

    if (options.what === "pipeline" || options.what === "all") {
      const p = options.pipeline ?? {};
      const roster = { ...BENCH_ROSTER, ...p.roster };
      const broker = await startBroker({ logFile: join(workDir, "nats-server-jetstream-ceiling.log") });
      try {
        const orders = options.jetstreamOrders ?? (quick ? 300 : 20_000);
        const perOrder = messagesPerOrder(DEFAULT_ROSTER, featuresOf(broker.version));
        const cpu = measureCpu({ natsServer: broker.pid });
        const js = await measureJetStreamCeiling({
          natsUrl: broker.url,
          roster: DEFAULT_ROSTER,
          orders,
          onProgress: (d, total) => progress.status(`baseline JetStream ${bar(d / total)} ${fmt(d)} of ${fmt(total)} deliveries`),
        });
        const shares = cpu.stop();
        progress.done();
        const acksPerOrder = Math.round((js.acks / js.orders) * 100) / 100;
        // Clients (this process) and broker together: what the messages of an order cost with nothing else to do.
        const cpuMicrosPerOrder = cpuMicrosPer((shares.self ?? 0) + (shares.natsServer ?? 0), js.seconds, js.orders) ?? 0;
        result.baselines.jetstream = { ...js, cpuMicrosPerOrder, perOrder: { publishes: perOrder.publishes, deliveries: perOrder.deliveries, acks: acksPerOrder } };
        progress.step(`baseline JetStream (${perOrder.publishes} publishes + ${perOrder.deliveries} deliveries per order, acked as the services ack them: ${acksPerOrder} acks per order; ${fmt(orders)} orders): ${fmt(js.ordersPerSecond)} orders/s (${fmt(js.publishesPerSecond + js.deliveriesPerSecond)} msg/s), ${fmt(cpuMicrosPerOrder)} us of CPU per order (clients + broker); publish alone ${fmt(js.publishes / js.publishSeconds)} msg/s`);
      } finally {
        await broker.stop();
      }
      const rates = p.rates ?? (quick ? [50] : FULL_RATES);
      const stepSeconds = p.stepSeconds ?? (quick ? 2 : 10);
      const pacedBaselines = await measurePacedBaselines(rates.filter((r) => r <= (options.pacedBaselineUpTo ?? 500)), stepSeconds, workDir, progress);
      result.baselines.jetstreamPaced = pacedBaselines;
      for (const mode of options.modes) {
        const pipeline: PipelineResult = await benchPipeline({
          mode,
          rates,
          stepSeconds,
          warmupSeconds: p.warmupSeconds ?? (quick ? 1 : 5),
          p99LimitMs: p.p99LimitMs ?? 1_000,
          drainTimeoutSeconds: p.drainTimeoutSeconds ?? (quick ? 15 : 60),
          seed,
          workDir,
          logLevel,
          roster,
          profileDir: options.profileDir,
          progress,
        });
        compareWithRawJetStream(pipeline, pacedBaselines, result.baselines.jetstream?.cpuMicrosPerOrder, progress);
        const ceiling = result.baselines.jetstream?.ordersPerSecond;
        result.pipeline.push({ ...pipeline, ratioToJetStream: pipeline.maxHeldRate !== null && ceiling ? Math.round((pipeline.maxHeldRate / ceiling) * 1000) / 1000 : null });
        if (!pipeline.skipped) {
          const h = pipeline.atHalf?.step.endToEnd;
          progress.step(`pipeline[${mode}]: highest rate held ${pipeline.maxHeldRate === null ? "none" : `${fmt(pipeline.maxHeldRate)} orders/s`} (JetStream ceiling ${fmt(ceiling ?? 0)} orders/s); at half: e2e p50 ${h?.p50 ?? "-"} ms p99 ${h?.p99 ?? "-"} ms`);
        }
      }
      result.notes.push(
        `pipeline: ${result.pipeline.some((x) => x.settings.harnessPriorityRaised) ? "in processes mode the harness (load generator, stream tap) ran at nice -5 once the services were up; " : ""}cooking time 0; payment provider ${roster.paymentLatencyMs} ms latency, ${roster.paymentFailureRate * 100}% declines, concurrency ${roster.paymentConcurrency}; kitchen prefetch ${roster.kitchenPrefetch}; order --max-concurrent ${roster.orderMaxConcurrent}; default roster otherwise (3 workers, 1 tracking, 2 notification); log level ${logLevel}. End-to-end = scheduled send time to OrderCompleted stored in the stream (its JetStream timestamp; the broker is the bench's own, on this clock).`,
      );
    }
  } finally {
    if (!options.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    else progress.step(`scratch files kept in ${workDir}`);
  }
  if (options.profileDir) result.profiles = listProfiles(options.profileDir);
  result.targets = checkTargets(result);
  result.loadAverage.end = loadAverage();
  result.durationSeconds = Math.round((Date.now() - started) / 1000);
  const file = options.outDir ? writeResult(options.outDir, result) : null;
  return { result, file, workDir };
}

/** `bench soak` (not part of `all`: it is long), once per mode. */
async function soakEachMode(options: BenchOptions, result: BenchResult, x: { quick: boolean; seed: number; workDir: string; logLevel: string; progress: Progress }): Promise<void> {
  const k = options.soak ?? {};
  for (const mode of options.modes) {
    const soak = await benchSoak({ mode, minutes: k.minutes ?? (x.quick ? 0.5 : 30), rate: k.rate ?? 100, sampleSeconds: k.sampleSeconds ?? (x.quick ? 5 : 15), seed: x.seed, workDir: x.workDir, logLevel: x.logLevel, progress: x.progress, ...(k.retentionAgeMs !== undefined ? { retentionAgeMs: k.retentionAgeMs } : {}) });
    (result.soak ??= []).push(soak);
    x.progress.step(soakLine(soak));
  }
  result.notes.push(`soak: the bench roster (cooking time 0, payment 20 ms latency, 5% declines), the load paced by the harness's own load generator, the ORDERS stream bounded as \`up\` bounds it; RSS from /proc/<pid>/status; growth from the sample at 1/6 of the run (minute 5 of 30) to the last; log level ${x.logLevel}.`);
}

function listProfiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".cpuprofile")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

/** A result with nothing measured yet. */
async function emptyResult(options: BenchOptions, quick: boolean, started: number): Promise<BenchResult> {
  return {
    name: options.name ?? `${options.what}${quick ? "-quick" : ""}`,
    date: new Date(started).toISOString(),
    command: options.command ?? `pizzeria bench ${options.what}`,
    git: gitVersion(),
    quick,
    durationSeconds: 0,
    machine: await describeMachine(),
    loadAverage: { start: loadAverage(), end: [0, 0, 0] },
    baselines: {},
    accept: [],
    pipeline: [],
    idle: [],
    soak: [],
    targets: [],
    profiles: [],
    notes: [],
  };
}
