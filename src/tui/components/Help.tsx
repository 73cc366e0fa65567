import { memo } from "react";
import { Box, Text } from "ink";
import { dashboardFaultKeys, faultMarkLegend } from "../../sim/scenario/fault-kinds.js";
import { usePaint } from "../color-context.js";

export const HELP_LINES: ReadonlyArray<readonly [string, string]> = [
  ["q, ctrl+c", "finish the run: stop the load, drain, check, report (again: leave at once)"],
  ["space", "pause / resume the load"],
  ["↑ ↓", "select a kitchen worker or a service instance"],
  ...dashboardFaultKeys().map((k) => [k.key, k.help] as const),
  ["? esc", "close this help"],
];

const MARKS = `fault marks: ${faultMarkLegend().map((m) => `${m.mark} ${m.legend}`).join(" ")}`;

export const Help = memo(function Help({ width, rows }: { width: number; rows: number }) {
  const paint = usePaint();
  return (
    <Box flexDirection="column" width={width} height={Math.max(1, rows)} overflow="hidden">
      <Text wrap="truncate">{paint("KEYS", "strong")}</Text>
      {HELP_LINES.map(([key, what]) => (
        <Text key={key} wrap="truncate">
          {paint(`  ${key.padEnd(11)}`, "info") + what}
        </Text>
      ))}
      <Text wrap="truncate">{paint(MARKS, "dim")}</Text>
      <Text wrap="truncate">{paint("latency: green within its limit, yellow at 80-100% of it, red over", "dim")}</Text>
    </Box>
  );
});
