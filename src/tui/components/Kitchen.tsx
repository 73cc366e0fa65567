import { Box, Text } from "ink";
import type { WorkerView, WorkerViewState } from "../../sim/run-events.js";
import { fit, formatMs, formatOrderTypes } from "../format.js";
import { windowStart } from "../layout.js";
import { workerTarget } from "../targets.js";
import type { Tone } from "../theme.js";
import { Tinted } from "./Tinted.js";

export const WORKER_TONE: Record<WorkerViewState, Tone> = {
  starting: "dim",
  idle: "ok",
  cooking: "info",
  stopping: "warn",
  offline: "bad",
  killed: "bad",
  restarting: "accent",
  paused: "warn",
  unknown: "dim",
};

/** `cooking ORD_20261123_007`, `idle`, `killed`… */
export function workerStateText(w: WorkerView): string {
  return w.state === "cooking" && w.currentOrder ? `cooking ${w.currentOrder}` : w.state;
}

export interface KitchenProps {
  workers: readonly WorkerView[];
  rows: number;
  selected: string | null;
  width: number;
}

/** One row per worker: name, specialisation, state and order, how long it has cooked, count, heartbeat age. */
export function Kitchen({ workers, rows, selected, width }: KitchenProps) {
  const showTypes = width >= 64;
  const showHb = width >= 52;
  const NAME = 12;
  const TYPES = showTypes ? 12 : 0;
  const FOR = 6;
  const COOKED = 7;
  const HB = showHb ? 7 : 0;
  const STATE = Math.max(8, width - NAME - TYPES - FOR - COOKED - HB);
  const selectedIndex = workers.findIndex((w) => workerTarget(w.name) === selected);
  const from = windowStart(workers.length, rows, selectedIndex);
  const shown = workers.slice(from, from + rows);
  const hidden = workers.length - shown.length;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Tinted tone="strong">{fit(hidden > 0 ? `KITCHEN +${hidden}` : "KITCHEN", NAME)}</Tinted>
        <Tinted tone="dim">
          {(showTypes ? fit("types", TYPES) : "") +
            fit("state", STATE) +
            fit("for", FOR, "right") +
            fit("cooked", COOKED, "right") +
            (showHb ? fit("hb", HB, "right") : "")}
        </Tinted>
      </Text>
      {workers.length === 0 ? <Text>
          <Tinted tone="dim">{"  no workers yet"}</Tinted>
        </Text> : null}
      {shown.map((w) => {
        const isSelected = workerTarget(w.name) === selected;
        return (
          <Text key={w.name} wrap="truncate">
            <Tinted tone={isSelected ? "strong" : null} inverse={isSelected}>
              {(isSelected ? "›" : " ") + fit(w.name, NAME - 1)}
            </Tinted>
            {showTypes ? <Tinted tone="dim">{fit(formatOrderTypes(w.orderTypes), TYPES)}</Tinted> : null}
            <Tinted tone={WORKER_TONE[w.state] ?? null}>{fit(workerStateText(w), STATE)}</Tinted>
            {fit(w.currentForMs !== null ? formatMs(w.currentForMs) : "", FOR, "right")}
            {fit(String(w.ordersCooked), COOKED, "right")}
            {showHb ? (
              <Tinted tone={w.online ? "dim" : "bad"}>{fit(w.heartbeatAgeMs !== null ? formatMs(w.heartbeatAgeMs) : "–", HB, "right")}</Tinted>
            ) : null}
          </Text>
        );
      })}
    </Box>
  );
}
