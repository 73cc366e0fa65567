import { writeFileSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { EXIT, runCommand } from "./common.js";

interface CompareArgs {
  a: string;
  b: string;
  failOn?: string;
  html?: string;
  json: boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: "compare <a> <b>",
  describe: "Compare two runs offline (run directories or report.json files): a side-by-side table, an HTML page overlaying their charts, exit 1 on a regression",
  builder: (y: Argv) =>
    y
      .positional("a", { type: "string", describe: "The baseline run: its directory (runs/...) or its report.json", normalize: true })
      .positional("b", { type: "string", describe: "The run compared with it", normalize: true })
      .options({
        "fail-on": { type: "string", describe: "Regressions that fail (exit 1), comma-separated: <figure>:+<n>% may rise at most n%, <figure>:-<n>% may fall at most n% (a bare n: an absolute amount)" },
        html: { type: "string", describe: "Write the comparison page here (self-contained HTML, both runs' charts overlaid)", normalize: true },
        json: { type: "boolean", default: false, describe: "Print the comparison as JSON instead of a table" },
      })
      .example("$0 compare runs/base runs/new --fail-on 'endToEndP99:+10%,accepted:-5%' --html compare.html", "CI: compare with a baseline run, fail on a regression") as unknown as Argv<CompareArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { compareReports, comparisonHtml, formatComparison, loadRun, markUnfinished, parseFailOn, runLabels, unfinishedNote } = await import("../sim/outputs/compare.js");
      const rules = args.failOn ? parseFailOn(args.failOn) : [];
      const [a, b] = [loadRun(args.a), loadRun(args.b)];
      const labels = markUnfinished(runLabels(args.a, args.b), [a.report, b.report]);
      const rows = compareReports(a.report, b.report, rules);
      const note = unfinishedNote(labels, [a.report, b.report]);
      if (args.html) writeFileSync(args.html, comparisonHtml(a.record, b.record, labels, rows));
      const { isUnfinished } = await import("../sim/outputs/unfinished-report.js");
      const unfinished = { a: isUnfinished(a.report), b: isUnfinished(b.report) };
      process.stdout.write(args.json ? `${JSON.stringify({ a: labels[0], b: labels[1], unfinished, rows }, null, 2)}\n` : `${formatComparison(labels, rows)}\n${note ? `${note}\n` : ""}${args.html ? `page: ${args.html}\n` : ""}`);
      return rows.some((r) => r.regressed) ? EXIT.failed : EXIT.ok;
    }),
};
