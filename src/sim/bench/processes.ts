import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../system/broker.js";
import { forget, reapOnExit } from "../system/reaper.js";

/**
 * A compiled file under dist/: next to this module when it runs from dist/sim/bench, or
 * `<repo>/dist/...` when it runs from src (tests). The benches run real processes from the build.
 */
export function distFile(relative: string): string {
  const here = fileURLToPath(import.meta.url);
  const candidates = [
    ...(here.endsWith(".js") ? [join(dirname(here), "..", "..", relative)] : []),
    join(dirname(here), "..", "..", "..", "dist", relative),
  ];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`the bench runs services from the build, but ${relative} is not built (looked for ${candidates.join(", ")}); run npm run build`);
  return found;
}

export interface ChildServer {
  url: string;
  pid: number;
  /** SIGTERM, wait for a graceful exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** The last few KiB of its stderr, for error messages. */
  stderrTail(): string;
}

const KEPT_ENV = new Set(["PIZZERIA_DEBUG", "PIZZERIA_NATS_SERVER"]);

function cleanEnv(): NodeJS.ProcessEnv {
  // Other PIZZERIA_* variables would set the child's options behind the bench's back.
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PIZZERIA_") || KEPT_ENV.has(k)));
}

function nodeArgs(cpuProfDir: string | undefined, name: string): string[] {
  return cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `${name}-${Date.now()}.cpuprofile`] : [];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function wrap(child: ChildProcess, url: string, tail: () => string): ChildServer {
  return {
    url,
    pid: child.pid!,
    stderrTail: tail,
    async stop(graceMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited(child);
        clearTimeout(timer);
      }
      if (child.pid) forget(child.pid);
    },
  };
}

function launch(args: string[]): { child: ChildProcess; tail: () => string; stdout: () => string } {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
  if (child.pid) reapOnExit(child.pid);
  let err = "";
  let out = "";
  child.stderr!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4_096)));
  child.stdout!.on("data", (c: Buffer) => (out = (out + c.toString()).slice(-4_096)));
  return { child, tail: () => err.trim(), stdout: () => out };
}

async function waitUntil(child: ChildProcess, ready: () => Promise<boolean>, what: string, tail: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start (${child.exitCode ?? child.signalCode}): ${tail().split("\n").slice(-3).join(" | ")}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`${what} did not become ready within ${timeoutMs} ms: ${tail().split("\n").slice(-3).join(" | ")}`);
}

/** The bare node:http baseline, as its own process. */
export async function spawnBareServer(options: { cpuProfDir?: string } = {}): Promise<ChildServer> {
  const { child, tail, stdout } = launch([...nodeArgs(options.cpuProfDir, "bare"), distFile("sim/bench/bare-server.js"), "0"]);
  let url = "";
  await waitUntil(
    child,
    async () => {
      const line = stdout().split("\n").find((l) => l.startsWith("{"));
      if (line) url = (JSON.parse(line) as { url: string }).url;
      return url !== "";
    },
    "the bare HTTP server",
    tail,
  );
  return wrap(child, url, tail);
}

export interface OrderProcessOptions {
  natsUrl: string;
  /** Its SQLite file and log go here. */
  dir: string;
  maxConcurrent: number;
  logLevel?: string;
  cpuProfDir?: string;
  instance?: string;
}

/** `pizzeria service order` as its own process (the one an operator would run), ready once GET /health answers 200. */
export async function spawnOrderService(options: OrderProcessOptions): Promise<ChildServer> {
  const instance = options.instance ?? "order-1";
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { child, tail } = launch([
      ...nodeArgs(options.cpuProfDir, "order"),
      distFile("cli.js"),
      "service", "order",
      "--nats", options.natsUrl,
      "--instance", instance,
      "--port", String(port),
      "--max-concurrent", String(options.maxConcurrent),
      "--db", join(options.dir, `order-${instance}.db`),
      "--log-file", join(options.dir, `order-${instance}.log`),
      "--log-level", options.logLevel ?? "info",
    ]);
    try {
      await waitUntil(child, () => health(url), "the order service", tail);
      return wrap(child, url, tail);
    } catch (err) {
      child.kill("SIGKILL");
      if (attempt >= 3 || !/EADDRINUSE/.test(tail())) throw err;
    }
  }
}

async function health(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
