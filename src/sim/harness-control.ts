import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../services/shared/contracts.js";
import { ConfigError, errorMessage } from "../services/shared/errors.js";
import type { NatsOptions } from "../services/shared/nats.js";
import type { FaultRequest } from "./faults/chaos.js";
import type { FaultRecord } from "./telemetry/run-events.js";

/** What a running `up` or `run` leaves in `runs/current.json` so `pizzeria chaos` can find it. */
export interface CurrentRun {
  nats: string[];
  runDir: string;
  pid: number;
  label: string;
  startedAt: string;
}

export const CURRENT_RUN_FILE = join("runs", "current.json");

/** Written for `pizzeria chaos`; a file that cannot be written (a full disk) is told through `onError` and the run goes on without it. */
export function writeCurrentRun(info: CurrentRun, file = CURRENT_RUN_FILE, onError?: (message: string) => void): () => void {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`);
  } catch (err) {
    if (!onError) throw err;
    onError(`cannot write ${resolve(file)}: ${errorMessage(err)}; \`pizzeria chaos\` will need --nats ${info.nats.join(",")}`);
    return () => undefined;
  }
  return () => {
    try {
      const now = JSON.parse(readFileSync(file, "utf8")) as CurrentRun;
      if (now.pid === info.pid) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

/** The NATS of the running harness: `--nats` when given, else `runs/current.json` of a live process. */
export function findCurrentRun(nats: NatsOptions | null, file = CURRENT_RUN_FILE): NatsOptions {
  if (nats) return nats;
  let info: CurrentRun;
  try {
    info = JSON.parse(readFileSync(file, "utf8")) as CurrentRun;
  } catch {
    throw new ConfigError(`no running pizzeria found (${file} is missing): start \`pizzeria up\` or \`pizzeria run\` in this directory, or pass --nats <url>`);
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new ConfigError(`the pizzeria that wrote ${file} (pid ${info.pid}) is no longer running; pass --nats <url> to reach another one`);
  }
  return { servers: info.nats };
}

/**
 * Serve `pizzeria.ctl.harness.inject` (and `.status`) so faults can be injected from another
 * terminal; they go through the same Chaos path as scripted ones and are recorded as "manual".
 */
export function serveHarnessControl(
  nc: NatsConnection,
  handlers: { inject(req: FaultRequest): Promise<FaultRecord>; status(): unknown },
): { stop(): void } {
  const subs = [
    nc.subscribe(subjects.harness("inject"), {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let reply: unknown;
          try {
            reply = await handlers.inject(JSON.parse(msg.string()) as FaultRequest);
          } catch (e) {
            reply = { error: errorMessage(e) };
          }
          msg.respond(JSON.stringify(reply));
        })();
      },
    }),
    nc.subscribe(subjects.harness("status"), {
      callback: (err, msg) => {
        if (!err) msg.respond(JSON.stringify(handlers.status()));
      },
    }),
  ];
  return { stop: () => subs.forEach((s) => s.unsubscribe()) };
}
