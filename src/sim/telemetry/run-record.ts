import type { FaultRecord, LogEntry, OrderEventSample, QueueView, RunEventMap, RunReport, RunStart, RunState, SecondSample, WorkerViewState } from "./run-events.js";

/** What one tick said that the pictures draw over time. */
export interface TickPoint {
  atMs: number;
  state: RunState;
  targetRate: number;
  inFlight: number;
  /** Requests and stages since the start, as the tick counted them. */
  totals: Record<string, number>;
  queues: Array<Pick<QueueView, "consumer" | "pending" | "ackPending">>;
  workers: Array<{ name: string; state: WorkerViewState }>;
  /** The most recent complete second, as the tick saw it (a run without a report is drawn from these). */
  lastSecond: SecondSample;
}

/** One order on one kitchen worker: from its `cooking` to its `ready` (null: still cooking at the end). */
export interface CookBar {
  worker: string;
  orderNumber: string;
  fromMs: number;
  toMs: number | null;
}

/** Everything a run's pictures are drawn from: what its events said, gathered as they came. */
export interface RunRecord {
  start: RunStart | null;
  ticks: TickPoint[];
  /** Order events per second of load, by event kind (every kind the contracts have, as it comes). */
  eventsPerSecond: Record<string, number[]>;
  cooks: CookBar[];
  /** Cook bars left out past the cap (a long run), so the page can say so. */
  cooksDropped: number;
  faults: FaultRecord[];
  logs: LogEntry[];
  report: RunReport | null;
}

/** A long run keeps the first this many kitchen bars (the rest are counted): the page stays a few MB. */
const MAX_COOKS = 20_000;
const MAX_LOGS = 2_000;

export const emptyRecord = (): RunRecord => ({ start: null, ticks: [], eventsPerSecond: {}, cooks: [], cooksDropped: 0, faults: [], logs: [], report: null });

/**
 * Gathers a RunRecord from a run's events, live (listening to the run) or afterwards (fed the
 * lines of its timeline.ndjson): the same calls either way.
 */
export class RunRecorder {
  readonly record: RunRecord = emptyRecord();
  private readonly cooking = new Map<string, CookBar>();

  readonly handlers: { [K in keyof RunEventMap]: (...args: RunEventMap[K]) => void } = {
    start: (s) => void (this.record.start = s),
    tick: (t) =>
      void this.record.ticks.push({
        atMs: t.elapsedMs,
        state: t.state,
        targetRate: t.targetRate,
        inFlight: t.totals.inFlight,
        totals: { sent: t.totals.sent, accepted: t.totals.accepted, rejected: t.totals.rejected, errors: t.totals.errors, late: t.totals.late, ...t.totals.stages, inFlight: t.totals.inFlight },
        queues: t.queues.map((q) => ({ consumer: q.consumer, pending: q.pending, ackPending: q.ackPending })),
        workers: t.workers.map((w) => ({ name: w.name, state: w.state })),
        lastSecond: t.lastSecond,
      }),
    fault: (f) => this.fault(f),
    log: (l) => void (this.record.logs.length < MAX_LOGS && this.record.logs.push(l)),
    notification: () => undefined,
    order: (o) => this.order(o),
    done: (r) => {
      this.record.report = r;
      // The report's faults carry their recovery figures, and its order (fault events arrive as
      // faults begin and end, so an instant fault can be seen before a longer one that began first).
      const reported = new Set(r.faults.map((f) => f.id));
      this.record.faults = [...r.faults, ...this.record.faults.filter((f) => !reported.has(f.id))];
    },
  };

  private fault(f: FaultRecord): void {
    const i = this.record.faults.findIndex((x) => x.id === f.id);
    if (i >= 0) this.record.faults[i] = f;
    else this.record.faults.push(f);
  }

  private order(o: OrderEventSample): void {
    const t = Math.max(0, Math.floor(o.atMs / 1000));
    const series = (this.record.eventsPerSecond[o.kind] ??= []);
    while (series.length <= t) series.push(0);
    series[t]++;
    if (o.kind === "cooking") {
      if (this.record.cooks.length >= MAX_COOKS) {
        this.record.cooksDropped++;
        return;
      }
      const bar: CookBar = { worker: o.by, orderNumber: o.orderNumber, fromMs: o.atMs, toMs: null };
      this.record.cooks.push(bar);
      this.cooking.set(o.orderNumber, bar);
    } else if (o.kind === "ready" || o.kind === "cancelled") {
      const bar = this.cooking.get(o.orderNumber);
      if (bar && bar.toMs === null) bar.toMs = o.atMs;
      this.cooking.delete(o.orderNumber);
    }
  }

  /** Listen to a run (or anything emitting its events); returns the way to stop listening. */
  listen(events: { on<K extends keyof RunEventMap>(k: K, f: (...a: RunEventMap[K]) => void): unknown; off<K extends keyof RunEventMap>(k: K, f: (...a: RunEventMap[K]) => void): unknown }): () => void {
    const keys = Object.keys(this.handlers) as Array<keyof RunEventMap>;
    for (const k of keys) events.on(k, this.handlers[k] as never);
    return () => {
      for (const k of keys) events.off(k, this.handlers[k] as never);
    };
  }

  /**
   * One line of timeline.ndjson. Order events are stored there as the stream had them; the
   * harness's own order offsets are not, so events of orders not its own (foreign ones) count too.
   */
  timelineLine(line: string): void {
    let parsed: { type?: string; data?: unknown };
    try {
      parsed = JSON.parse(line) as { type?: string; data?: unknown };
    } catch {
      return; // a line cut short by a crash
    }
    const data = parsed.data as never;
    switch (parsed.type) {
      case "start":
      case "tick":
      case "fault":
      case "log":
      case "done":
        this.handlers[parsed.type](data);
        break;
      case "order_event": {
        const { atMs, event } = parsed.data as { atMs: number; event: { order_number?: string; kind?: string; by?: string } | string };
        if (typeof event === "object" && event && event.order_number && event.kind) this.order({ atMs, orderNumber: event.order_number, kind: event.kind, by: event.by ?? "" });
        break;
      }
    }
  }
}

/** A whole timeline.ndjson (also one cut short by a crash or a kill) as a record. */
export function recordFromTimeline(text: string): RunRecord {
  const r = new RunRecorder();
  for (const line of text.split("\n")) if (line.trim()) r.timelineLine(line);
  return r.record;
}
