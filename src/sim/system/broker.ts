import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerUnavailableError } from "../../services/shared/errors.js";
import { findNatsServer } from "./nats-binary.js";
import { forget, forgetDir, reapOnExit, removeOnExit } from "./reaper.js";
import { captureChildOutput } from "./child-output.js";

/** A free TCP port on loopback (there is a small race until the server binds it; callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface BrokerOptions {
  /** JetStream store directory; a fresh temporary one (removed at stop) when absent. */
  storeDir?: string;
  port?: number;
  /** Monitoring (HTTP) port; a free one when absent. */
  monitorPort?: number;
  /** nats-server's own log; discarded when absent. */
  logFile?: string;
  /** Extra nats-server arguments (cluster routes, ...). */
  args?: string[];
  serverName?: string;
  readyTimeoutMs?: number;
}

export interface LocalBroker {
  url: string;
  /** The nats-server binary and the version it reports on /varz (`2.15.1`). */
  binary: string;
  version: string;
  port: number;
  monitorPort: number;
  storeDir: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Graceful shutdown (SIGTERM, then SIGKILL after a grace period); a store this broker created is removed. */
  stop(): Promise<void>;
  /** Graceful shutdown that keeps the store, to start again with `restart()` (a chaos "stop"). */
  shutdown(): Promise<void>;
  /** kill -9: what a crash looks like. The store stays. */
  kill(): Promise<void>;
  /** Start again on the same port with the same store. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a frozen broker (sockets open, nothing answered). */
  pause(): void;
  resume(): void;
}

/**
 * Start a nats-server with JetStream on loopback and wait until JetStream answers on the
 * monitoring port. The process is reaped with the harness, whatever way the harness ends.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<LocalBroker> {
  const binary = findNatsServer();
  const ownStore = !options.storeDir;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), "pizzeria-js-"));
  mkdirSync(storeDir, { recursive: true });
  // A store of our own goes with the harness however it ends (the reaper); one the caller gave stays.
  if (ownStore) removeOnExit(storeDir);
  const port = options.port ?? (await freePort());
  const monitorPort = options.monitorPort ?? (await freePort());
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  let child: ChildProcess | null = null;
  let outputDone: Promise<void> = Promise.resolve();
  let version = "unknown";

  const args = [
    "-a", "127.0.0.1",
    "-p", String(port),
    "-m", String(monitorPort),
    "-js",
    "-sd", storeDir,
    "-n", options.serverName ?? `pizzeria-${port}`,
    ...(options.args ?? []),
  ];

  async function launch(): Promise<void> {
    const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    child = proc;
    if (proc.pid) reapOnExit(proc.pid);
    const output = captureChildOutput(proc, options.logFile);
    const recent = () => output.recent();
    outputDone = output.done;
    proc.once("exit", () => {
      if (proc.pid) forget(proc.pid);
    });
    proc.unref();
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new BrokerUnavailableError(`nats-server exited during start (code ${proc.exitCode ?? proc.signalCode}): ${recent().trim().split("\n").slice(-3).join(" | ")}`);
      }
      if (await jetStreamHealthy(monitorPort)) {
        version = (await serverVersion(monitorPort)) ?? version;
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    throw new BrokerUnavailableError(`nats-server did not become ready within ${readyTimeoutMs} ms: ${recent().trim().split("\n").slice(-3).join(" | ")}`);
  }

  function exited(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => proc.once("exit", () => resolve()));
  }

  async function terminate(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = null;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGCONT"); // a paused server cannot act on SIGTERM
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited(proc);
      clearTimeout(timer);
    }
    // Its last log lines are in the file before the caller goes on (bounded: nats-server has no
    // children, but something else could hold its pipes open).
    await Promise.race([outputDone, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    binary,
    get version() {
      return version;
    },
    port,
    monitorPort,
    storeDir,
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    get running() {
      const c = child as ChildProcess | null;
      return !!c && c.exitCode === null && c.signalCode === null;
    },
    async stop() {
      await terminate("SIGTERM", 5_000);
      if (ownStore) {
        rmSync(storeDir, { recursive: true, force: true });
        forgetDir(storeDir);
      }
    },
    shutdown: () => terminate("SIGTERM", 5_000),
    kill: () => terminate("SIGKILL", 0),
    async restart() {
      await terminate("SIGTERM", 5_000);
      await launch();
    },
    pause() {
      (child as ChildProcess | null)?.kill("SIGSTOP");
    },
    resume() {
      (child as ChildProcess | null)?.kill("SIGCONT");
    },
  };
}

async function jetStreamHealthy(monitorPort: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(1_000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** The version the server reports on /varz (what a report should quote: the server's own word). */
async function serverVersion(monitorPort: number): Promise<string | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/varz`, { signal: AbortSignal.timeout(2_000) });
    const varz = (await res.json()) as { version?: string };
    return typeof varz.version === "string" ? varz.version : null;
  } catch {
    return null;
  }
}
