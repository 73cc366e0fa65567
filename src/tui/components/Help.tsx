import { memo } from "react";
import { Box, Text } from "ink";
import { Tinted } from "./Tinted.js";

export const HELP_LINES: ReadonlyArray<readonly [string, string]> = [
  ["q, ctrl+c", "finish the run: stop the load, drain, check, report (again: leave at once)"],
  ["space", "pause / resume the load"],
  ["↑ ↓", "select a kitchen worker or a service instance"],
  ["k", "kill the selected process (no goodbye)"],
  ["s", "stop it gracefully"],
  ["r", "restart it"],
  ["p", "pause / resume it"],
  ["b", "kill the broker"],
  ["? esc", "close this help"],
];

export const Help = memo(function Help({ width, rows }: { width: number; rows: number }) {
  return (
    <Box flexDirection="column" width={width} height={Math.max(1, rows)} overflow="hidden">
      <Text wrap="truncate">
        <Tinted tone="strong">KEYS</Tinted>
      </Text>
      {HELP_LINES.map(([key, what]) => (
        <Text key={key} wrap="truncate">
          <Tinted tone="info">{`  ${key.padEnd(11)}`}</Tinted>
          {what}
        </Text>
      ))}
      <Text wrap="truncate">
        <Tinted tone="dim">fault marks: K kill S stop R restart P pause N network X partition $ payments C slow kitchen ! poison</Tinted>
      </Text>
      <Text wrap="truncate">
        <Tinted tone="dim">latency: green within its limit, yellow at 80-100% of it, red over</Tinted>
      </Text>
    </Box>
  );
});
