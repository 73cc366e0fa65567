import { useEffect, useMemo } from "react";
import { Static, Text, useApp } from "ink";
import type { RunReport } from "../../sim/telemetry/run-events.js";
import { useRunState } from "../hooks/use-run-state.js";
import type { RunViewState } from "../run-state.js";
import type { RunStore } from "../run-store.js";
import { formatSummary } from "../summary.js";

const selectReport = (s: RunViewState) => s.report;

export interface FinalSummaryProps {
  store: RunStore;
  color: boolean;
  /** Leave the Ink app once the summary is printed. */
  exitOnDone: boolean;
}

/**
 * The report, printed once into <Static> so it stays in the terminal after the dashboard is gone.
 * It selects only `report` from the store, so ticks never re-render it (a <Static> holder that
 * re-renders every tick would defeat Ink's frame throttle).
 */
export function FinalSummary({ store, color, exitOnDone }: FinalSummaryProps) {
  const report = useRunState(store, selectReport);
  const { exit } = useApp();
  const items = useMemo<RunReport[]>(() => (report ? [report] : []), [report]);
  useEffect(() => {
    if (!report || !exitOnDone) return;
    // Leave on the next turn: <Static> first re-renders without the printed item (its layout
    // effect); unmounting before that would print the summary a second time.
    const timer = setTimeout(() => exit(), 0);
    return () => clearTimeout(timer);
  }, [report, exitOnDone, exit]);
  return <Static items={items}>{(r, i) => <Text key={`summary-${i}`}>{formatSummary(r, { color })}</Text>}</Static>;
}
