import type { Argv, CommandModule } from "yargs";
import { ConfigError } from "../services/shared/errors.js";
import { FAULT_KINDS } from "../sim/scenario/fault-kinds.js";
import { CommandFailedError, durationArg, natsFromArgs, natsOptions, runCommand, type NatsArgs } from "./common.js";

interface ChaosArgs extends NatsArgs {
  fault: string;
  target?: string;
  for?: string;
  restartAfter?: string;
  latency?: string;
  jitter?: string;
  rate?: number;
  timeout?: string;
  averageSize?: number;
  sizeVariation?: number;
  delay?: string;
  factor?: number;
  count?: number;
}

export const chaosCommand: CommandModule<object, ChaosArgs> = {
  command: "chaos <fault> [target]",
  describe: "Inject a fault into a running `up` or `run` from another terminal",
  builder: (y: Argv) =>
    y
      .positional("fault", { type: "string", choices: FAULT_KINDS as unknown as string[], describe: "What to do" })
      .positional("target", { type: "string", describe: "kitchen/<name>, order/1, payment, broker, broker/leader, ... (none for poison)" })
      .options({
        ...natsOptions,
        nats: { ...natsOptions.nats, describe: "NATS of the running harness (default: the one in runs/current.json)" },
        for: { type: "string", describe: "How long the fault lasts (pause, network faults, payment_outage, slow_kitchen)" },
        "restart-after": { type: "string", describe: "stop/kill: start it again after this long" },
        latency: { type: "string", describe: "latency: delay per direction, e.g. 200ms" },
        jitter: { type: "string", describe: "latency: random extra delay, e.g. 50ms" },
        rate: { type: "number", describe: "bandwidth: KB/s" },
        timeout: { type: "string", describe: "timeout/reset_peer: after how long (0 = blackhole forever)" },
        "average-size": { type: "number", describe: "slicer: bytes per slice" },
        "size-variation": { type: "number", describe: "slicer: +- bytes" },
        delay: { type: "string", describe: "slicer: delay between slices" },
        factor: { type: "number", describe: "slow_kitchen: cooking takes this many times longer" },
        count: { type: "number", describe: "poison: malformed messages to publish" },
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
      const put = (key: string, value: number | undefined) => value !== undefined && (params[key] = value);
      put("latencyMs", ms("latency", args.latency));
      put("jitterMs", ms("jitter", args.jitter));
      put("rate", args.rate);
      put("timeoutMs", ms("timeout", args.timeout));
      put("averageSize", args.averageSize);
      put("sizeVariation", args.sizeVariation);
      put("delayMs", ms("delay", args.delay));
      put("factor", args.factor);
      put("count", args.count);
      if (!args.target && !["poison", "payment_outage", "slow_kitchen"].includes(args.fault)) {
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
