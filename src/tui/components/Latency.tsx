import { Box, Text } from "ink";
import type { LatencySummary, RunTick, ThresholdLimits } from "../../sim/run-events.js";
import { fit, formatMs } from "../format.js";
import { latencyLevel, type LatencyKind, type Percentile } from "../thresholds.js";
import { Tinted } from "./Tinted.js";

const PERCENTILES: Percentile[] = ["p50", "p95", "p99", "max"];
const LABEL = 7;
const CELL = 6;

export interface LatencyProps {
  latency: RunTick["latency"] | null;
  thresholds: ThresholdLimits;
  width: number;
}

function LatencyRow({ label, kind, summary, thresholds }: { label: string; kind: LatencyKind; summary: LatencySummary | null; thresholds: ThresholdLimits }) {
  return (
    <Text wrap="truncate">
      <Tinted tone="dim">{fit(label, LABEL)}</Tinted>
      {PERCENTILES.map((p) => {
        const has = summary !== null && summary.count > 0;
        const level = has ? latencyLevel(summary, thresholds, kind, p) : null;
        return (
          <Tinted key={p} tone={level}>
            {fit(has ? formatMs(summary[p]) : "–", CELL, "right")}
          </Tinted>
        );
      })}
    </Text>
  );
}

/** Rolling-window latency, each cell coloured against its threshold (green, yellow at 80%, red over). */
export function Latency({ latency, thresholds, width }: LatencyProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Tinted tone="strong">{fit("LATENCY", LABEL)}</Tinted>
        <Tinted tone="dim">{PERCENTILES.map((p) => fit(p, CELL, "right")).join("")}</Tinted>
      </Text>
      <LatencyRow label="accept" kind="accept" summary={latency?.accept ?? null} thresholds={thresholds} />
      <LatencyRow label="e2e" kind="endToEnd" summary={latency?.endToEnd ?? null} thresholds={thresholds} />
    </Box>
  );
}
