import { Box, Text } from "ink";
import type { LatencySummary, RunTick, ThresholdLimits } from "../../sim/telemetry/run-events.js";
import { fit, formatMs } from "../format.js";
import { latencyLevel, type LatencyKind, type Percentile } from "../thresholds.js";
import { usePaint } from "../color-context.js";
import type { Painter } from "../theme.js";

const PERCENTILES: Percentile[] = ["p50", "p95", "p99", "max"];
const LABEL = 7;
const CELL = 6;

export interface LatencyProps {
  latency: RunTick["latency"] | null;
  thresholds: ThresholdLimits;
  width: number;
}

/** `kind` null: a row no threshold judges (201s only, time to failure), left uncoloured, or red for failures. */
function latencyRow(paint: Painter, label: string, kind: LatencyKind | null, summary: LatencySummary | null, thresholds: ThresholdLimits, tone: "bad" | null = null): string {
  const has = summary !== null && summary.count > 0;
  const level = (p: Percentile) => (!has ? null : kind ? latencyLevel(summary, thresholds, kind, p) : tone);
  return paint(fit(label, LABEL), "dim") + PERCENTILES.map((p) => paint(fit(has ? formatMs(summary[p]) : "–", CELL, "right"), level(p))).join("");
}

/**
 * Rolling-window latency from the scheduled time: `accept` to any answer (the headline, coloured
 * against its threshold: green, yellow at 80%, red over), `201` to 201s only, `to fail` to the
 * failure of requests that got no answer, `e2e` to completion.
 */
export function Latency({ latency, thresholds, width }: LatencyProps) {
  const paint = usePaint();
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">{paint(fit("LATENCY", LABEL), "strong") + paint(PERCENTILES.map((p) => fit(p, CELL, "right")).join(""), "dim")}</Text>
      <Text wrap="truncate">{latencyRow(paint, "accept", "accept", latency?.accept ?? null, thresholds)}</Text>
      <Text wrap="truncate">{latencyRow(paint, " 201", null, latency?.accept201 ?? null, thresholds)}</Text>
      <Text wrap="truncate">{latencyRow(paint, "to fail", null, latency?.failed ?? null, thresholds, "bad")}</Text>
      <Text wrap="truncate">{latencyRow(paint, "e2e", "endToEnd", latency?.endToEnd ?? null, thresholds)}</Text>
    </Box>
  );
}
