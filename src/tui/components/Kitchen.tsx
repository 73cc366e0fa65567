import { Box, Text } from "ink";
import type { RestaurantFigures, WorkerView, WorkerViewState } from "../../sim/telemetry/run-events.js";
import { fit, formatMs, formatOrderTypes } from "../format.js";
import { windowStart } from "../layout.js";
import { workerTarget } from "../targets.js";
import type { Tone } from "../theme.js";
import { usePaint } from "../color-context.js";

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
  /** Each restaurant's figures: with more than one restaurant the rows are grouped under a line each. */
  restaurants?: readonly RestaurantFigures[];
}

type Line = { group: string } | { worker: WorkerView };

/** The kitchen's lines: the workers as they come with one restaurant; grouped under a line per restaurant with more. */
export function kitchenLines(workers: readonly WorkerView[], restaurants: readonly RestaurantFigures[] = []): Line[] {
  const ids = [...new Set([...restaurants.map((r) => r.id), ...workers.map((w) => w.restaurant)])];
  if (ids.length <= 1) return workers.map((worker) => ({ worker }));
  return ids.flatMap((group) => [{ group }, ...workers.filter((w) => w.restaurant === group).map((worker) => ({ worker }))]);
}

/** `napoli  3/s  done 41  rejected 5  refunded 5` */
export function restaurantLine(id: string, f: RestaurantFigures | undefined): string {
  if (!f) return id;
  return `${id}  ${f.completedPerSecond}/s  done ${f.completed}  rejected ${f.rejected}  refunded ${f.refunded}`;
}

/** One row per worker: name, specialisation, state and order, how long it has cooked, count, heartbeat age. */
export function Kitchen({ workers, rows, selected, width, restaurants }: KitchenProps) {
  const paint = usePaint();
  const showTypes = width >= 64;
  const showHb = width >= 52;
  const NAME = 12;
  const TYPES = showTypes ? 11 : 0;
  const FOR = 6;
  const COOKED = 7;
  const HB = showHb ? 7 : 0;
  const STATE = Math.max(8, width - NAME - TYPES - FOR - COOKED - HB);
  const lines = kitchenLines(workers, restaurants);
  const selectedIndex = lines.findIndex((l) => "worker" in l && workerTarget(l.worker.name) === selected);
  const from = windowStart(lines.length, rows, selectedIndex);
  const shown = lines.slice(from, from + rows);
  const hidden = workers.length - shown.filter((l) => "worker" in l).length;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {paint(fit(hidden > 0 ? `KITCHEN +${hidden}` : "KITCHEN", NAME), "strong") +
          paint(
            (showTypes ? fit("types", TYPES) : "") +
              fit("state", STATE) +
              fit("for", FOR, "right") +
              fit("cooked", COOKED, "right") +
              (showHb ? fit("hb", HB, "right") : ""),
            "dim",
          )}
      </Text>
      {workers.length === 0 ? <Text>{paint("  no workers yet", "dim")}</Text> : null}
      {shown.map((line) => {
        if ("group" in line) {
          return (
            <Text key={`group-${line.group}`} wrap="truncate">
              {paint(fit(restaurantLine(line.group, restaurants?.find((r) => r.id === line.group)), width), "accent")}
            </Text>
          );
        }
        const w = line.worker;
        const isSelected = workerTarget(w.name) === selected;
        return (
          <Text key={w.name} wrap="truncate">
            {paint((isSelected ? "›" : " ") + fit(w.name, NAME - 1), isSelected ? "strong" : null, isSelected) +
              (showTypes ? paint(fit(formatOrderTypes(w.orderTypes), TYPES), "dim") : "") +
              paint(fit(workerStateText(w), STATE), WORKER_TONE[w.state] ?? null) +
              fit(w.currentForMs !== null ? formatMs(w.currentForMs) : "", FOR, "right") +
              fit(String(w.ordersCooked), COOKED, "right") +
              (showHb ? paint(fit(w.heartbeatAgeMs !== null ? formatMs(w.heartbeatAgeMs) : "–", HB, "right"), w.online ? "dim" : "bad") : "")}
          </Text>
        );
      })}
    </Box>
  );
}
