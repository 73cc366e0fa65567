import { plannedCount } from "../load/arrivals.js";
import type { Scenario } from "../scenario/scenario.js";
import { gitCommit } from "../system/git-commit.js";
import type { RunStart } from "./run-events.js";

/** The `start` event of a run of this scenario (also the first line of its timeline). */
export function runStartOf(s: Scenario, x: Pick<RunStart, "mode" | "broker" | "runDir" | "startedAt" | "endpoints">): RunStart {
  const commit = gitCommit();
  return {
    scenario: { name: s.name, description: s.description, seed: s.seed, durationMs: s.durationMs, phases: s.load, thresholds: s.expect },
    mode: x.mode,
    broker: x.broker,
    runDir: x.runDir,
    plannedOrders: Math.round(plannedCount(s.load)),
    startedAt: x.startedAt,
    ...(x.endpoints ? { endpoints: x.endpoints } : {}),
    ...(commit ? { commit } : {}),
  };
}
