import type { Argv, CommandModule } from "yargs";
import { EXIT, runCommand } from "./common.js";

interface ReportArgs {
  runDir: string;
  html?: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: "report <run-dir>",
  describe: "Rebuild a run's HTML and JSON reports from its timeline (also for a run that crashed or was killed before its end: its report.json is then marked unfinished, not judged)",
  builder: (y: Argv) =>
    y
      .positional("run-dir", { type: "string", describe: "The run's directory (runs/...), holding timeline.ndjson", normalize: true })
      .options({ html: { type: "string", describe: "Write the page here instead of <run-dir>/report.html", normalize: true } })
      .example("$0 report runs/20261201-120000-lunch-rush", "rebuild report.html") as unknown as Argv<ReportArgs>,
  handler: (args) =>
    runCommand(async () => {
      const { rebuildReport } = await import("../sim/outputs/rebuild.js");
      const out = rebuildReport(args.runDir, args.html);
      if (out.finished) process.stdout.write(`${out.file}\n`);
      else {
        const { NOT_JUDGED_REASON } = await import("../sim/outputs/unfinished-report.js");
        const json = out.json ? `${out.json} (finished: false)` : "report.json left as it was (not one this command wrote)";
        process.stdout.write(`${out.file}\n${json}\nUNFINISHED, not judged: ${NOT_JUDGED_REASON}\n`);
      }
      return EXIT.ok;
    }),
};
