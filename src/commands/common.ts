import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import type { Options } from "yargs";
import { ConfigError, errorMessage, NatsServerNotFoundError, PizzeriaError } from "../services/shared/errors.js";
import type { NatsOptions } from "../services/shared/nats.js";
import { parseDuration } from "../sim/scenario/duration.js";

/** Exit codes: 0 fine, 1 failed (or verdict invalid), 2 bad input or usage. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

export const natsOptions = {
  nats: {
    type: "string",
    describe: "URL of an existing NATS server or cluster (comma-separated for several); without it a private nats-server is started",
  },
  "nats-token": { type: "string", describe: "Token for --nats" },
  "nats-creds": { type: "string", describe: "Credentials file (.creds) for --nats", normalize: true },
} satisfies Record<string, Options>;

export interface NatsArgs {
  nats?: string;
  natsToken?: string;
  natsCreds?: string;
}

export function natsFromArgs(args: NatsArgs, fallback?: string): NatsOptions | null {
  const url = args.nats ?? fallback;
  if (!url) return null;
  const servers = url.split(",").map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) throw new ConfigError("--nats needs at least one URL, such as nats://127.0.0.1:4222");
  return { servers, token: args.natsToken, credsFile: args.natsCreds };
}

/** A duration flag: `--heartbeat-interval 30` (seconds, as in the seed) or `500ms`, `2s`, `1m`. */
export function durationArg(flag: string, bareUnit: "ms" | "s") {
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value, bareUnit);
    if (ms === null) throw new ConfigError(`--${flag} must be a duration such as 500ms, 5s or 1m (a bare number means ${bareUnit === "s" ? "seconds" : "milliseconds"}); got ${JSON.stringify(value)}`);
    return ms;
  };
}

/** A config file for `--config`: JSON or YAML, keys as the long flag names. */
export function loadConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${errorMessage(err)}`);
  }
  try {
    const value = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("expected a mapping of option names to values");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid: ${errorMessage(err)}`);
  }
}

/** A command could not do what was asked, for a reason its message states (exit code 1, no stack trace). */
export class CommandFailedError extends PizzeriaError {}

/** Print an error the way a user wants to read it (no stack unless PIZZERIA_DEBUG) and pick the exit code. */
export function reportError(err: unknown): number {
  // Our own typed errors carry a complete message; a stack trace would only help with the unexpected.
  const known = err instanceof PizzeriaError;
  process.stderr.write(`pizzeria: ${errorMessage(err)}\n`);
  if (process.env.PIZZERIA_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!known) process.stderr.write("(set PIZZERIA_DEBUG=1 for the stack trace)\n");
  return err instanceof ConfigError || err instanceof NatsServerNotFoundError ? EXIT.badInput : EXIT.failed;
}

/** Run a command's body; its resolved number (or a thrown error) becomes the exit code. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  let code: number;
  try {
    code = (await body()) ?? EXIT.ok;
  } catch (err) {
    code = reportError(err);
  }
  process.exitCode = code;
  // Give stdout/stderr a moment to flush, then leave even if a library keeps a handle open.
  setTimeout(() => process.exit(code), 50).unref();
}

/**
 * Resolve `signalled` on the first SIGINT/SIGTERM; a second one means "now": exit 130 without
 * waiting for the graceful path. `dispose()` removes the handlers.
 */
export function onStopSignal(): { signalled: Promise<NodeJS.Signals>; dispose(): void } {
  let seen = false;
  let resolve!: (signal: NodeJS.Signals) => void;
  const signalled = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals) => {
    if (seen) {
      process.stderr.write("pizzeria: second signal, exiting without finishing the shutdown\n");
      process.exit(130);
    }
    seen = true;
    resolve(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signalled,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
