#!/usr/bin/env node
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { chaosCommand } from "./commands/chaos.js";
import { benchCommand } from "./commands/bench.js";
import { checkCommand } from "./commands/check.js";
import { compareCommand } from "./commands/compare.js";
import { reportCommand } from "./commands/report.js";
import { dlqCommand } from "./commands/dlq.js";
import { EXIT } from "./commands/common.js";
import { MUTANT_ENV } from "./services/shared/mutants.js";
import { printable } from "./services/shared/printable.js";
import { serviceCommand } from "./commands/service.js";
import { runScenarioCommand } from "./commands/run.js";
import { selftestCommand } from "./commands/selftest.js";
import { upCommand } from "./commands/up.js";

// PIZZERIA_MUTANT (TEST-ONLY, see `pizzeria selftest`) is for the services to read, not an option:
// kept out of sight while yargs parses (`.env("PIZZERIA")` would refuse it as an unknown flag) and
// put back before a command runs.
const mutantEnv = process.env[MUTANT_ENV];
delete process.env[MUTANT_ENV];

/** Parse, call, exit: every command lives in src/commands and loads its heavy modules lazily. */
await yargs(hideBin(process.argv))
  .scriptName("pizzeria")
  .usage("$0 <command> [options]\n\nA terminal simulator and load-testing harness for a pizza-order system on NATS JetStream and SQLite.")
  .command(runScenarioCommand)
  .command(upCommand)
  .command(serviceCommand)
  .command(checkCommand)
  .command(benchCommand)
  .command(chaosCommand)
  .command(dlqCommand)
  .command(selftestCommand)
  .command(reportCommand)
  .command(compareCommand)
  // PIZZERIA_<OPTION> sets any option; these two are read from the environment elsewhere.
  .env("PIZZERIA")
  .option("debug", { type: "boolean", hidden: true, describe: "PIZZERIA_DEBUG=1: print stack traces" })
  .option("nats-server", { type: "string", describe: "The nats-server binary to start (default: the newest found on PATH, in /usr/sbin or fetched by set-up into .cache/nats-server); PIZZERIA_NATS_SERVER too" })
  // The harness and every service process it starts read the binary from the environment.
  .middleware((argv) => {
    if (mutantEnv !== undefined) process.env[MUTANT_ENV] = mutantEnv;
    if (typeof argv.natsServer === "string" && argv.natsServer !== "") process.env.PIZZERIA_NATS_SERVER = argv.natsServer;
    // Only the bench runs once per broker; elsewhere a second one would be ignored without a word.
    if (Array.isArray(argv.natsServer) && argv._[0] !== "bench") {
      process.stderr.write("pizzeria: --nats-server was given more than once; only `pizzeria bench` compares brokers\n");
      process.exit(EXIT.badInput);
    }
  })
  .demandCommand(1, "name a command (see --help)")
  .strict()
  .recommendCommands()
  .help()
  .alias("h", "help")
  .version()
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) throw err;
    // yargs quotes unknown option names as given (from a config file they can hold a newline or U+202E).
    process.stderr.write(`pizzeria: ${printable(msg)}\nRun with --help for usage.\n`);
    process.exit(EXIT.badInput);
  })
  .parseAsync();
