/**
 * A tiny external store over a run's events: it subscribes at once (so no event is missed between
 * creating a view and its first effect), folds every event through `reduceRun`, and notifies
 * subscribers. React components read slices of it with `useRunState` (useSyncExternalStore), so a
 * component re-renders only when its slice changes.
 */
import type { FaultRecord, LogEntry, NotificationSample, RunReport, RunStart, RunTick } from "../sim/run-events.js";
import type { RunEventSource } from "./run-source.js";
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
  const onStart = (start: RunStart) => dispatch({ type: "start", start });
  const onTick = (tick: RunTick) => dispatch({ type: "tick", tick });
  const onFault = (fault: FaultRecord) => dispatch({ type: "fault", fault });
  const onLog = (entry: LogEntry) => dispatch({ type: "log", entry });
  const onNotification = (sample: NotificationSample) => dispatch({ type: "notification", sample });
  const onDone = (report: RunReport) => dispatch({ type: "done", report });
  source?.on("start", onStart);
  source?.on("tick", onTick);
  source?.on("fault", onFault);
  source?.on("log", onLog);
  source?.on("notification", onNotification);
  source?.on("done", onDone);
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
      source?.off("start", onStart);
      source?.off("tick", onTick);
      source?.off("fault", onFault);
      source?.off("log", onLog);
      source?.off("notification", onNotification);
      source?.off("done", onDone);
      listeners.clear();
    },
  };
}
