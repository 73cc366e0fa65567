/**
 * A tiny external store over a run's events: it subscribes at once (so no event is missed between
 * creating a view and its first effect), folds every event through `reduceRun`, and notifies
 * subscribers. React components read slices of it with `useRunState` (useSyncExternalStore), so a
 * component re-renders only when its slice changes.
 */
import type { FaultRecord, LogEntry, NotificationSample, RunReport, RunStart, RunTick } from "../sim/telemetry/run-events.js";
import type { RunEventName, RunEventSource, RunListener } from "./run-source.js";
import { initialRunState, reduceRun, type RunAction, type RunViewState } from "./run-state.js";

export interface RunStore {
  getState(): RunViewState;
  dispatch(action: RunAction): void;
  subscribe(listener: () => void): () => void;
  /** Stop listening to the source. */
  dispose(): void;
}

export function createRunStore(source: RunEventSource | null, initial: RunViewState = initialRunState): RunStore {
  let state = initial;
  const listeners = new Set<() => void>();
  const dispatch = (action: RunAction): void => {
    const next = reduceRun(state, action);
    if (next === state) return;
    state = next;
    for (const l of [...listeners]) l();
  };
  // Each event becomes the action of the same name; unlisten() undoes every subscription.
  const unlisten: Array<() => void> = [];
  const listen = <K extends RunEventName>(event: K, listener: RunListener<K>): void => {
    if (!source) return;
    source.on(event, listener);
    unlisten.push(() => source.off(event, listener));
  };
  listen("start", (start: RunStart) => dispatch({ type: "start", start }));
  listen("tick", (tick: RunTick) => dispatch({ type: "tick", tick }));
  listen("fault", (fault: FaultRecord) => dispatch({ type: "fault", fault }));
  listen("log", (entry: LogEntry) => dispatch({ type: "log", entry }));
  listen("notification", (sample: NotificationSample) => dispatch({ type: "notification", sample }));
  listen("done", (report: RunReport) => dispatch({ type: "done", report }));
  let disposed = false;
  return {
    getState: () => state,
    dispatch,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const off of unlisten) off();
      listeners.clear();
    },
  };
}
