import { Box, Text } from "ink";
import type { QueueView } from "../../sim/telemetry/run-events.js";
import { fit } from "../format.js";
import { usePaint } from "../color-context.js";

export interface QueuesProps {
  queues: readonly QueueView[];
  /** Pending now minus pending at the previous tick, per consumer. */
  trend: Readonly<Record<string, number>>;
  rows: number;
  width: number;
}

/** Which queues to show when not all fit: the largest backlogs, kept in their usual order. */
export function visibleQueues(queues: readonly QueueView[], rows: number): QueueView[] {
  if (queues.length <= rows) return [...queues];
  const keep = new Set(
    [...queues]
      .sort((a, b) => b.pending + b.ackPending - (a.pending + a.ackPending))
      .slice(0, rows)
      .map((q) => q.consumer),
  );
  return queues.filter((q) => keep.has(q.consumer));
}

function arrow(delta: number | undefined): string {
  if (!delta) return " ";
  return delta > 0 ? "↑" : "↓";
}

/** Pending and ack-pending per consumer; a backlog that grows since the last tick gets ↑. */
export function Queues({ queues, trend, rows, width }: QueuesProps) {
  const paint = usePaint();
  const name = Math.max(6, width - 15);
  const shown = visibleQueues(queues, rows);
  const hidden = queues.length - shown.length;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {paint(fit(hidden > 0 ? `QUEUES +${hidden}` : "QUEUES", name), "strong") +
          paint(`${fit("pend", 5, "right")} ${fit("ack", 4, "right")}${fit("redl", 5, "right")}`, "dim")}
      </Text>
      {shown.length === 0 ? <Text>{paint("  none", "dim")}</Text> : null}
      {shown.map((q) => {
        const delta = trend[q.consumer];
        const tone = q.pending > 0 && delta !== undefined && delta > 0 ? "warn" : q.pending > 0 ? null : "dim";
        return (
          <Text key={q.consumer} wrap="truncate">
            {fit(q.consumer, name) +
              paint(fit(String(q.pending), 5, "right"), tone) +
              paint(arrow(delta), delta && delta > 0 ? "warn" : "dim") +
              fit(String(q.ackPending), 4, "right") +
              paint(fit(String(q.redelivered), 5, "right"), q.redelivered > 0 ? "warn" : "dim")}
          </Text>
        );
      })}
    </Box>
  );
}
