import { basename } from "node:path";
import { EVENT_KINDS } from "../../services/shared/contracts.js";
import type { Finding } from "../check/checker-types.js";
import { targetRateAt } from "../load/arrivals.js";
import { limitOf, THRESHOLDS } from "../scenario/thresholds.js";
import type { JourneyFigures } from "../telemetry/journey-types.js";
import type { RunRecord } from "../telemetry/run-record.js";
import { STAGES, type FaultRecord, type LatencyHistogram, type RunReport, type SecondSample, type ThresholdResult, type WorkerSummary } from "../telemetry/run-events.js";

type Num = number | null;

/** A stretch of one worker's state (the kitchen timeline's background). */
export interface StateSpan {
  worker: number;
  fromMs: number;
  toMs: number;
  state: string;
}

/**
 * One run as the HTML page draws it: chart-ready columns, made here so the page's script only
 * draws. Times: per-second charts in seconds of load; spans in ms of load.
 */
export interface RunPage {
  label: string;
  scenario: string;
  header: Array<[string, string]>;
  /** VALID / INVALID from the report; RUNNING while live; UNFINISHED for a run that ended without a report. */
  verdict: string;
  passed: boolean | null;
  thresholds: ThresholdResult[];
  totals: Array<[string, number]>;
  seconds: number[];
  offered: Num[];
  sent: number[];
  /** Requests per second that failed (no answer, or not the one they should have had), by the second they were sent. */
  errors: number[];
  stages: Array<{ name: string; values: number[] }>;
  acceptLatency: { p50: Num[]; p95: Num[]; p99: Num[] };
  endToEndLatency: { p50: Num[]; p95: Num[]; p99: Num[] };
  histograms: { accept: LatencyHistogram | null; endToEnd: LatencyHistogram | null };
  tickSeconds: number[];
  inFlight: number[];
  queues: Array<{ consumer: string; pending: number[]; ackPending: number[] }>;
  kitchen: { workers: string[]; states: StateSpan[]; cooks: Array<[number, number, number | null, string]>; dropped: number };
  faults: FaultRecord[];
  findings: Array<{ name: string; count: number; items: Finding[] }>;
  deadLetters: { count: number; samples: NonNullable<RunReport["deadLetterSamples"]> };
  workers: WorkerSummary[];
  /** With `journeys:`: each journey kind's counts, durations and step latencies (the report's). */
  journeys: JourneyFigures | null;
  /** Load offset of the last thing drawn (ms), so every time chart shares one x range. */
  endMs: number;
}

/** The per-second series: the report's when the run ended, else rebuilt from the ticks' last complete seconds (a second no tick saw counts nothing). */
export function perSecondOf(record: RunRecord): SecondSample[] {
  if (record.report) return record.report.throughput.perSecond;
  const byT = new Map<number, SecondSample>();
  for (const t of record.ticks) byT.set(t.lastSecond.t, t.lastSecond);
  const last = Math.max(-1, ...byT.keys());
  const out: SecondSample[] = [];
  for (let t = 0; t <= last; t++) out.push(byT.get(t) ?? { ...byT.get(last)!, ...zeroes(t, byT.get(last)!) });
  return out;
}

function zeroes(t: number, like: SecondSample): Partial<SecondSample> {
  const z: Record<string, unknown> = { t, sent: 0, accepted: 0, rejected: 0, errors: 0, late: 0, acceptP99: null, accept201P99: null, failedMax: null, endToEndP99: null, acceptP50: null, acceptP95: null, endToEndP50: null, endToEndP95: null };
  z.errorCauses = Object.fromEntries(Object.keys(like.errorCauses ?? {}).map((k) => [k, 0]));
  for (const s of STAGES) z[s] = 0;
  return z as Partial<SecondSample>;
}

/**
 * Stages as the metrics count them, then every other event kind the contracts have (PaymentFailed,
 * and any kind added later) and any kind seen on the stream, counted from the order events.
 */
function stageSeries(record: RunRecord, series: SecondSample[]): RunPage["stages"] {
  const stages = STAGES.map((name) => ({ name, values: series.map((s) => s[name] ?? 0) }));
  const others = [...new Set([...EVENT_KINDS, ...Object.keys(record.eventsPerSecond)])].filter((k) => !(STAGES as readonly string[]).includes(k));
  const more = others.map((name) => ({ name, values: series.map((_, t) => record.eventsPerSecond[name]?.[t] ?? 0) }));
  return [...stages, ...more.filter((m) => m.values.some((v) => v > 0) || (EVENT_KINDS as readonly string[]).includes(m.name))];
}

/** Each worker's state as spans between ticks: idle, cooking, paused, killed, offline... */
function kitchen(record: RunRecord): RunPage["kitchen"] {
  const names = [...new Set([...record.ticks.flatMap((t) => t.workers.map((w) => w.name)), ...record.cooks.map((c) => c.worker), ...(record.report?.workers.map((w) => w.name) ?? [])])].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const states: StateSpan[] = [];
  const open = new Map<string, StateSpan>();
  let prevMs = 0;
  for (const t of record.ticks) {
    for (const w of t.workers) {
      const span = open.get(w.name);
      if (span && span.state === w.state) span.toMs = t.atMs;
      else {
        if (span) span.toMs = prevMs + (t.atMs - prevMs) / 2;
        const next = { worker: index.get(w.name)!, fromMs: span ? span.toMs : prevMs, toMs: t.atMs, state: w.state };
        states.push(next);
        open.set(w.name, next);
      }
    }
    prevMs = t.atMs;
  }
  const cooks = record.cooks.map((c) => [index.get(c.worker) ?? 0, c.fromMs, c.toMs, c.orderNumber] as [number, number, number | null, string]);
  return { workers: names, states, cooks, dropped: record.cooksDropped };
}

function findings(report: RunReport | null): RunPage["findings"] {
  if (!report) return [];
  const counts = report.verdict as unknown as Record<string, unknown>;
  return Object.entries(report.verdict.findings).map(([name, items]) => ({ name, count: typeof counts[name] === "number" ? (counts[name] as number) : items.length, items }));
}

function header(record: RunRecord): Array<[string, string]> {
  const s = record.start;
  const r = record.report;
  const broker = r?.broker ?? s?.broker;
  const rows: Array<[string, string | undefined]> = [
    ["scenario", r?.scenario ?? s?.scenario.name],
    ["file", r?.file],
    ["seed", String(r?.seed ?? s?.scenario.seed ?? "")],
    ["mode", r?.mode ?? s?.mode],
    ["broker", broker ? `${broker.kind} ${broker.urls.join(", ")}` : undefined],
    ["nats-server", broker?.version],
    ["commit", s?.commit],
    ["started", r?.startedAt ?? (s ? new Date(s.startedAt).toISOString() : undefined)],
    ["duration", r ? `${(r.durationMs / 1000).toFixed(1)} s` : undefined],
    ["run directory", r?.runDir ?? s?.runDir],
    ["mutant (TEST-ONLY)", r?.mutant],
  ];
  return rows.filter((x): x is [string, string] => typeof x[1] === "string" && x[1] !== "");
}

/**
 * The picture of one run, from its record. `label` names it beside another run in a comparison;
 * `live`: the run is still going (no report yet is then RUNNING, not UNFINISHED).
 */
export function pageOf(record: RunRecord, label?: string, live = false): RunPage {
  const r = record.report;
  const series = perSecondOf(record);
  const phases = record.start?.scenario.phases ?? [];
  const lat = (p: "P50" | "P95" | "P99", of: "accept" | "endToEnd") => series.map((s) => (s[`${of}${p}`] as Num | undefined) ?? null);
  const lastTick = record.ticks.at(-1)?.atMs ?? 0;
  const lastFault = Math.max(0, ...record.faults.map((f) => f.endedAtMs ?? f.startedAtMs));
  return {
    label: label ?? basename(r?.runDir ?? record.start?.runDir ?? "run"),
    scenario: r?.scenario ?? record.start?.scenario.name ?? "run",
    header: header(record),
    verdict: r ? (r.verdict.valid ? "VALID" : "INVALID") : live ? "RUNNING" : "UNFINISHED",
    passed: r ? r.passed : null,
    thresholds: r?.thresholds ?? limitsOf(record),
    totals: r ? (Object.entries(r.orders) as Array<[string, number]>) : totalsOfTicks(record),
    seconds: series.map((s) => s.t),
    offered: series.map((s) => (phases.length ? Math.round(targetRateAt(phases, s.t * 1000 + 500) * 100) / 100 : null)),
    sent: series.map((s) => s.sent),
    errors: series.map((s) => s.errors),
    stages: stageSeries(record, series),
    acceptLatency: { p50: lat("P50", "accept"), p95: lat("P95", "accept"), p99: lat("P99", "accept") },
    endToEndLatency: { p50: lat("P50", "endToEnd"), p95: lat("P95", "endToEnd"), p99: lat("P99", "endToEnd") },
    histograms: { accept: r?.distribution?.accept ?? null, endToEnd: r?.distribution?.endToEnd ?? null },
    tickSeconds: record.ticks.map((t) => t.atMs / 1000),
    inFlight: record.ticks.map((t) => t.inFlight),
    queues: queueSeries(record),
    kitchen: kitchen(record),
    faults: record.faults,
    findings: findings(r),
    deadLetters: { count: r?.deadLetters ?? 0, samples: r?.deadLetterSamples ?? [] },
    workers: r?.workers ?? [],
    journeys: r?.journeys ?? null,
    endMs: Math.max(series.length * 1000, lastTick, lastFault),
  };
}

/** A run without a report: the thresholds its scenario set, not judged (no figure yet). */
function limitsOf(record: RunRecord): ThresholdResult[] {
  const limits = record.start?.scenario.thresholds;
  if (!limits) return [];
  return THRESHOLDS.flatMap((t) => {
    const limit = limitOf(limits, t);
    return limit === undefined ? [] : [{ name: t.name, limit, actual: null, passed: false }];
  });
}

/** A run without a report: its totals as the last tick counted them. */
function totalsOfTicks(record: RunRecord): Array<[string, number]> {
  return Object.entries(record.ticks.at(-1)?.totals ?? {});
}

function queueSeries(record: RunRecord): RunPage["queues"] {
  const names = [...new Set(record.ticks.flatMap((t) => t.queues.map((q) => q.consumer)))].sort();
  return names.map((consumer) => ({
    consumer,
    pending: record.ticks.map((t) => t.queues.find((q) => q.consumer === consumer)?.pending ?? 0),
    ackPending: record.ticks.map((t) => t.queues.find((q) => q.consumer === consumer)?.ackPending ?? 0),
  }));
}
