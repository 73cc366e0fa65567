/**
 * The journeys' part of the end-of-run summary (runs with `journeys:`): a line per journey kind
 * (started, completed, abandoned, failed and at which step, its duration and checkout to
 * completed), then each step's latency and errors, and what the journeys pass found.
 */
import type { LatencySummary, RunReport } from "../sim/telemetry/run-events.js";
import { fit, formatMs } from "./format.js";
import type { Painter } from "./theme.js";

const cells = (s: LatencySummary) => [s.p50, s.p95, s.p99, s.max].map((v) => fit(s.count > 0 ? formatMs(v) : "–", 7, "right")).join("");

export function journeyLines(report: RunReport, paint: Painter): string[] {
  const j = report.journeys;
  if (!j) return [];
  const v = report.verdict;
  const lines = [""];
  j.kinds.forEach((k, i) => {
    const failedAt = Object.entries(k.failedAt).map(([s, n]) => `${s} ${n}`).join(", ");
    const line = `${i === 0 ? "journeys    " : "            "}${k.name}: started ${k.started}  completed ${k.completed}  abandoned ${k.abandoned}  failed ${k.failed}${failedAt ? ` (at ${failedAt})` : ""}  took p50 ${formatMs(k.duration.p50)}${k.checkoutToCompleted.count > 0 ? `  checkout to completed p50 ${formatMs(k.checkoutToCompleted.p50)} p95 ${formatMs(k.checkoutToCompleted.p95)}` : ""}`;
    lines.push(k.failed > 0 ? paint(line, "warn") : line);
  });
  const t = j.trackedFinished;
  lines.push(`            tracked orders seen to finish: ${t.completed} completed, ${t.cancelled} cancelled${j.trackReconnected ? ` (${j.trackReconnected} followed again after a cut)` : ""}; orders wrong ${v.journeyOrdersWrong ?? 0}, tracking wrong ${v.journeysTrackedWrong ?? 0}`);
  lines.push(paint(`steps       ${fit("count", 8, "right")}${fit("errors", 7, "right")}${["p50", "p95", "p99", "max"].map((h) => fit(h, 7, "right")).join("")}`, "strong"));
  for (const [name, s] of Object.entries(j.steps)) {
    const row = `  ${fit(name, 10)}${fit(String(s.count), 8, "right")}${fit(String(s.errors), 7, "right")}${cells(s.latency)}`;
    lines.push(s.errors > 0 ? paint(row, "warn") : row);
  }
  return lines;
}
