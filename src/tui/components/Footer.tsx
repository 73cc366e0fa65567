import { memo } from "react";
import { Box, Text } from "ink";
import { Tinted } from "./Tinted.js";

export interface FooterProps {
  selected: string | null;
  loadPaused: boolean;
  finishing: boolean;
  width: number;
}

export const Footer = memo(function Footer({ selected, loadPaused, finishing, width }: FooterProps) {
  const keys = `${finishing ? "q leave now" : "q finish"}  space ${loadPaused ? "resume" : "pause"} load  ↑↓ select  k kill  s stop  r restart  p pause  b kill broker  ? help`;
  return (
    <Box width={width}>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap="truncate">
          <Tinted tone="dim">{keys}</Tinted>
        </Text>
      </Box>
      {selected ? (
        <Box flexShrink={0}>
          <Text>
            <Tinted tone="strong">{` › ${selected}`}</Tinted>
          </Text>
        </Box>
      ) : null}
    </Box>
  );
});
