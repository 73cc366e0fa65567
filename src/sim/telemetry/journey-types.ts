/**
 * The shapes of the journeys' figures (journey-figures.ts tallies them), in a file that imports
 * nothing, so that run-events can carry them without a cycle. `LatencySummary` has the shape of
 * run-events' LatencySummary (ms).
 */
type LatencySummary = { count: number; p50: number; p95: number; p99: number; max: number; mean: number };

export interface StepFigures {
  count: number;
  errors: number;
  latency: LatencySummary;
}

export interface JourneyKindFigures {
  name: string;
  started: number;
  completed: number;
  abandoned: number;
  failed: number;
  /** Started and not ended yet. */
  active: number;
  /** From the first step to the last, of the journeys that ended. */
  duration: LatencySummary;
  /** From the checkout to the order's completed (or cancelled) as its track step saw it. */
  checkoutToCompleted: LatencySummary;
  /** Failed journeys by the step that failed. */
  failedAt: Record<string, number>;
  steps: Record<string, StepFigures>;
}

/** What the report and the dashboard show of the journeys. */
export interface JourneyFigures {
  kinds: JourneyKindFigures[];
  /** Every journey's steps together, by step name. */
  steps: Record<string, StepFigures>;
  /** Journeys started and ended in the last complete second (dashboard). */
  startedPerSecond: number;
  endedPerSecond: number;
  /** Tracked orders whose journey saw them finish: completed, and cancelled. */
  trackedFinished: { completed: number; cancelled: number };
  /** Tracked journeys whose subscription (or polling) had to be opened again (tracking restarted under it). */
  trackReconnected: number;
}

