/**
 * The view's state of a run, kept by a reducer over the run's events (tapjs-reporter style: the
 * events go in one at a time, derived state is updated incrementally, nothing is recomputed from
 * the whole run on each frame). Pure: no React, no timers.
 */
import type {
  FaultRecord,
  LogEntry,
  LogKind,
  NotificationSample,
  RunReport,
  RunStart,
  RunTick,
  SecondSample,
} from "../sim/telemetry/run-events.js";
import { formatMs } from "./format.js";

/** Seconds of per-second history kept (the sparkline shows up to 60). */
export const HISTORY_SECONDS = 120;
/** Event-log lines kept (the view shows the newest few). */
export const LOG_LINES = 200;
/** Notification samples kept for the ticker. */
export const NOTIFICATION_LINES = 20;

export type LogLineKind = LogKind | "control";
export type LogLevel = LogEntry["level"];

export interface LogLine {
  id: number;
  atMs: number;
  level: LogLevel;
  kind: LogLineKind;
  text: string;
}

export interface RunViewState {
  start: RunStart | null;
  tick: RunTick | null;
  /** The per-second samples of the last HISTORY_SECONDS seconds, sorted by `t`. */
  history: SecondSample[];
  /** Every fault seen (latest version of each, by id), in the order they were first seen. */
  faults: FaultRecord[];
  log: LogLine[];
  notifications: NotificationSample[];
  /**
   * The latest notification as of the last tick: what the ticker shows. Notifications come
   * several per order; taking one per tick keeps the ticker to the view's once-a-second redraw
   * instead of a frame of its own per notification (each frame costs Ink the whole screen).
   */
  ticker: NotificationSample | null;
  /** Per consumer: pending now minus pending at the previous tick (a growing backlog is > 0). */
  queueTrend: Record<string, number>;
  report: RunReport | null;
  /** The view asked the run to finish (q). */
  finishing: boolean;
  /** The view paused the load (space). */
  loadPaused: boolean;
  nextLogId: number;
}

export type RunAction =
  | { type: "start"; start: RunStart }
  | { type: "tick"; tick: RunTick }
  | { type: "fault"; fault: FaultRecord }
  | { type: "log"; entry: LogEntry }
  | { type: "notification"; sample: NotificationSample }
  | { type: "done"; report: RunReport }
  /** A line from the view itself: a key's action, a rejected inject. */
  | { type: "note"; level: LogLevel; text: string }
  | { type: "finishing" }
  | { type: "load-paused"; paused: boolean };

export const initialRunState: RunViewState = {
  start: null,
  tick: null,
  history: [],
  faults: [],
  log: [],
  notifications: [],
  ticker: null,
  queueTrend: {},
  report: null,
  finishing: false,
  loadPaused: false,
  nextLogId: 1,
};

function capTail<T>(items: T[], max: number): T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}

function appendLog(state: RunViewState, lines: Omit<LogLine, "id">[]): RunViewState {
  if (lines.length === 0) return state;
  let id = state.nextLogId;
  const added = lines.map((l) => ({ ...l, id: id++ }));
  return { ...state, log: capTail([...state.log, ...added], LOG_LINES), nextLogId: id };
}

/** Insert (or replace) one second's sample, keeping the history sorted and bounded. */
export function addSecond(history: SecondSample[], sample: SecondSample): SecondSample[] {
  if (!Number.isFinite(sample.t) || sample.t < 0) return history;
  const last = history[history.length - 1];
  let next: SecondSample[];
  if (!last || sample.t > last.t) next = [...history, sample];
  else if (sample.t === last.t) {
    if (last === sample) return history;
    next = history.slice();
    next[next.length - 1] = sample;
  } else {
    // Out of order (rare): put it in its place.
    const i = history.findIndex((s) => s.t >= sample.t);
    next = history.slice();
    if (history[i].t === sample.t) next[i] = sample;
    else next.splice(i, 0, sample);
  }
  const newest = next[next.length - 1].t;
  let drop = 0;
  while (drop < next.length && next[drop].t <= newest - HISTORY_SECONDS) drop++;
  return drop > 0 ? next.slice(drop) : next;
}

function faultLabel(f: FaultRecord): string {
  return `${f.kind} ${f.target ?? "(all)"}`;
}

/** The log lines a fault record adds, given the version seen before (if any). */
export function faultLogLines(prev: FaultRecord | undefined, f: FaultRecord): Omit<LogLine, "id">[] {
  const lines: Omit<LogLine, "id">[] = [];
  if (f.error && !prev?.error) {
    lines.push({ atMs: f.startedAtMs, level: "error", kind: "fault", text: `fault ${faultLabel(f)} failed: ${f.error}` });
    return lines;
  }
  if (!prev) {
    const detail = f.detail ? `: ${f.detail}` : "";
    const inFlight = f.inFlightAtStart !== undefined ? ` (${f.inFlightAtStart} in flight)` : "";
    lines.push({ atMs: f.startedAtMs, level: "warn", kind: "fault", text: `fault ${faultLabel(f)} [${f.source}]${detail}${inFlight}` });
  }
  if (f.endedAtMs !== null && (prev?.endedAtMs ?? null) === null && !f.error) {
    lines.push({
      atMs: f.endedAtMs,
      level: "info",
      kind: "fault",
      text: `fault ${faultLabel(f)} over after ${formatMs(f.endedAtMs - f.startedAtMs)}`,
    });
  }
  return lines;
}

function queueTrend(prev: RunTick | null, tick: RunTick): Record<string, number> {
  const before = new Map(prev?.queues.map((q) => [q.consumer, q.pending]) ?? []);
  const trend: Record<string, number> = {};
  for (const q of tick.queues) trend[q.consumer] = q.pending - (before.get(q.consumer) ?? q.pending);
  return trend;
}

export function reduceRun(state: RunViewState, action: RunAction): RunViewState {
  switch (action.type) {
    case "start":
      return appendLog(
        { ...initialRunState, start: action.start },
        [{ atMs: 0, level: "info", kind: "run", text: `run ${action.start.scenario.name} (seed ${action.start.scenario.seed}) started` }],
      );
    case "tick": {
      const { tick } = action;
      return {
        ...state,
        tick,
        history: addSecond(state.history, tick.lastSecond),
        queueTrend: queueTrend(state.tick, tick),
        ticker: state.notifications[state.notifications.length - 1] ?? state.ticker,
      };
    }
    case "fault": {
      const { fault } = action;
      const i = state.faults.findIndex((f) => f.id === fault.id);
      const prev = i >= 0 ? state.faults[i] : undefined;
      const faults = state.faults.slice();
      if (i >= 0) faults[i] = fault;
      else faults.push(fault);
      return appendLog({ ...state, faults }, faultLogLines(prev, fault));
    }
    case "log": {
      const { entry } = action;
      return appendLog(state, [{ atMs: entry.atMs, level: entry.level, kind: entry.kind, text: entry.message }]);
    }
    case "notification":
      return { ...state, notifications: capTail([...state.notifications, action.sample], NOTIFICATION_LINES) };
    case "done":
      return { ...state, report: action.report };
    case "note":
      return appendLog(state, [{ atMs: state.tick?.elapsedMs ?? 0, level: action.level, kind: "control", text: action.text }]);
    case "finishing":
      return state.finishing ? state : { ...state, finishing: true };
    case "load-paused":
      return state.loadPaused === action.paused ? state : { ...state, loadPaused: action.paused };
  }
}
