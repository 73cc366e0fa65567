import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { errorMessage } from "../../services/shared/errors.js";

/** Where a report went: its file, or null when no file would take it (it was written to `fallbackOut` instead). */
export type ReportPlace = { file: string; fallback: boolean } | { file: null; fallback: true };

/**
 * Write the run's report.json into its run directory; when that fails (its disk is full, the
 * directory is gone), into a fallback directory (`<tmpdir>/pizzeria-reports/`), and when that
 * fails too, to `fallbackOut` (stdout) as JSON. Each failure is told through `say` with the path
 * and why; the run goes on to its verdict whatever happened here.
 */
export function writeReportFile(runDir: string, report: unknown, say: (message: string) => void, fallbackOut: (text: string) => void, fallbackDir = join(tmpdir(), "pizzeria-reports")): ReportPlace {
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(runDir, "report.json");
  try {
    writeFileSync(file, text);
    return { file, fallback: false };
  } catch (err) {
    const other = join(fallbackDir, `${basename(runDir)}-report.json`);
    try {
      mkdirSync(fallbackDir, { recursive: true });
      writeFileSync(other, text);
      say(`cannot write the report ${file}: ${errorMessage(err)}; written to ${other} instead`);
      return { file: other, fallback: true };
    } catch (err2) {
      say(`cannot write the report ${file} (${errorMessage(err)}) nor ${other} (${errorMessage(err2)}); the report follows on stdout`);
      fallbackOut(text);
      return { file: null, fallback: true };
    }
  }
}
