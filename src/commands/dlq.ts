import type { Argv, CommandModule } from "yargs";
import { ConfigError } from "../services/shared/errors.js";
import { natsFromArgs, natsOptions, runCommand, type NatsArgs } from "./common.js";

interface DlqArgs extends NatsArgs {
  action: "list" | "replay";
  seq?: number[];
  consumer?: string;
  keep: boolean;
  json: boolean;
}

export const dlqCommand: CommandModule<object, DlqArgs> = {
  command: "dlq <action>",
  describe: "List or replay dead letters (messages a consumer gave up on) of a running or finished system",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ["list", "replay"], describe: "list them, or publish them again to their subjects" })
      .options({
        ...natsOptions,
        nats: { ...natsOptions.nats, describe: "NATS holding the DLQ stream (default: the running harness's, from runs/current.json)" },
        seq: { type: "number", array: true, describe: "Only these DLQ sequence numbers" },
        consumer: { type: "string", describe: "Only dead letters of this consumer (e.g. payment, kitchen_main_dine_in)" },
        keep: { type: "boolean", default: false, describe: "replay: keep them in the DLQ afterwards" },
        json: { type: "boolean", default: false, describe: "list: print JSON" },
      })
      .example("$0 dlq list", "what was dead-lettered, and why")
      .example("$0 dlq replay --consumer payment", "try a consumer's dead letters again") as unknown as Argv<DlqArgs>,
  handler: (args) =>
    runCommand(async () => {
      const [{ connectNats }, { findCurrentRun }, { listDeadLetters, replayDeadLetters }] = await Promise.all([
        import("../services/shared/nats.js"),
        import("../sim/harness-control.js"),
        import("../sim/system/dlq.js"),
      ]);
      const nats = findCurrentRun(natsFromArgs(args));
      const nc = await connectNats({ ...nats, connectTimeoutMs: 3_000 }, "pizzeria-dlq");
      try {
        let letters = await listDeadLetters(nc).catch((err: Error) => {
          if (/stream not found/i.test(err.message)) return [];
          throw err;
        });
        if (args.consumer) letters = letters.filter((l) => l.consumer === args.consumer);
        if (args.seq) {
          const missing = args.seq.filter((s) => !letters.some((l) => l.seq === s));
          if (missing.length > 0) throw new ConfigError(`no dead letter with --seq ${missing.join(", ")}`);
          letters = letters.filter((l) => args.seq!.includes(l.seq));
        }
        if (args.action === "list") {
          if (args.json) process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
          else if (letters.length === 0) process.stdout.write("no dead letters\n");
          else {
            for (const l of letters) {
              const payload = l.payload.length > 60 ? `${l.payload.slice(0, 57)}...` : l.payload;
              process.stdout.write(`#${l.seq}  ${l.at}  ${l.consumer}  ${l.subject}  deliveries ${l.deliveries}\n    reason: ${l.reason}\n    payload: ${payload}\n`);
            }
            process.stdout.write(`${letters.length} dead letter(s)\n`);
          }
          return 0;
        }
        const result = await replayDeadLetters(nc, letters, args.keep);
        process.stdout.write(`replayed ${result.replayed.length} dead letter(s)${args.keep ? " (kept in the DLQ)" : ""}\n`);
        for (const f of result.failed) process.stderr.write(`pizzeria: #${f.seq} could not be replayed: ${f.error}\n`);
        return result.failed.length > 0 ? 1 : 0;
      } finally {
        await nc.close();
      }
    }),
};
