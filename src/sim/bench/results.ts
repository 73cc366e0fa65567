import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AcceptResult } from "./accept.js";
import type { JetStreamCeiling } from "./jetstream-raw.js";
import type { IdleResult } from "./idle.js";
import { soakSlopes, type SoakResult } from "./soak.js";
import type { PacedJetStreamCost } from "./jetstream-paced.js";
import type { MachineInfo } from "./machine.js";
import type { PipelineResult } from "./pipeline.js";
import type { SqliteCeiling } from "./sqlite-ceiling.js";

export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  met: boolean;
}

/** Everything one `pizzeria bench` run measured: written to bench/results/<date>-<name>.json. */
export interface BenchResult {
  name: string;
  /** ISO time the bench started. */
  date: string;
  command: string;
  /** The commit measured (dirty: with uncommitted changes on top). */
  git: { commit: string; dirty: boolean } | null;
  quick: boolean;
  durationSeconds: number;
  machine: MachineInfo;
  loadAverage: { start: [number, number, number]; end: [number, number, number] };
  baselines: {
    sqlite?: SqliteCeiling;
    /** perOrder.acks: acks actually sent per order (absent in results from before the ordered durables used AckPolicy.All: one per delivery). */
    /** cpuMicrosPerOrder: CPU of the clients and the broker per order (absent in older results). */
    jetstream?: JetStreamCeiling & { cpuMicrosPerOrder?: number; perOrder: { publishes: number; deliveries: number; acks?: number } };
    /** The same topology paced at the pipeline's lower rates: the baseline of CPU per order there (absent in older results). */
    jetstreamPaced?: PacedJetStreamCost[];
  };
  accept: AcceptResult[];
  pipeline: Array<PipelineResult & { ratioToJetStream: number | null }>;
  /** The roster standing by with nothing ordered (absent in older results). */
  idle?: IdleResult[];
  /** RSS per process over a long paced run (absent in older results). */
  soak?: SoakResult[];
  targets: TargetCheck[];
  profiles: string[];
  notes: string[];
}

/** The brief's targets, checked against what was measured (never a pass/fail of the bench itself). */
export function checkTargets(r: Pick<BenchResult, "accept" | "pipeline" | "idle">): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const i of r.idle ?? []) {
    out.push({ name: `idle[${i.mode}] roster with nothing ordered`, target: "< 3% of one core", actual: `${(i.total * 100).toFixed(1)}%`, met: i.total < 0.03 });
  }
  for (const p of r.pipeline) {
    for (const s of p.staircase?.steps ?? []) {
      if (s.cpuRatioToRawJetStream === undefined) continue;
      const own = (s.cpuMicrosPerOrder?.system ?? 0) + (s.cpuMicrosPerOrder?.harness ?? 0);
      out.push({ name: `pipeline[${p.mode}] CPU per order at ${s.rate.toLocaleString("en-US")}/s over the raw JetStream topology's at that rate`, target: "<= 2x", actual: `${s.cpuRatioToRawJetStream}x (${n(own)} us)`, met: s.cpuRatioToRawJetStream <= 2 });
      if (s.rate === 100) out.push({ name: `pipeline[${p.mode}] end-to-end p99 at 100 orders/s`, target: "< 100 ms", actual: `${s.endToEnd.p99} ms${s.held ? "" : " (not held)"}`, met: s.held && s.endToEnd.p99 < 100 });
    }
  }
  for (const a of r.accept) {
    out.push({ name: `accept[${a.mode}] share of bare node:http`, target: ">= 50%", actual: `${(a.ratio * 100).toFixed(1)}%`, met: a.ratio >= 0.5 });
    out.push({ name: `accept[${a.mode}] p99 at half the maximum rate`, target: "< 10 ms", actual: `${a.half.latencyMs.p99} ms${a.bareHalf ? ` (bare node:http at the same rate: ${a.bareHalf.latencyMs.p99} ms)` : ""}`, met: a.half.latencyMs.p99 < 10 && a.half.ok > 0 });
  }
  for (const p of r.pipeline) {
    if (p.skipped) continue;
    const valid = !!p.staircase?.verdictValid;
    out.push({ name: `pipeline[${p.mode}] highest rate held, verdict valid`, target: ">= 3,000 orders/s", actual: p.maxHeldRate === null ? "none" : `${p.maxHeldRate.toLocaleString("en-US")} orders/s${valid ? "" : " (verdict INVALID)"}`, met: valid && (p.maxHeldRate ?? 0) >= 3000 });
    out.push({
      name: `pipeline[${p.mode}] end-to-end p99 at 1,000 orders/s`,
      target: "< 100 ms",
      actual: p.at1000 ? `${p.at1000.endToEnd.p99} ms${p.at1000.held ? "" : " (not held)"}` : "not run (not reached)",
      met: !!p.at1000 && p.at1000.held && p.at1000.endToEnd.p99 < 100,
    });
  }
  return out;
}

/** `<dir>/<YYYY-MM-DD>-<name>.json`, with -2, -3 ... when that name is taken. */
export function writeResult(dir: string, result: BenchResult): string {
  mkdirSync(dir, { recursive: true });
  const day = result.date.slice(0, 10);
  const safe = result.name.replace(/[^A-Za-z0-9_-]+/g, "-") || "bench";
  let file = join(dir, `${day}-${safe}.json`);
  for (let n = 2; existsSync(file); n++) file = join(dir, `${day}-${safe}-${n}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function readResults(dir: string): Array<{ file: string; result: BenchResult }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => {
      try {
        return [{ file: f, result: JSON.parse(readFileSync(join(dir, f), "utf8")) as BenchResult }];
      } catch {
        return [];
      }
    });
}

const n = (x: number | null | undefined) => (x === null || x === undefined ? "-" : Math.round(x).toLocaleString("en-US"));
const la = (l: [number, number, number]) => l.map((x) => x.toFixed(2)).join(" ");

/** The tables of bench/README.md (and of the command's summary): accept, pipeline, baselines. */
export function renderTables(entries: Array<{ file: string; result: BenchResult }>): string {
  const out: string[] = [];
  out.push("#### Accept: POST /orders (autocannon)", "");
  out.push("| result | mode | bare node:http req/s | order service orders/s | share of bare | p50 / p99 at max (ms) | p99 at half rate, paced (ms; bare node:http at that rate) | errors | outbox drain after load | load avg |");
  out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const { file, result } of entries) {
    for (const a of result.accept) {
      out.push(
        `| ${file}${result.quick ? " (quick)" : ""} | ${a.mode} | ${n(a.bare.okPerSecond)} | ${n(a.accept.okPerSecond)} | ${(a.ratio * 100).toFixed(0)}% | ${a.accept.latencyMs.p50} / ${a.accept.latencyMs.p99} | ${a.half.latencyMs.p99} (at ${n(a.half.okPerSecond)}/s${(a.half.late ?? 0) > 0.01 * a.half.ok ? `; ${n(a.half.late)} sent late` : ""}${a.bareHalf ? `; bare ${a.bareHalf.latencyMs.p99}` : ""}) | ${a.accept.errors + a.accept.non2xx + a.accept.timeouts} | ${a.accept.outboxDrainMs} ms | ${la(a.accept.loadAverage)} |`,
      );
    }
  }
  out.push("", "#### Pipeline: order to completed, cooking time 0 (open-model load)", "");
  out.push("| result | mode | highest rate held (orders/s) | JetStream ceiling (orders/s) | share of ceiling | e2e p50 / p99 at half (ms) | e2e p99 at 1,000/s (ms) | CPU per order at half (us: system + harness) | verdicts | load avg |");
  out.push("|---|---|---:|---:|---:|---:|---:|---:|---|---|");
  for (const { file, result } of entries) {
    for (const p of result.pipeline) {
      if (p.skipped || !p.staircase) {
        out.push(`| ${file} | ${p.mode} | skipped: ${p.skipped ?? "no run"} | | | | | | | |`);
        continue;
      }
      const h = p.atHalf?.step;
      const half = h ? `${h.endToEnd.p50} / ${h.endToEnd.p99} (at ${n(h.rate)}/s)` : "-";
      const runs = [p.staircase, ...(p.atHalf ? [p.atHalf] : [])];
      const valid = runs.filter((x) => x.verdictValid).length;
      const loads = [...p.staircase.steps, ...(h ? [h] : [])].map((s) => s.loadAverage[0]);
      out.push(
        `| ${file}${result.quick ? " (quick)" : ""} | ${p.mode} | ${n(p.maxHeldRate)} | ${n(result.baselines.jetstream?.ordersPerSecond)} | ${p.ratioToJetStream === null ? "-" : `${(p.ratioToJetStream * 100).toFixed(0)}%`} | ${half} | ${p.at1000 ? `${p.at1000.endToEnd.p99}${p.at1000.held ? "" : " (not held)"}` : "-"} | ${h?.cpuMicrosPerOrder?.system ? `${n(h.cpuMicrosPerOrder.system)} + ${n(h.cpuMicrosPerOrder.harness)}` : "-"} | ${valid}/${runs.length} valid | ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} |`,
      );
    }
  }
  out.push("", "#### Cheap to run: idle roster, and CPU per order at paced rates", "");
  out.push("| result | mode | idle, % of one core (all processes) | biggest idle processes | CPU per order at paced rates (us, system + harness; x the raw JetStream topology paced at that rate) | e2e p99 at those rates (ms) |");
  out.push("|---|---|---:|---|---|---|");
  for (const { file, result } of entries) {
    for (const mode of ["inprocess", "processes"] as const) {
      const idle = result.idle?.find((i) => i.mode === mode);
      const steps = (result.pipeline.find((p) => p.mode === mode)?.staircase?.steps ?? []).filter((s) => s.cpuRatioToRawJetStream !== undefined);
      if (!idle && steps.length === 0) continue;
      const top = idle ? Object.entries(idle.cpu).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(", ") : "-";
      const perOrder = steps.map((s) => `${n(s.rate)}/s: ${n((s.cpuMicrosPerOrder?.system ?? 0) + (s.cpuMicrosPerOrder?.harness ?? 0))} (${s.cpuRatioToRawJetStream}x)`).join("; ") || "-";
      const p99 = steps.map((s) => `${n(s.rate)}/s: ${s.endToEnd.p99}`).join("; ") || "-";
      out.push(`| ${file}${result.quick ? " (quick)" : ""} | ${mode} | ${idle ? `${(idle.total * 100).toFixed(1)}%` : "-"} | ${top} | ${perOrder} | ${p99} |`);
    }
  }
  out.push("", "#### Soak: RSS per process over a long paced run", "");
  out.push("| result | mode | minutes at rate | orders finished | RSS near minute 2 (MiB) | RSS at the end (MiB) | growth from 1/6 of the run to the end: % (KiB per 1,000 orders, from the two samples / fitted over every sample) | ORDERS stream at the end | verdict |");
  out.push("|---|---|---:|---:|---|---|---|---:|---|");
  for (const { file, result } of entries) {
    for (const k of result.soak ?? []) out.push(soakRow(file, result.quick, k));
  }
  out.push("", "#### Baselines measured in the same run", "");
  out.push("| result | SQLite order+outbox tx/s (1 per tx / grouped) | JetStream publish + consume + ack (orders/s; msgs per order; CPU per order) | JetStream publish only (msg/s) |");
  out.push("|---|---:|---:|---:|");
  for (const { file, result } of entries) {
    const s = result.baselines.sqlite;
    const j = result.baselines.jetstream;
    out.push(
      `| ${file} | ${s ? `${n(s.perTransaction)} / ${n(s.grouped)} (x${s.batch})` : "-"} | ${j ? `${n(j.ordersPerSecond)} (${j.perOrder.publishes} pub + ${j.perOrder.deliveries} ${j.perOrder.acks === undefined ? "acks" : `deliveries, ${j.perOrder.acks} acks`}${j.cpuMicrosPerOrder ? `; ${n(j.cpuMicrosPerOrder)} us` : ""})` : "-"} | ${j ? n(j.publishes / j.publishSeconds) : "-"} |`,
    );
  }
  const machines = new Map<string, BenchResult>();
  for (const { result } of entries) machines.set(machineLine(result), result);
  out.push("", "Machines and versions:", "");
  for (const line of machines.keys()) out.push(`- ${line}`);
  out.push("", "Commands:", "");
  for (const { file, result } of entries) {
    const git = result.git ? `, code ${result.git.commit}${result.git.dirty ? " + uncommitted changes" : ""}` : "";
    out.push(`- ${file}: \`${result.command}\` at ${result.date.slice(0, 16).replace("T", " ")} UTC${git}, ${result.durationSeconds} s, load average ${la(result.loadAverage.start)} at the start and ${la(result.loadAverage.end)} at the end`);
  }
  return out.join("\n");
}

function soakRow(file: string, quick: boolean, k: SoakResult): string {
  const early = k.samples.find((x) => x.atSeconds >= 120) ?? k.samples[k.samples.length - 1];
  const last = k.samples[k.samples.length - 1];
  const list = (rss: Record<string, number>) => Object.entries(rss).map(([p, v]) => `${p} ${v}`).join(", ");
  const slopes = soakSlopes(k.samples, k.window.fromSeconds);
  const growth = Object.entries(k.growth).map(([p, g]) => `${p} ${g.percent >= 0 ? "+" : ""}${g.percent}% (${n(g.kibPer1000Orders)} / ${n(slopes[p])})`).join(", ");
  const stream = last.stream ? `${n(last.stream.messages)} msgs, ${(last.stream.bytes / 1048576).toFixed(1)} MiB` : "-";
  return `| ${file}${quick ? " (quick)" : ""} | ${k.mode} | ${k.minutes} at ${n(k.rate)}/s | ${n(k.orders.finished)} | ${list(early.rssMiB)} (at ${early.atSeconds} s) | ${list(last.rssMiB)} (at ${last.atSeconds} s) | ${growth} | ${stream} | ${k.verdictValid ? "valid" : "INVALID"} |`;
}

function machineLine(r: BenchResult): string {
  const m = r.machine;
  return `${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, nats-server ${m.natsServer}, SQLite ${m.sqlite}, ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(", ")}`;
}

const BEGIN = "<!-- bench-results:begin (generated by `pizzeria bench --update-readme`) -->";
const END = "<!-- bench-results:end -->";

/** Replace the generated tables in a README (between the markers; appended when missing). */
export function updateReadme(readme: string, resultsDir: string): void {
  const tables = renderTables(readResults(resultsDir));
  const text = existsSync(readme) ? readFileSync(readme, "utf8") : "# Benchmarks\n";
  const block = `${BEGIN}\n${tables}\n${END}`;
  const start = text.indexOf("<!-- bench-results:begin");
  const end = text.indexOf(END);
  const next = start >= 0 && end > start ? `${text.slice(0, start)}${block}${text.slice(end + END.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(readme, next);
}
