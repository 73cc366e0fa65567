import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../services/shared/errors.js";
import { recordFromTimeline } from "../telemetry/run-record.js";
import { reportHtml } from "./html-report.js";
import { lastTickOf, unfinishedReport } from "./unfinished-report.js";

/** A report.json that `report` may write over: none, or one it rebuilt itself of an unfinished run. */
function mayWrite(json: string): boolean {
  if (!existsSync(json)) return true;
  try {
    return (JSON.parse(readFileSync(json, "utf8")) as { finished?: unknown }).finished === false;
  } catch {
    return false; // not ours to replace
  }
}

/**
 * report.html and report.json again from a run directory's timeline.ndjson (Gatling's `-ro`). A
 * finished run's JSON report is the timeline's `done` line. A run that crashed or was killed has a
 * timeline cut short: its page and its JSON (`finished: false`, no verdict) show what the ticks
 * saw; the checker's verdict cannot be rebuilt, it needs the services' own accounts.
 */
export function rebuildReport(runDir: string, file = join(runDir, "report.html")): { file: string; json: string | null; finished: boolean } {
  const timeline = join(runDir, "timeline.ndjson");
  if (!existsSync(timeline)) throw new ConfigError(`${runDir}: no timeline.ndjson (is it a run directory?)`);
  const text = readFileSync(timeline, "utf8");
  const record = recordFromTimeline(text);
  if (!record.start && record.ticks.length === 0) throw new ConfigError(`${timeline}: holds nothing of a run (no start, no ticks)`);
  writeFileSync(file, reportHtml(record));
  const json = join(runDir, "report.json");
  if (record.report) {
    if (existsSync(json)) return { file, json: null, finished: true };
    writeFileSync(json, `${JSON.stringify(record.report, null, 2)}\n`);
    return { file, json, finished: true };
  }
  if (!mayWrite(json)) return { file, json: null, finished: false };
  writeFileSync(json, `${JSON.stringify(unfinishedReport(record, lastTickOf(text)), null, 2)}\n`);
  return { file, json, finished: false };
}
