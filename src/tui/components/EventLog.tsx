import { Box, Text } from "ink";
import { fit, formatClock } from "../format.js";
import type { LogLevel, LogLine } from "../run-state.js";
import type { Tone } from "../theme.js";
import { usePaint } from "../color-context.js";

const LEVEL_TONE: Record<LogLevel, Tone> = { info: "dim", warn: "warn", error: "bad" };
const LEVEL_MARK: Record<LogLevel, string> = { info: "·", warn: "!", error: "✗" };

export interface EventLogProps {
  lines: readonly LogLine[];
  rows: number;
  width: number;
}

/** The newest `rows` lines of the run's log (faults, services, thresholds, dead letters, keys). */
export function EventLog({ lines, rows, width }: EventLogProps) {
  const paint = usePaint();
  const shown = lines.slice(Math.max(0, lines.length - rows));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">{paint("EVENTS", "strong") + paint(lines.length > rows ? `  (${lines.length - rows} earlier)` : "", "dim")}</Text>
      {shown.map((l) => (
        <Text key={l.id} wrap="truncate">
          {paint(`${formatClock(l.atMs)} `, "dim") +
            paint(`${LEVEL_MARK[l.level]} ${fit(l.kind, 11)} `, LEVEL_TONE[l.level]) +
            paint(l.text, l.level === "info" ? null : LEVEL_TONE[l.level])}
        </Text>
      ))}
    </Box>
  );
}
