import { isWorkerOnline, type WorkerRecord } from "../../services/shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../../services/shared/menus.js";
import type { Launcher } from "../system/launcher.js";
import type { LogEntry, RunTick, ServiceView, ThresholdLimits, WorkerView } from "./run-events.js";
import type { Roster } from "../scenario/roster.js";
import { limitOf, THRESHOLDS, type LatencyOf, type LatencyPercentile, type ThresholdRow } from "../scenario/thresholds.js";

/** One row per kitchen worker: what its heartbeat says, corrected by what the launcher knows. */
export function workerViews(roster: Roster, records: ReadonlyMap<string, WorkerRecord>, launcher: Launcher | undefined, now: number): WorkerView[] {
  const names = new Set([...roster.kitchen.map((w) => w.name), ...records.keys()]);
  return [...names].map((name) => {
    const r = records.get(name);
    const online = r ? isWorkerOnline(r, now) : false;
    return {
      name,
      restaurant: r?.restaurant ?? roster.kitchen.find((w) => w.name === name)?.restaurant ?? DEFAULT_RESTAURANT_ID,
      orderTypes: r?.order_types ?? roster.kitchen.find((w) => w.name === name)?.orderTypes ?? [],
      state: workerState(name, r?.state ?? "unknown", online, launcher),
      online,
      currentOrder: r?.current_order ?? null,
      currentForMs: r?.current_since ? now - Date.parse(r.current_since) : null,
      ordersCooked: r?.orders_cooked ?? 0,
      busyMs: r?.busy_ms ?? 0,
      heartbeatAgeMs: r ? now - Date.parse(r.last_seen) : null,
    };
  });
}

/** The worker's own word, corrected by the launcher: a killed or frozen worker cannot say so itself. */
export function workerState(name: string, reported: string, online: boolean, launcher: Launcher | undefined): WorkerView["state"] {
  const instance = launcher?.get(`kitchen/${name}`);
  if (instance?.state === "crashed") return "killed";
  if (instance?.state === "paused") return "paused";
  if (instance?.state === "starting") return "restarting";
  if (instance?.state === "stopped") return "offline";
  if (!online && reported !== "unknown") return "offline";
  return reported as WorkerView["state"];
}

export function serviceViews(launcher: Launcher | undefined): ServiceView[] {
  return (launcher?.list() ?? []).map((i) => ({ id: i.id, service: i.service, instance: i.instance, state: i.state, restarts: i.restarts, ...(i.pid ? { pid: i.pid } : {}), ...(i.url ? { url: i.url } : {}) }));
}

type WatchedRow = ThresholdRow & { latency: { of: LatencyOf; percentile: LatencyPercentile; watch: { label: string; rank: number } } };
/** The latencies the threshold table has the live watch follow, in its order. */
const WATCHED = THRESHOLDS
  .filter((t): t is WatchedRow => t.latency?.watch !== undefined)
  .sort((a, b) => a.latency.watch.rank - b.latency.watch.rank);

/** Says when a rolling latency crosses its threshold, and when it comes back (once each way). */
export class ThresholdWatch {
  private readonly over = new Set<string>();

  constructor(
    private readonly limits: ThresholdLimits,
    private readonly say: (level: LogEntry["level"], message: string) => void,
  ) {}

  update(latency: Pick<RunTick["latency"], LatencyOf>): void {
    for (const row of WATCHED) {
      const { latency: watched } = row;
      const limit = limitOf(this.limits, row);
      const { count, [watched.percentile]: actual } = latency[watched.of];
      if (limit === undefined || count === 0) continue;
      const name = watched.watch.label;
      const isOver = actual > limit;
      if (isOver && !this.over.has(name)) this.say("warn", `${name} ${actual} ms is over its threshold of ${limit} ms`);
      if (!isOver && this.over.has(name)) this.say("info", `${name} ${actual} ms is back within ${limit} ms`);
      if (isOver) this.over.add(name);
      else this.over.delete(name);
    }
  }
}
