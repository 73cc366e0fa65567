/**
 * The non-TTY printer (CI logs, pipes): one line per tick (at most one per `intervalMs` of run
 * time, plus one whenever the run state changes), fault and log lines as they happen, and the
 * summary at `done`. No ANSI unless colour is on, and never with NO_COLOR set.
 */
import type { JourneyKindFigures } from "../sim/telemetry/journey-types.js";
import { describeCausesShort } from "../sim/load/error-causes.js";
import type { FaultRecord, LogEntry, RunReport, RunStart, RunTick } from "../sim/telemetry/run-events.js";
import { formatBroker, formatMs, formatRate, formatStamp } from "./format.js";
import type { RunEventSource } from "./run-source.js";
import { faultLogLines } from "./run-state.js";
import { formatSummary } from "./summary.js";
import { colorEnabled, makePainter, noColorRequested, type Painter, type Tone } from "./theme.js";

export interface PlainReporterOptions {
  /** Colour (default: on when chalk sees a colour terminal and NO_COLOR is unset). */
  color?: boolean;
  /** Least run time between two tick lines, ms (default 1000; 0 = every tick). */
  intervalMs?: number;
}

const STATE_TONE: Record<RunTick["state"], Tone> = {
  starting: "dim",
  running: "ok",
  paused: "warn",
  draining: "info",
  checking: "accent",
  done: "strong",
};

export function formatStartLine(start: RunStart): string {
  const s = start.scenario;
  const phases = `${s.phases.length} phase${s.phases.length === 1 ? "" : "s"}`;
  return `pizzeria run ${s.name} (seed ${s.seed})  ${start.mode}  broker ${formatBroker(start.broker)}  ${phases} over ${formatMs(s.durationMs)}  ${start.plannedOrders} orders planned  run dir ${start.runDir}`;
}

export function formatTickLine(tick: RunTick, paint: Painter = (t) => t): string {
  const t = tick.totals;
  const queue = tick.queues.reduce((n, q) => n + q.pending, 0);
  const acc = tick.latency.accept;
  const e2e = tick.latency.endToEnd;
  const parts = [
    `${formatStamp(tick.elapsedMs)} ${paint(tick.state.padEnd(8), STATE_TONE[tick.state])}`,
    `target ${formatRate(tick.targetRate)}`,
    `sent ${t.sent}`,
    `ok ${t.accepted}`,
    `rej ${t.rejected}`,
    `err ${t.errors > 0 ? paint(`${t.errors}${t.errorCauses ? ` (${describeCausesShort(t.errorCauses)})` : ""}`, "bad") : "0"}`,
    `done ${t.stages.completed}`,
    `inflight ${t.inFlight}`,
    `p99 accept ${acc.count > 0 ? formatMs(acc.p99) : "–"}`,
    `e2e p95 ${e2e.count > 0 ? formatMs(e2e.p95) : "–"}`,
    `queue ${queue}`,
  ];
  if (tick.deadLetters > 0) parts.push(paint(`dlq ${tick.deadLetters}`, "bad"));
  const j = tick.journeys?.kinds;
  if (j) {
    const sum = (f: (k: JourneyKindFigures) => number) => j.reduce((n, k) => n + f(k), 0);
    const failed = sum((k) => k.failed);
    parts.push(`journeys ${sum((k) => k.started)} started, ${sum((k) => k.active)} walking, ${sum((k) => k.completed)} done, ${sum((k) => k.abandoned)} abandoned, ${failed > 0 ? paint(`${failed} failed`, "warn") : "0 failed"}`);
  }
  return parts.join("  ");
}

const LEVEL_TONE: Record<LogEntry["level"], Tone> = { info: "dim", warn: "warn", error: "bad" };

export function formatLogLine(entry: LogEntry, paint: Painter = (t) => t): string {
  return `${formatStamp(entry.atMs)} ${paint(entry.level.padEnd(5), LEVEL_TONE[entry.level])} ${entry.kind.padEnd(11)} ${entry.message}`;
}

/** Attach the plain printer to a run; returns a function that detaches it. */
export function attachPlainReporter(
  source: RunEventSource,
  write: (line: string) => void,
  options: PlainReporterOptions = {},
): () => void {
  const color = (options.color ?? colorEnabled()) && !noColorRequested();
  const paint = makePainter(color);
  const intervalMs = options.intervalMs ?? 1000;
  let lastPrintedMs = Number.NEGATIVE_INFINITY;
  let lastState: RunTick["state"] | null = null;
  const faults = new Map<string, FaultRecord>();

  const onStart = (start: RunStart) => write(formatStartLine(start));
  const onTick = (tick: RunTick) => {
    const stateChanged = tick.state !== lastState;
    if (!stateChanged && tick.elapsedMs - lastPrintedMs < intervalMs) return;
    lastState = tick.state;
    lastPrintedMs = tick.elapsedMs;
    write(formatTickLine(tick, paint));
  };
  const onFault = (fault: FaultRecord) => {
    for (const line of faultLogLines(faults.get(fault.id), fault)) {
      write(formatLogLine({ atMs: line.atMs, level: line.level, kind: "fault", message: line.text }, paint));
    }
    faults.set(fault.id, fault);
  };
  const onLog = (entry: LogEntry) => write(formatLogLine(entry, paint));
  const onDone = (report: RunReport) => write(formatSummary(report, { color }));

  source.on("start", onStart);
  source.on("tick", onTick);
  source.on("fault", onFault);
  source.on("log", onLog);
  source.on("done", onDone);
  return () => {
    source.off("start", onStart);
    source.off("tick", onTick);
    source.off("fault", onFault);
    source.off("log", onLog);
    source.off("done", onDone);
  };
}
