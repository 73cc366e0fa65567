import { memo } from "react";
import { Box, Text } from "ink";
import { dashboardFaultKeys } from "../../sim/scenario/fault-kinds.js";
import { usePaint } from "../color-context.js";

const FAULT_KEYS = dashboardFaultKeys().map((k) => `${k.key} ${k.label}`).join("  ");

export interface FooterProps {
  selected: string | null;
  loadPaused: boolean;
  finishing: boolean;
  width: number;
}

export const Footer = memo(function Footer({ selected, loadPaused, finishing, width }: FooterProps) {
  const paint = usePaint();
  const keys = `${finishing ? "q leave now" : "q finish"}  space ${loadPaused ? "resume" : "pause"} load  ↑↓ select  ${FAULT_KEYS}  ? help`;
  return (
    <Box width={width}>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap="truncate">{paint(keys, "dim")}</Text>
      </Box>
      {selected ? (
        <Box flexShrink={0}>
          <Text>{paint(` › ${selected}`, "strong")}</Text>
        </Box>
      ) : null}
    </Box>
  );
});
