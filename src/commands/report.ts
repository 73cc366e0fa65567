import type { Argv, CommandModule } from "yargs";
import { EXIT, runCommand } from "./common.js";

interface ReportArgs {
  runDir: string;
  html?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: "report <run-dir>",
  describe: "Rebuild a run's HTML report from its timeline (also for a run that crashed or was killed before its end)",
  builder: (y: Argv) =>
    y
      .positional("run-dir", { type: "string", describe: "The run's directory (runs/...), holding timeline.ndjson", normalize: true })
      .options({ html: { type: "string", describe: "Write the page here instead of <run-dir>/report.html", normalize: true } })
      .example("$0 report runs/20261201-120000-lunch-rush", "rebuild report.html") as unknown as Argv<ReportArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { rebuildReport } = await import("../sim/outputs/rebuild.js");
      const out = rebuildReport(args.runDir, args.html);
      process.stdout.write(`${out.file}${out.finished ? "" : " (the run ended without its report: drawn from what its timeline holds)"}\n`);
      return EXIT.ok;
    }),
};
