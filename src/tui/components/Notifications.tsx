import { Text } from "ink";
import { formatClock } from "../format.js";
import { useRunState } from "../hooks/use-run-state.js";
import type { RunViewState } from "../run-state.js";
import type { RunStore } from "../run-store.js";
import { Tinted } from "./Tinted.js";

const selectLatest = (s: RunViewState) => s.notifications[s.notifications.length - 1] ?? null;

/**
 * A one-line ticker: the latest notification a subscriber printed. It reads the store itself:
 * notifications come several per order, far more often than ticks, and only this line changes.
 */
export function Notifications({ store }: { store: RunStore }) {
  const latest = useRunState(store, selectLatest);
  return (
    <Text wrap="truncate">
      <Tinted tone="strong">{"✉ "}</Tinted>
      {latest ? (
        <>
          <Tinted tone="dim">{`${formatClock(latest.atMs)} `}</Tinted>
          {latest.line}
        </>
      ) : (
        <Tinted tone="dim">no notifications yet</Tinted>
      )}
    </Text>
  );
}
