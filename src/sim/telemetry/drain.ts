/**
 * The drain after the load: wait until every order of the run is finished and every consumer idle,
 * bounded by the scenario's drainTimeout, and remember how many orders had finished at each check,
 * so that a drain that times out can tell "still finishing orders" (a backlog moving through: slow,
 * the checker's `unfinished`) from "stuck" (nothing finished in its last stretch: `lost`).
 */
import { COOK_TIME_MS, ORDER_TYPES } from "../../services/shared/contracts.js";

export interface DrainSample {
  /** ms since the drain began. */
  atMs: number;
  /** Orders of the run finished (completed or cancelled) so far: never goes down. */
  finished: number;
}

export interface DrainOutcome {
  drained: boolean;
  ms: number;
  /** Whether the count of finished orders rose during the drain's last stretch (false when it drained). */
  stillFinishing: boolean;
}

/** The shortest last stretch that is looked at: a few checks' worth, whatever the cooking time. */
export const MIN_STRETCH_MS = 5_000;

/**
 * How long the last stretch of the drain is: 5 s, or twice the longest cooking time when that is
 * longer (one order per worker cooking at a time may finish that rarely while the rest move on).
 */
export function lastStretchMs(scenario: { cookTimeMs?: number; timeScale: number }): number {
  const longestCook = scenario.cookTimeMs ?? Math.max(...ORDER_TYPES.map((t) => COOK_TIME_MS[t])) / scenario.timeScale;
  return Math.max(MIN_STRETCH_MS, 2 * longestCook);
}

/**
 * Whether orders were still finishing at the end: the finished count at the last sample is above
 * the one at the start of the last stretch (the drain's first sample, when it was shorter).
 */
export function stillFinishing(samples: readonly DrainSample[], stretchMs: number): boolean {
  const last = samples.at(-1);
  if (!last) return false;
  const from = last.atMs - stretchMs;
  // The latest sample at or before the stretch began: the count the stretch started from.
  let before = samples[0];
  for (const s of samples) {
    if (s.atMs > from) break;
    before = s;
  }
  return last.finished > before.finished;
}

export interface DrainChecks {
  timeoutMs: number;
  stretchMs: number;
  /** Refresh what `quiet` looks at (consumer state, the stream's last sequence). */
  poll(): Promise<void>;
  /** Every order finished, every consumer idle, every event seen. */
  quiet(): boolean;
  finished(): number;
  /** Between checks (the caller's clock: a timer in a run, anything in a test). */
  pause(): Promise<void>;
  now?: () => number;
}

export async function drain(c: DrainChecks): Promise<DrainOutcome> {
  const now = c.now ?? Date.now;
  const start = now();
  const samples: DrainSample[] = [];
  while (now() - start < c.timeoutMs) {
    await c.poll();
    samples.push({ atMs: now() - start, finished: c.finished() });
    if (c.quiet()) return { drained: true, ms: now() - start, stillFinishing: false };
    await c.pause();
  }
  samples.push({ atMs: now() - start, finished: c.finished() });
  return { drained: false, ms: now() - start, stillFinishing: stillFinishing(samples, c.stretchMs) };
}
