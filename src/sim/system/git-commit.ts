import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | null | undefined;

/** The short git commit of the checkout the harness runs from (null outside a git checkout or without git). */
export function gitCommit(): string | null {
  if (cached !== undefined) return cached;
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const out = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: here, encoding: "utf8", timeout: 2_000, stdio: ["ignore", "pipe", "ignore"] }).trim();
    cached = /^[0-9a-f]{4,40}$/.test(out) ? out : null;
  } catch {
    cached = null;
  }
  return cached;
}
