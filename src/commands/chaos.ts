import type { Argv, CommandModule } from "yargs";
import { ConfigError } from "../services/shared/errors.js";
import { FAULT_KIND_ROWS, FAULT_KINDS, faultKindRow, faultParams } from "../sim/scenario/fault-kinds.js";
import { CommandFailedError, durationArg, natsFromArgs, natsOptions, runCommand, type NatsArgs } from "./common.js";

/** The fault params' flags also land here, under their camelCase keys (`averageSize`). */
interface ChaosArgs extends NatsArgs {
  fault: string;
  target?: string;
  for?: string;
  restartAfter?: string;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const PARAMS = faultParams();

/** One flag per fault param, said with the kinds that take it. */
const paramOptions = Object.fromEntries(
  PARAMS.map(({ param, kinds }) => [kebab(param.key), { type: param.type === "duration" ? "string" : "number", describe: `${kinds.join("/")}: ${param.help}` }] as const),
);
// The network kinds are named together: "network faults".
const lastingKinds = [...new Set(FAULT_KINDS.filter((k) => FAULT_KIND_ROWS[k].for !== "none").map((k) => (FAULT_KIND_ROWS[k].toxic ? "network faults" : k)))];
const restartableKinds = FAULT_KINDS.filter((k) => FAULT_KIND_ROWS[k].restartAfter);

export const chaosCommand: CommandModule<object, ChaosArgs> = {
  command: "chaos <fault> [target]",
  describe: "Inject a fault into a running `up` or `run` from another terminal",
  builder: (y: Argv) =>
    y
      .positional("fault", { type: "string", choices: FAULT_KINDS, describe: "What to do" })
      .positional("target", { type: "string", describe: "kitchen/<name>, order/1, payment, broker, broker/leader, ... (none for poison)" })
      .options({
        ...natsOptions,
        nats: { ...natsOptions.nats, describe: "NATS of the running harness (default: the one in runs/current.json)" },
        for: { type: "string", describe: `How long the fault lasts (${lastingKinds.join(", ")})` },
        "restart-after": { type: "string", describe: `${restartableKinds.join("/")}: start it again after this long` },
        ...paramOptions,
      })
      .example("$0 chaos kill kitchen/chef_anna --restart-after 5s", "crash a worker, bring it back after 5 s")
      .example("$0 chaos partition order/1 --for 10s", "cut the order service off NATS for 10 s")
      .example("$0 chaos restart broker", "restart the nats-server with the same store") as unknown as Argv<ChaosArgs>,
  handler: (args) =>
    runCommand(async () => {
      const [{ connectNats }, { findCurrentRun }, { subjects }] = await Promise.all([
        import("../services/shared/nats.js"),
        import("../sim/harness-control.js"),
        import("../services/shared/contracts.js"),
      ]);
      const ms = (flag: string, v: string | undefined) => durationArg(flag, "ms")(v);
      const params: Record<string, number> = {};
      for (const { param } of PARAMS) {
        const raw = (args as unknown as Record<string, string | number | undefined>)[param.key];
        const value = param.type === "duration" ? ms(kebab(param.key), raw as string | undefined) : (raw as number | undefined);
        if (value !== undefined) params[param.out] = value;
      }
      if (!args.target && faultKindRow(args.fault)?.target.need === "required") {
        throw new ConfigError(`${args.fault} needs a target, e.g. \`pizzeria chaos ${args.fault} kitchen/chef_anna\``);
      }
      const nats = findCurrentRun(natsFromArgs(args));
      const nc = await connectNats({ ...nats, connectTimeoutMs: 3_000 }, "pizzeria-chaos");
      try {
        const request = { kind: args.fault, target: args.target ?? null, forMs: ms("for", args.for), restartAfterMs: ms("restart-after", args.restartAfter), params };
        let reply;
        try {
          reply = await nc.request(subjects.harness("inject"), JSON.stringify(request), { timeout: 30_000 });
        } catch (err) {
          throw new CommandFailedError(`no pizzeria answered on ${[nats.servers].flat().join(", ")}: is \`pizzeria up\` or \`pizzeria run\` still running? (${(err as Error).message})`);
        }
        const record = reply.json() as { error?: string; id?: string; detail?: string; startedAtMs?: number };
        if (record.error) throw new CommandFailedError(`the fault was refused: ${record.error}`);
        process.stdout.write(`injected ${record.id}: ${record.detail} at ${((record.startedAtMs ?? 0) / 1000).toFixed(1)} s\n`);
        return 0;
      } finally {
        await nc.close();
      }
    }),
};
