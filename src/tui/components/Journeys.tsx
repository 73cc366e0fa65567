import { Box, Text } from "ink";
import type { JourneyFigures, JourneyKindFigures } from "../../sim/telemetry/journey-types.js";
import { fit, formatMs, formatRate } from "../format.js";
import { usePaint } from "../color-context.js";

export interface JourneysProps {
  journeys: JourneyFigures;
  rows: number;
  width: number;
}

/** The steps worth a latency on the row (think is the customer's own pause; abandon takes none). */
const TIMED = ["browse", "signup", "login", "add", "remove", "checkout", "track"];

/** One journey kind's row: its counts, then each timed step's p95. */
export function journeyRow(k: JourneyKindFigures, width: number): string {
  const counts = `${fit(k.name, 14)}${fit(String(k.started), 6, "right")}${fit(String(k.completed), 6, "right")}${fit(String(k.abandoned), 6, "right")}${fit(String(k.failed), 5, "right")}${fit(String(k.active), 5, "right")}`;
  const steps = TIMED.filter((s) => k.steps[s]).map((s) => `${s} ${formatMs(k.steps[s].latency.p95)}`);
  return `${counts}  ${steps.join("  ")}`.slice(0, width);
}

/** A row per journey kind: started, done, abandoned, failed, walking now, and the p95 of its steps. */
export function Journeys({ journeys, rows, width }: JourneysProps) {
  const paint = usePaint();
  const shown = journeys.kinds.slice(0, rows);
  const hidden = journeys.kinds.length - shown.length;
  const title = `JOURNEYS ${formatRate(journeys.startedPerSecond)} started, ${formatRate(journeys.endedPerSecond)} ended${hidden > 0 ? `  +${hidden}` : ""}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {paint(fit(title, Math.max(10, width - 36)), "strong") + paint(`${fit("start", 6, "right")}${fit("done", 6, "right")}${fit("aband", 6, "right")}${fit("fail", 5, "right")}${fit("now", 5, "right")}  p95`, "dim")}
      </Text>
      {shown.map((k) => (
        <Text key={k.name} wrap="truncate">
          {k.failed > 0 ? paint(journeyRow(k, width), "warn") : journeyRow(k, width)}
        </Text>
      ))}
    </Box>
  );
}
