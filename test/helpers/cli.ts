import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const CLI = join(import.meta.dirname, "..", "..", "dist", "cli.js");

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** JSON log lines the process wrote to stderr. */
  logs(): Array<Record<string, unknown>>;
  /** Settles on `close`: the process has exited and everything it wrote has been read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Run `pizzeria <args>` as a child process, capturing its output. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], ...(cwd ? { cwd } : {}) });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      err
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    exited,
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
