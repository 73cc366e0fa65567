import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A steady load with quick cooking, long enough for a disk fault in the middle and a tail after it. */
export function diskScenario(chaos: string, options: { extra?: string; seconds?: number } = {}): string {
  return `cookTime: 40ms
heartbeatInterval: 300ms
${options.extra ?? ""}load:
  - { duration: ${options.seconds ?? 8}s, rate: 25 }
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
  items: { min: 3, max: 5 }
services:
  payment: { failureRate: 0, latency: 2ms }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 30s
chaos:
${chaos}`;
}

/** The messages of a run's log (its timeline's `log` lines). */
export function runLog(dir: string): string[] {
  return readFileSync(join(dir, "timeline.ndjson"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { type: string; data: { message?: string } })
    .filter((e) => e.type === "log")
    .map((e) => e.data.message ?? "");
}
