/**
 * What a view listens to and commands: the run's events (an `EventEmitter<RunEventMap>` fits) and
 * its RunControl.
 */
import type { RunControl, RunEventMap } from "../sim/telemetry/run-events.js";

export type RunEventName = "start" | "tick" | "fault" | "log" | "notification" | "done";

export type RunListener<K extends RunEventName> = (...args: RunEventMap[K]) => void;

export interface RunEventSource {
  on<K extends RunEventName>(event: K, listener: RunListener<K>): unknown;
  off<K extends RunEventName>(event: K, listener: RunListener<K>): unknown;
}

/** A running run as the dashboard sees it. */
export interface DashboardSource extends RunEventSource, RunControl {}
