import { useCallback, useSyncExternalStore } from "react";
import type { RunStore } from "../run-store.js";
import type { RunViewState } from "../run-state.js";

/**
 * A slice of the run's state. The component re-renders only when the selected value changes
 * (by identity), so e.g. a selector of `s => s.report` ignores ticks.
 */
export function useRunState<T>(store: RunStore, selector: (state: RunViewState) => T): T {
  const getSnapshot = useCallback(() => selector(store.getState()), [store, selector]);
  return useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
}
