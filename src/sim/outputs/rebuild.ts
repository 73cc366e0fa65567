import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../services/shared/errors.js";
import { recordFromTimeline } from "../telemetry/run-record.js";
import { reportHtml } from "./html-report.js";

/**
 * report.html again from a run directory's timeline.ndjson (Gatling's `-ro`): a run that crashed
 * or was killed has a timeline cut short and no report; its page shows what the ticks saw. (Its
 * JSON report cannot be rebuilt: the checker's verdict needs the services' own accounts.)
 */
export function rebuildReport(runDir: string, file = join(runDir, "report.html")): { file: string; finished: boolean } {
  const timeline = join(runDir, "timeline.ndjson");
  if (!existsSync(timeline)) throw new ConfigError(`${runDir}: no timeline.ndjson (is it a run directory?)`);
  const record = recordFromTimeline(readFileSync(timeline, "utf8"));
  if (!record.start && record.ticks.length === 0) throw new ConfigError(`${timeline}: holds nothing of a run (no start, no ticks)`);
  writeFileSync(file, reportHtml(record));
  // A run that finished has its report in the timeline's `done` line: report.json again when it is gone.
  const json = join(runDir, "report.json");
  if (record.report && !existsSync(json)) writeFileSync(json, `${JSON.stringify(record.report, null, 2)}\n`);
  return { file, finished: record.report !== null };
}
