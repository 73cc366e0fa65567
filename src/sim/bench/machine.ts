import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { findNatsServer } from "../system/nats-binary.js";

/** Where and with what a bench ran: printed with every figure, since figures mean nothing without it. */
/** The code measured: the commit, and whether the working tree had changes on top of it. */
export function gitVersion(): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "ignore"] });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

export interface MachineInfo {
  os: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  natsServer: string;
  sqlite: string;
  packages: Record<string, string>;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    // Read package.json next to the resolved entry (some packages do not export it).
    let dir = require.resolve(name);
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf("/"));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8")) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // keep climbing
      }
    }
  } catch {
    // not installed
  }
  return "unknown";
}

function natsServerVersion(): string {
  try {
    return execFileSync(findNatsServer(), ["--version"], { encoding: "utf8", timeout: 5_000 }).trim().replace(/^nats-server:\s*/, "");
  } catch {
    return "unknown";
  }
}

async function sqliteVersion(): Promise<string> {
  try {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(":memory:");
    try {
      return (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
    } finally {
      db.close();
    }
  } catch {
    return "unknown";
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  const list = cpus();
  return {
    os: `${type()} ${release()}`,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    natsServer: natsServerVersion(),
    sqlite: await sqliteVersion(),
    packages: Object.fromEntries(
      ["autocannon", "better-sqlite3", "@nats-io/jetstream", "@nats-io/transport-node", "hdr-histogram-js"].map((p) => [p, packageVersion(p)]),
    ),
  };
}

/** The 1, 5 and 15 minute load averages, rounded: recorded beside each measurement on a shared machine. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg();
  const r = (n: number) => Math.round(n * 100) / 100;
  return [r(a), r(b), r(c)];
}
