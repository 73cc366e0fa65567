import type { Argv, CommandModule } from "yargs";
import { MUTANT_NAMES, type MutantName } from "../services/shared/mutants.js";
import { RUN_MODES, type RunMode } from "../sim/scenario/run-mode.js";
import { EXIT, runCommand } from "./common.js";

interface SelftestArgs {
  mutant?: string;
  mode: RunMode;
  logLevel: string;
}

export const selftestCommand: CommandModule<object, SelftestArgs> = {
  command: "selftest",
  describe: "Prove the checker works: run the system with one deliberate bug at a time and check that the verdict names it",
  builder: (y: Argv) =>
    y
      .usage(
        [
          "$0 selftest [--mutant <name>] [--mode inprocess|processes]",
          "",
          "First a clean run (no bug: its verdict must be valid), then, one at a time, a short run (3 s of",
          "load) with a deliberate bug switched on in one service through the test-only variable",
          "PIZZERIA_MUTANT: a kitchen that republishes events under new ids, a read model that goes back,",
          "a subscriber that does not print, a double charge, a validator that lets quantity 11 through, a",
          "dropped outbox row, a skipped state, a doubled notification, a reused order number, a second",
          "OrderPaid. Each must make the verdict invalid and name its finding (see README, Self-test).",
          "Exit 0 only when every mutant was caught and the clean run was valid; 1 otherwise.",
          "Never set PIZZERIA_MUTANT outside a self-test: it corrupts orders on purpose.",
        ].join("\n"),
      )
      .options({
        mutant: { type: "string", choices: MUTANT_NAMES, describe: "Run only this mutant (after the clean run)" },
        mode: { type: "string", choices: RUN_MODES, default: "inprocess" as RunMode, describe: "Services in this process, or each as its own process (children inherit the variable)" },
        "log-level": { type: "string", choices: ["debug", "info", "warn", "error"], default: "warn", describe: "Services' log level (their logs go to each run's directory)" },
      })
      .example("$0 selftest", "every mutant, in-process (about a minute)")
      .example("$0 selftest --mutant outbox-drop --mode processes", "one mutant, every service its own process") as unknown as Argv<SelftestArgs>,
  handler: (args) =>
    runCommand(async () => {
      const [{ runSelftest }, { formatSelftestTable, selftestProgressLine }] = await Promise.all([import("../sim/selftest/selftest.js"), import("../tui/selftest-table.js")]);
      const mutants = args.mutant ? [args.mutant as MutantName] : MUTANT_NAMES;
      const total = mutants.length + 1;
      let done = 0;
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`pizzeria selftest: a clean run, then ${mutants.length} mutant${mutants.length === 1 ? "" : "s"} (${args.mode})`);
      const { passed, results } = await runSelftest({
        mutants,
        mode: args.mode,
        logLevel: args.logLevel,
        onResult: (r) => out(selftestProgressLine(r, ++done, total)),
      });
      out("");
      out(formatSelftestTable(results));
      out(`run directories: ${results.map((r) => r.runDir).filter(Boolean).join(" ")}`);
      return passed ? EXIT.ok : EXIT.failed;
    }),
};
