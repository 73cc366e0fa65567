import { Text } from "ink";
import { formatClock } from "../format.js";
import { useRunState } from "../hooks/use-run-state.js";
import type { RunViewState } from "../run-state.js";
import type { RunStore } from "../run-store.js";
import { usePaint } from "../color-context.js";

const selectTicker = (s: RunViewState) => s.ticker;

/**
 * A one-line ticker: the latest notification a subscriber printed, as of the last tick (see
 * RunViewState.ticker: it changes with the rest of the view, once a second, not with every one
 * of the several notifications per order).
 */
export function Notifications({ store }: { store: RunStore }) {
  const latest = useRunState(store, selectTicker);
  const paint = usePaint();
  return (
    <Text wrap="truncate">
      {paint("✉ ", "strong") + (latest ? paint(`${formatClock(latest.atMs)} `, "dim") + latest.line : paint("no notifications yet", "dim"))}
    </Text>
  );
}
