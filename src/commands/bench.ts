import type { Argv, CommandModule, Options } from "yargs";
import { ConfigError, errorMessage } from "../services/shared/errors.js";
import type { BenchResult } from "../sim/bench/results.js";
import { RUN_MODES } from "../sim/scenario/run-mode.js";
import { durationArg, EXIT, runCommand } from "./common.js";

const WHAT = ["accept", "pipeline", "idle", "soak", "all"] as const;
const MODES = [...RUN_MODES, "both"] as const;

const options = {
  mode: { choices: MODES, default: "both", describe: "Run the services in this process, each as its own process, or both" },
  quick: { type: "boolean", default: false, describe: "A few seconds in all: checks that the bench works; figures not worth quoting" },
  duration: { type: "number", describe: "accept: seconds of each autocannon run (default 10; quick 1)" },
  connections: { type: "number", describe: "accept: autocannon connections (default 50)" },
  "max-concurrent": { type: "number", default: 10_000, describe: "accept: the order service's --max-concurrent (default of the service: 50), raised so 503s do not cap it" },
  rates: { type: "string", describe: "pipeline: offered rates to step through, e.g. 500,1000,2000 (default 250 ... 6000)" },
  step: { type: "number", describe: "pipeline: seconds of load per step (default 10; quick 2)" },
  "p99-limit": { type: "string", default: "1s", describe: "pipeline: a step is not held when the end-to-end p99 is above this" },
  warmup: { type: "number", describe: "Seconds of warm-up load before measuring (default 2 for accept, 5 for pipeline; quick 0/1)" },
  "idle-seconds": { type: "number", describe: "idle: seconds the roster is measured standing by with nothing ordered (default 20; quick 2)" },
  minutes: { type: "number", describe: "soak: minutes of paced load (default 30; quick 0.5)" },
  "soak-rate": { type: "number", describe: "soak: orders per second, paced (default 100)" },
  "soak-retention-age": { type: "string", describe: "soak: how long the ORDERS stream keeps its messages (default up's, 5m), e.g. 60s: whether the broker levels off once its stream does" },
  "paced-baseline-up-to": { type: "number", default: 500, describe: "pipeline: rates up to this also get the raw JetStream topology paced at that rate, the baseline of CPU per order" },
  "jetstream-orders": { type: "number", describe: "Orders' worth of messages for the raw JetStream ceiling (default 20000)" },
  "out-dir": { type: "string", default: "bench/results", normalize: true, describe: "Where the result JSON goes" },
  save: { type: "boolean", default: true, describe: "Write the result JSON (--no-save: print only)" },
  name: { type: "string", describe: "Name of the result file: <out-dir>/<date>-<name>.json (default: what was run)" },
  profile: { type: "string", normalize: true, describe: "Write CPU profiles here (node --cpu-prof; accept: the order service; pipeline: the staircase run), then summarise them" },
  "update-readme": { type: "string", describe: "Regenerate the result tables in this README from every result in --out-dir (e.g. bench/README.md); with --no-save only that, no bench is run" },
  keep: { type: "boolean", default: false, describe: "Keep the scratch directory (databases, logs, timelines)" },
  "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "info", describe: "Services' log level (their logs go to files)" },
  seed: { type: "number", default: 1, describe: "Seed of the order bodies" },
  summarise: { type: "array", string: true, describe: "Only summarise these .cpuprofile files (self time by area and function) and exit" },
} satisfies Record<string, Options>;

interface BenchArgs {
  what: (typeof WHAT)[number];
  mode: (typeof MODES)[number];
  quick: boolean;
  duration?: number;
  connections?: number;
  maxConcurrent: number;
  rates?: string;
  step?: number;
  p99Limit: string;
  warmup?: number;
  jetstreamOrders?: number;
  idleSeconds?: number;
  minutes?: number;
  soakRate?: number;
  soakRetentionAge?: string;
  pacedBaselineUpTo: number;
  outDir: string;
  save: boolean;
  name?: string;
  profile?: string;
  updateReadme?: string;
  keep: boolean;
  logLevel: string;
  seed: number;
  summarise?: string[];
  /** The global --nats-server, given more than once to compare brokers. */
  natsServer?: string | string[];
}

/** The brokers to bench, in order: each `--nats-server` given, or the default one (undefined). */
function natsServersToCompare(value: string | string[] | undefined): Array<string | undefined> {
  const list = [value ?? []].flat().filter((s) => s !== "");
  return list.length > 0 ? list : [undefined];
}

function parseRates(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const rates = value.split(",").map((s) => Number(s.trim()));
  if (rates.length === 0 || rates.some((r) => !(r > 0 && r <= 100_000))) throw new ConfigError(`--rates must be a comma-separated list of rates from 1 to 100000 orders/s; got ${JSON.stringify(value)}`);
  return rates;
}

function positive(flag: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(value > 0)) throw new ConfigError(`--${flag} must be above 0; got ${value}`);
  return value;
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: "bench [what]",
  describe: "Benchmark the order API (autocannon vs bare node:http) and the whole pipeline (vs raw JetStream), baselines measured in the same run",
  builder: (y: Argv) =>
    y
      .positional("what", { choices: WHAT, default: "all", describe: "accept: POST /orders; pipeline: order to completed; idle: the roster with nothing ordered; all: every one" })
      .options(options)
      .example("$0 bench", "everything, both modes; writes bench/results/<date>-all.json")
      .example("$0 bench accept --mode processes --duration 20", "only the order API, longer runs")
      .example("$0 bench pipeline --rates 500,1000,2000 --profile prof", "chosen steps, with CPU profiles of every process")
      .example("$0 bench --quick --no-save", "a few seconds: does the bench work here?")
      .example("$0 bench idle --mode processes", "CPU of every process of the roster standing by")
      .example("$0 bench soak --mode processes --minutes 30", "RSS of every process over 30 minutes at 100 orders/s, and its growth per 1,000 orders")
      .example("$0 bench pipeline --mode processes --rates 50,100,250 --step 10", "CPU per order at low paced rates, beside the raw JetStream topology paced the same")
      .example("$0 bench pipeline --nats-server /usr/sbin/nats-server --nats-server .cache/nats-server/2.15.1/nats-server", "the same bench on two brokers, one after the other") as unknown as Argv<BenchArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { formatProfile, summariseProfile } = await import("../sim/bench/cpu-profile.js");
      if (args.summarise?.length) {
        for (const file of args.summarise) process.stdout.write(`${formatProfile(summariseProfile(file))}\n\n`);
        return EXIT.ok;
      }
      if (args.updateReadme && !args.save) {
        // Only the tables, from what --out-dir holds: a bench that saves nothing has nothing to add to them.
        const { readResults, updateReadme } = await import("../sim/bench/results.js");
        if (readResults(args.outDir).length === 0) throw new ConfigError(`--out-dir ${args.outDir} holds no bench results (<date>-<name>.json) to make tables of`);
        try {
          updateReadme(args.updateReadme, args.outDir);
        } catch (err) {
          throw new ConfigError(`--update-readme ${args.updateReadme}: cannot write it (${errorMessage(err)})`, { cause: err });
        }
        process.stdout.write(`tables in ${args.updateReadme} regenerated from ${args.outDir} (--no-save: no bench was run)\n`);
        return EXIT.ok;
      }
      const [{ runBench }, { stderrProgress }, { renderTables, updateReadme }, { binaryVersion }] = await Promise.all([
        import("../sim/bench/index.js"),
        import("../sim/bench/progress.js"),
        import("../sim/bench/results.js"),
        import("../sim/system/nats-binary.js"),
      ]);
      const p99LimitMs = durationArg("p99-limit", "ms")(args.p99Limit)!;
      // `--nats-server a --nats-server b`: the same bench on each broker, one after the other.
      const servers = natsServersToCompare(args.natsServer);
      const runs: Array<{ file: string; written: string | null; result: BenchResult }> = [];
      for (const server of servers) {
        if (server) process.env.PIZZERIA_NATS_SERVER = server;
        const { result, file } = await runBench({
          what: args.what,
          modes: args.mode === "both" ? [...RUN_MODES] : [args.mode],
          quick: args.quick,
          outDir: args.save ? args.outDir : null,
          // One result file per broker when comparing (the same name would be written over).
          name: servers.length > 1 ? `${args.name ?? args.what}-nats-${binaryVersion(server!) ?? "unknown"}` : args.name,
          command: `pizzeria ${process.argv.slice(2).join(" ")}`.trim(),
          seed: args.seed,
          logLevel: args.logLevel,
          accept: { durationSeconds: positive("duration", args.duration), connections: positive("connections", args.connections), maxConcurrent: positive("max-concurrent", args.maxConcurrent), warmupSeconds: args.warmup },
          pipeline: { rates: parseRates(args.rates), stepSeconds: positive("step", args.step), p99LimitMs, warmupSeconds: args.warmup },
          jetstreamOrders: positive("jetstream-orders", args.jetstreamOrders),
          idle: { seconds: positive("idle-seconds", args.idleSeconds) },
          soak: { minutes: positive("minutes", args.minutes), rate: positive("soak-rate", args.soakRate), ...(args.soakRetentionAge !== undefined ? { retentionAgeMs: durationArg("soak-retention-age", "ms")(args.soakRetentionAge)! } : {}) },
          pacedBaselineUpTo: args.pacedBaselineUpTo,
          profileDir: args.profile,
          keepWorkDir: args.keep,
          progress: stderrProgress(),
        });
        const label = file ?? "(not saved)";
        runs.push({ file: servers.length > 1 ? `${label} (nats-server ${result.machine.natsServer})` : label, written: file, result });
      }
      process.stdout.write(`\n${renderTables(runs)}\n`);
      for (const { file, result } of runs) {
        process.stdout.write(`\nTargets (the brief's; not a pass/fail of the bench)${runs.length > 1 ? `, ${file}` : ""}:\n`);
        for (const t of result.targets) process.stdout.write(`  ${t.met ? "met    " : "NOT met"}  ${t.name}: ${t.actual} (target ${t.target})\n`);
        for (const note of result.notes) process.stdout.write(`note: ${note}\n`);
      }
      for (const { written } of runs) if (written) process.stdout.write(`\nresult written to ${written}\n`);
      if (args.updateReadme && args.save) {
        updateReadme(args.updateReadme, args.outDir);
        process.stdout.write(`tables in ${args.updateReadme} regenerated\n`);
      }
      for (const prof of runs.flatMap((r) => r.result.profiles)) process.stdout.write(`\n${formatProfile(summariseProfile(prof, 15))}\n`);
      // A bench that lost or doubled orders is a failure whatever its speed.
      const broken = runs.some(({ result }) => result.pipeline.some((p) => (p.staircase && !p.staircase.verdictValid) || (p.atHalf && !p.atHalf.verdictValid)) || result.accept.some((a) => !a.durability.complete) || (result.soak ?? []).some((k) => !k.verdictValid));
      return broken ? EXIT.failed : EXIT.ok;
    }),
};
