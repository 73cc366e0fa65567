import { Box, Text } from "ink";
import { STAGES, type FaultRecord, type RunTick, type SecondSample, type Stage, type ThresholdLimits } from "../../sim/telemetry/run-events.js";
import { fit } from "../format.js";
import type { DashboardLayout } from "../layout.js";
import { SPARK_LABEL } from "../layout.js";
import { faultMarks, seriesWindow, sparkline } from "../sparkline.js";
import { thresholdRow } from "../../sim/scenario/thresholds.js";
import { thresholdLevel } from "../thresholds.js";

import { usePaint } from "../color-context.js";
import { describeCausesShort } from "../../sim/load/error-causes.js";

const ERROR_RATE = thresholdRow("errorRate")!;

/** " (timeout 98 refused 3)" after the error count, when there are any. */
const errorCauses = (t: RunTick["totals"]) => (t.errors > 0 && t.errorCauses ? ` (${describeCausesShort(t.errorCauses)})` : "");

const LONG: Record<Stage, string> = {
  placed: "placed",
  paid: "paid",
  cooking: "cooking",
  ready: "ready",
  completed: "completed",
  cancelled: "cancelled",
};
const SHORT: Record<Stage, string> = {
  placed: "placed",
  paid: "paid",
  cooking: "cook",
  ready: "ready",
  completed: "done",
  cancelled: "cancel",
};

export interface ThroughputProps {
  tick: RunTick | null;
  history: readonly SecondSample[];
  faults: readonly FaultRecord[];
  thresholds: ThresholdLimits;
  layout: Pick<DashboardLayout, "sparkLines" | "faultLine" | "stageTotals" | "sparkWidth">;
  width: number;
}

export function Throughput({ tick, history, faults, thresholds, layout, width }: ThroughputProps) {
  const paint = usePaint();
  const cell = Math.max(5, Math.min(10, Math.floor((width - SPARK_LABEL) / STAGES.length)));
  const labels = cell >= 10 ? LONG : SHORT;
  const t = tick?.totals;
  const errorRate = t && t.sent > 0 ? t.errors / t.sent : null;
  const errTone = thresholdLevel(ERROR_RATE, errorRate, thresholds) ?? (t && t.errors > 0 ? "warn" : null);
  const lastT = history.length > 0 ? history[history.length - 1].t : (tick?.lastSecond.t ?? 0);
  const spark = layout.sparkWidth;
  const placed = seriesWindow(history, "placed", lastT, spark);
  const completed = seriesWindow(history, "completed", lastT, spark);
  const peak = Math.max(1, ...placed.map((v) => v ?? 0), ...completed.map((v) => v ?? 0));
  const row = (label: string, values: (stage: Stage) => number | undefined) => (
    <Text wrap="truncate">
      {paint(fit(label, SPARK_LABEL), "dim") +
        STAGES.map((s) => {
          const v = values(s);
          return paint(fit(v === undefined ? "–" : String(v), cell, "right"), s === "cancelled" && v ? "warn" : null);
        }).join("")}
    </Text>
  );
  const totals = t
    ? `  sent ${t.sent}  ok ${t.accepted}  rej ${t.rejected}  err ${paint(String(t.errors) + errorCauses(t), errTone)}  late ${t.late}  inflight ${t.inFlight}  dlq ${paint(String(tick?.deadLetters ?? 0), tick && tick.deadLetters > 0 ? "bad" : null)}`
    : paint("  no data yet", "dim");
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">{paint("THROUGHPUT", "strong") + totals}</Text>
      <Text wrap="truncate">{fit("", SPARK_LABEL) + paint(STAGES.map((s) => fit(labels[s], cell, "right")).join(""), "dim")}</Text>
      {row("now/s", (s) => tick?.lastSecond[s])}
      {layout.stageTotals ? row("total", (s) => t?.stages[s]) : null}
      {layout.sparkLines >= 2 ? <Text wrap="truncate">{paint(fit("placed", SPARK_LABEL), "dim") + paint(sparkline(placed, peak), "info")}</Text> : null}
      {layout.sparkLines >= 1 ? <Text wrap="truncate">{paint(fit("done", SPARK_LABEL), "dim") + paint(sparkline(completed, peak), "ok")}</Text> : null}
      {layout.faultLine ? (
        <Text wrap="truncate">{paint(fit("faults", SPARK_LABEL), "dim") + paint(faultMarks(faults, lastT, spark, tick?.elapsedMs ?? 0), "bad")}</Text>
      ) : null}
    </Box>
  );
}
