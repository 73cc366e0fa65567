import { Box, Text } from "ink";
import { STAGES, type FaultRecord, type RunTick, type SecondSample, type Stage, type ThresholdLimits } from "../../sim/run-events.js";
import { fit } from "../format.js";
import type { DashboardLayout } from "../layout.js";
import { SPARK_LABEL } from "../layout.js";
import { faultMarks, seriesWindow, sparkline } from "../sparkline.js";
import { levelAgainstMax } from "../thresholds.js";
import { Tinted } from "./Tinted.js";

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
  const cell = Math.max(5, Math.min(10, Math.floor((width - SPARK_LABEL) / STAGES.length)));
  const labels = cell >= 10 ? LONG : SHORT;
  const t = tick?.totals;
  const errorRate = t && t.sent > 0 ? t.errors / t.sent : null;
  const errTone = levelAgainstMax(errorRate, thresholds.errorRate) ?? (t && t.errors > 0 ? "warn" : null);
  const lastT = history.length > 0 ? history[history.length - 1].t : (tick?.lastSecond.t ?? 0);
  const spark = layout.sparkWidth;
  const placed = seriesWindow(history, "placed", lastT, spark);
  const completed = seriesWindow(history, "completed", lastT, spark);
  const peak = Math.max(1, ...placed.map((v) => v ?? 0), ...completed.map((v) => v ?? 0));
  const row = (label: string, values: (stage: Stage) => number | undefined) => (
    <Text wrap="truncate">
      <Tinted tone="dim">{fit(label, SPARK_LABEL)}</Tinted>
      {STAGES.map((s) => {
        const v = values(s);
        const tone = s === "cancelled" && v ? "warn" : null;
        return (
          <Tinted key={s} tone={tone}>
            {fit(v === undefined ? "–" : String(v), cell, "right")}
          </Tinted>
        );
      })}
    </Text>
  );
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Tinted tone="strong">THROUGHPUT</Tinted>
        {t ? (
          <>
            {`  sent ${t.sent}  ok ${t.accepted}  rej ${t.rejected}  err `}
            <Tinted tone={errTone}>{String(t.errors)}</Tinted>
            {`  late ${t.late}  inflight ${t.inFlight}  dlq `}
            <Tinted tone={tick && tick.deadLetters > 0 ? "bad" : null}>{String(tick?.deadLetters ?? 0)}</Tinted>
          </>
        ) : (
          <Tinted tone="dim">{"  no data yet"}</Tinted>
        )}
      </Text>
      <Text wrap="truncate">
        {fit("", SPARK_LABEL)}
        <Tinted tone="dim">{STAGES.map((s) => fit(labels[s], cell, "right")).join("")}</Tinted>
      </Text>
      {row("now/s", (s) => tick?.lastSecond[s])}
      {layout.stageTotals ? row("total", (s) => t?.stages[s]) : null}
      {layout.sparkLines >= 2 ? (
        <Text wrap="truncate">
          <Tinted tone="dim">{fit("placed", SPARK_LABEL)}</Tinted>
          <Tinted tone="info">{sparkline(placed, peak)}</Tinted>
        </Text>
      ) : null}
      {layout.sparkLines >= 1 ? (
        <Text wrap="truncate">
          <Tinted tone="dim">{fit("done", SPARK_LABEL)}</Tinted>
          <Tinted tone="ok">{sparkline(completed, peak)}</Tinted>
        </Text>
      ) : null}
      {layout.faultLine ? (
        <Text wrap="truncate">
          <Tinted tone="dim">{fit("faults", SPARK_LABEL)}</Tinted>
          <Tinted tone="bad">{faultMarks(faults, lastT, spark, tick?.elapsedMs ?? 0)}</Tinted>
        </Text>
      ) : null}
    </Box>
  );
}
