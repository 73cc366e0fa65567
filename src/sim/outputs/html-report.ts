import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RunRecorder, type RunRecord } from "../telemetry/run-record.js";
import type { RunReport } from "../telemetry/run-events.js";
import { renderHtml } from "./html-page.js";
import type { RunEvents, RunOutput } from "./output.js";
import { pageOf } from "./page-data.js";

/** The self-contained HTML report of one run (also of a run that ended without its report). */
export function reportHtml(record: RunRecord): string {
  const page = pageOf(record);
  const when = record.report?.startedAt ?? (record.start ? new Date(record.start.startedAt).toISOString() : "");
  return renderHtml({ title: `pizzeria: ${page.scenario} ${when}`.trim(), runs: [page] });
}

/**
 * `report.html` in the run directory, and `--html <file>` besides: written when the run ends,
 * from what its events said (the report when there is one, else what the ticks saw).
 */
export class HtmlReportOutput implements RunOutput {
  private readonly recorder = new RunRecorder();
  private unlisten: (() => void) | null = null;

  /** @param also another file to write the same page to (`--html`). */
  constructor(private readonly also?: string) {}

  get description(): string {
    return `HTML report${this.also ? ` (and ${this.also})` : ""}`;
  }

  /** The files it writes: the run directory's report.html once the run has said where that is. */
  files(): string[] {
    const dir = this.recorder.record.report?.runDir ?? this.recorder.record.start?.runDir;
    return [...(dir ? [join(dir, "report.html")] : []), ...(this.also ? [this.also] : [])];
  }

  start(events: RunEvents): void {
    this.unlisten = this.recorder.listen(events);
  }

  stop(_report: RunReport | null): void {
    this.unlisten?.();
    const html = reportHtml(this.recorder.record);
    for (const file of this.files()) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, html);
    }
  }
}
