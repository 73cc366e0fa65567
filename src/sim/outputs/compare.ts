import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../../services/shared/errors.js";
import { emptyRecord, recordFromTimeline, type RunRecord } from "../telemetry/run-record.js";
import type { RunReport } from "../telemetry/run-events.js";
import { renderHtml } from "./html-page.js";
import { pageOf } from "./page-data.js";
import { isUnfinished, type AnyRunReport } from "./unfinished-report.js";

/** A figure two runs are compared on: where it is in a report, and which way is better. */
interface Figure {
  name: string;
  better: "higher" | "lower";
  of: (r: AnyRunReport) => number | null;
}

/** A figure only a finished run has (the checker's, the whole run's latency summaries, the drain): n/a for an unfinished one. */
const judged = (of: (r: RunReport) => number | null) => (r: AnyRunReport) => (isUnfinished(r) ? null : of(r));

const maxOf = (xs: Array<number | null | undefined>) => {
  const known = xs.filter((x): x is number => typeof x === "number");
  return known.length ? Math.max(...known) : null;
};

/** acceptP50 ... acceptMax: the report's latency summary of one kind. */
function latencyFigures(kind: "accept" | "endToEnd"): Figure[] {
  const names = { p50: "P50", p95: "P95", p99: "P99", max: "Max" } as const;
  return (Object.keys(names) as Array<keyof typeof names>).map((p) => ({ name: `${kind}${names[p]}`, better: "lower", of: judged((r) => r.latency[kind][p]) }));
}

/** The compared figures, in the table's order (names as `--fail-on` takes them). */
export const COMPARED: readonly Figure[] = [
  { name: "sent", better: "higher", of: (r) => r.orders.sent },
  { name: "accepted", better: "higher", of: (r) => r.orders.accepted },
  { name: "completed", better: "higher", of: (r) => r.orders.completed },
  { name: "acceptedPerSecond", better: "higher", of: (r) => r.throughput.acceptedPerSecond },
  { name: "completedPerSecond", better: "higher", of: (r) => r.throughput.completedPerSecond },
  { name: "errors", better: "lower", of: (r) => r.orders.errors },
  ...latencyFigures("accept"),
  ...latencyFigures("endToEnd"),
  { name: "lost", better: "lower", of: judged((r) => r.verdict.lost) },
  { name: "duplicated", better: "lower", of: judged((r) => r.verdict.duplicated) },
  { name: "invalid", better: "lower", of: judged((r) => r.verdict.invalid) },
  { name: "deadLetters", better: "lower", of: (r) => r.deadLetters },
  { name: "drainMs", better: "lower", of: judged((r) => r.drain.ms) },
  { name: "recoveryMs", better: "lower", of: (r) => maxOf(r.faults.map((f) => f.recovery?.throughputRecoveredAfterMs)) },
  { name: "backlogDrainedMs", better: "lower", of: (r) => maxOf(r.faults.map((f) => f.recovery?.backlogDrainedAfterMs)) },
];

/** `endToEndP99:+10%`: B may be at most 10% above A; `accepted:-5%`: at most 5% below; `lost:+0`: not above at all. */
export interface FailRule {
  figure: string;
  direction: 1 | -1;
  amount: number;
  percent: boolean;
}

export function parseFailOn(text: string): FailRule[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([A-Za-z0-9]+):([+-])(\d+(?:\.\d+)?)(%?)$/.exec(part);
      if (!m) throw new ConfigError(`--fail-on: "${part}" should be <figure>:+<n>% or <figure>:-<n>% (e.g. endToEndP99:+10%,accepted:-5%)`);
      if (!COMPARED.some((f) => f.name === m[1])) throw new ConfigError(`--fail-on: unknown figure "${m[1]}"; known: ${COMPARED.map((f) => f.name).join(", ")}`);
      return { figure: m[1], direction: m[2] === "+" ? 1 : -1, amount: Number(m[3]), percent: m[4] === "%" };
    });
}

export interface ComparisonRow {
  figure: string;
  better: "higher" | "lower";
  a: number | null;
  b: number | null;
  /** b - a over a, in percent (null when a is 0 or either is missing). */
  changePercent: number | null;
  /** The `--fail-on` rule it broke, if any. */
  regressed: string | null;
}

function broke(rule: FailRule, a: number, b: number): boolean {
  const allowed = rule.percent ? (Math.abs(a) * rule.amount) / 100 : rule.amount;
  return rule.direction > 0 ? b - a > allowed : a - b > allowed;
}

/** Every compared figure of run A (the baseline) and run B, and which `--fail-on` rules B broke. */
export function compareReports(a: AnyRunReport, b: AnyRunReport, rules: readonly FailRule[] = []): ComparisonRow[] {
  return COMPARED.map((f) => {
    const va = f.of(a);
    const vb = f.of(b);
    const rule = rules.find((r) => r.figure === f.name && va !== null && vb !== null && broke(r, va, vb));
    return {
      figure: f.name,
      better: f.better,
      a: va,
      b: vb,
      changePercent: va !== null && vb !== null && va !== 0 ? Math.round(((vb - va) / Math.abs(va)) * 1000) / 10 : null,
      regressed: rule ? `${rule.figure}:${rule.direction > 0 ? "+" : "-"}${rule.amount}${rule.percent ? "%" : ""}` : null,
    };
  });
}

/**
 * A run to compare, from its run directory (report.json, and timeline.ndjson for the charts) or
 * from a report file alone (the charts then have what the report holds: no queues or kitchen).
 * An unfinished run's report.json (`pizzeria report` of a killed run) is compared on what it has;
 * its charts come from its timeline only.
 */
export function loadRun(path: string): { record: RunRecord; report: AnyRunReport } {
  if (!existsSync(path)) throw new ConfigError(`${path}: no such run directory or report file`);
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const reportFile = statSync(path).isDirectory() ? join(path, "report.json") : path;
  const timeline = join(dir, "timeline.ndjson");
  let report: AnyRunReport;
  try {
    report = JSON.parse(readFileSync(reportFile, "utf8")) as AnyRunReport;
  } catch (err) {
    throw new ConfigError(`${reportFile}: not a run's report (${err instanceof Error ? err.message : String(err)})${statSync(path).isDirectory() ? "; a run killed before its end has none: `pizzeria report` rebuilds it from the timeline" : ""}`);
  }
  if (!report || typeof report !== "object" || !report.orders || !report.verdict || !(isUnfinished(report) || report.latency)) throw new ConfigError(`${reportFile}: not a run's report (no orders, latency or verdict)`);
  // A report.json in its run directory has the timeline beside it; another report file stands alone.
  const inRunDir = statSync(path).isDirectory() || basename(path) === "report.json";
  const record = inRunDir && existsSync(timeline) ? recordFromTimeline(readFileSync(timeline, "utf8")) : emptyRecord();
  if (isUnfinished(report)) return { record, report };
  return { record: { ...record, report, faults: report.faults }, report };
}

/** The labels, an unfinished run's marked so everywhere they show (table, JSON, page). */
export function markUnfinished(labels: [string, string], reports: [AnyRunReport, AnyRunReport]): [string, string] {
  return labels.map((l, i) => (isUnfinished(reports[i]) ? `${l} (unfinished)` : l)) as [string, string];
}

/** What the table cannot say of an unfinished run, or null when both finished. */
export function unfinishedNote(labels: [string, string], reports: [AnyRunReport, AnyRunReport]): string | null {
  const which = labels.filter((_, i) => isUnfinished(reports[i]));
  if (which.length === 0) return null;
  return `${which.join(" and ")}: ended without its report (crashed or killed), not judged: no verdict, whole-run latency or drain (n/a above); its counts are the last tick's`;
}

function num(v: number | null): string {
  return v === null ? "n/a" : String(Math.round(v * 1000) / 1000);
}

/** The side-by-side table for the terminal. */
export function formatComparison(labels: [string, string], rows: readonly ComparisonRow[]): string {
  const w = Math.max(12, ...labels.map((l) => l.length));
  const head = `${"figure".padEnd(20)} ${labels[0].padStart(w)} ${labels[1].padStart(w)} ${"change".padStart(9)}`;
  const lines = rows.map((r) => {
    const change = r.changePercent === null ? "" : `${r.changePercent > 0 ? "+" : ""}${r.changePercent}%`;
    const mark = r.regressed ? `  ✗ regressed (${r.regressed})` : "";
    return `${r.figure.padEnd(20)} ${num(r.a).padStart(w)} ${num(r.b).padStart(w)} ${change.padStart(9)}${mark}`;
  });
  const regressed = rows.filter((r) => r.regressed);
  const verdict = regressed.length ? `REGRESSED: ${regressed.map((r) => r.figure).join(", ")}` : "no regression";
  return [head, ...lines, "", verdict].join("\n");
}

/** The comparison as one self-contained page: both runs' headers, the table, and their charts overlaid. */
export function comparisonHtml(a: RunRecord, b: RunRecord, labels: [string, string], rows: readonly ComparisonRow[]): string {
  return renderHtml({ title: `pizzeria compare: ${labels[0]} vs ${labels[1]}`, runs: [pageOf(a, labels[0]), pageOf(b, labels[1])], comparison: [...rows] });
}

/** Short, distinct names for two runs: their directory names (A and B when those are the same). */
export function runLabels(a: string, b: string): [string, string] {
  const name = (p: string) => (basename(p) === "report.json" ? basename(dirname(p)) : basename(p).replace(/\.json$/, ""));
  const [la, lb] = [name(a), name(b)];
  return la === lb ? [`A ${la}`, `B ${lb}`] : [la, lb];
}
