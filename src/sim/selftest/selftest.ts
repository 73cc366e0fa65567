/**
 * `pizzeria selftest`: mutants that prove the checker works. Each run starts the real system with
 * one deliberate bug switched on (PIZZERIA_MUTANT, see services/shared/mutants.ts), offers a short
 * load, and asks whether the verdict names the finding a reader would expect for that bug. A clean
 * run first (no mutant, the same kind of load) must be valid, so a finding is the bug's doing and
 * not the harness's.
 */
import { MUTANT_ENV, MUTANTS, type MutantFinding, type MutantName, type MutantScenarioNeeds } from "../../services/shared/mutants.js";
import type { NatsOptions } from "../../services/shared/nats.js";
import { ScenarioRun } from "../run.js";
import type { RunMode } from "../scenario/run-mode.js";
import { parseScenario, type Scenario } from "../scenario/scenario.js";
import type { RunReport } from "../telemetry/run-events.js";

/** The findings of a report's verdict that counted any, by name (e.g. ["deadLettered", "poisonUnhandled"]). */
export function namedFindings(verdict: RunReport["verdict"]): string[] {
  return Object.keys(verdict.findings).filter((k) => {
    const n = (verdict as unknown as Record<string, unknown>)[k];
    return typeof n === "number" && n > 0;
  });
}

/** What one self-test run found. `mutant` null: the clean run. */
export interface SelftestResult {
  mutant: MutantName | null;
  /** The findings the verdict had to name (none for the clean run). */
  expected: readonly MutantFinding[];
  /** The findings it named. */
  named: string[];
  /** The mutant the run's report says was on (`report.mutant`): the one asked for, or null. */
  reported: string | null;
  valid: boolean;
  drained: boolean;
  /** Caught (a mutant: invalid and every expected finding named) or clean (no mutant: valid). */
  passed: boolean;
  orders: { accepted: number; completed: number; cancelled: number };
  durationMs: number;
  runDir: string;
  /** The run failed before it had a verdict. */
  error?: string;
}

/** What the clean run needs too: every path a mutant's scenario takes (invalid requests, declines, two order instances). */
const CLEAN_NEEDS: MutantScenarioNeeds = { invalid: 0.3, orderInstances: 2, restaurants: true, viaCart: 0.3 };

/** Two restaurants, main rejecting a fifth of its orders (refunded), napoli all of them accepted; a kitchen each. */
const RESTAURANTS = `restaurants:
  - { id: main, rejectRate: 0.2, kitchen: [{ name: chef_mario }, { name: chef_anna, types: [dine_in] }] }
  - { id: napoli, kitchen: [{ name: chef_sofia }] }
`;

/** Journeys that follow their order by subscription (a journey's tracking is what a feed's bug shows in). */
const JOURNEYS = `journeys:
  - { name: tracked, weight: 1, steps: [browse, signup, { add: { items: 2 } }, checkout, { track: subscribe }] }
`;

/**
 * The short scenario of a mutant (or of the clean run): 3 s of steady load at 12 orders/s, quick
 * cooking, a few declines. Whatever the bug needs (invalid requests, two order instances, a drain
 * long enough to call a missing event lost) comes from its table row.
 */
export function selftestScenario(mutant: MutantName | null, mode: RunMode = "inprocess"): Scenario {
  const needs: MutantScenarioNeeds = mutant === null ? CLEAN_NEEDS : MUTANTS[mutant].needs;
  const label = mutant ?? "clean";
  const text = `name: selftest-${label}
description: "pizzeria selftest: ${mutant === null ? "no mutant, must be valid" : MUTANTS[mutant].does}"
seed: 13
mode: ${mode}
cookTime: 40ms
heartbeatInterval: 300ms
load:
  - { duration: 3s, rate: 12 }
orders:
  types: { dine_in: 1, takeout: 1, delivery: 1 }
  items: { min: 1, max: 3 }
  invalid: ${needs.invalid ?? 0}
  viaCart: ${needs.viaCart ?? 0}
services:
  order: { instances: ${needs.orderInstances ?? 1} }
  payment: { failureRate: ${needs.failureRate ?? 0.1}, latency: 5ms }
drainTimeout: ${needs.drainTimeoutMs ?? 15_000}ms
${needs.restaurants ? RESTAURANTS : ""}${needs.journeys ? JOURNEYS : ""}`;
  return parseScenario(text, `selftest-${label}.yaml`);
}

export interface SelftestCaseOptions {
  mode?: RunMode;
  /** Where the run keeps its files (default runs/<time>-selftest-<name>). */
  runDir?: string;
  nats?: NatsOptions;
  logLevel?: string;
}

/**
 * Run one case: the mutant switched on in this process's environment for this run only (the
 * in-process services read it when they start; child processes inherit it), then put back as it was.
 */
export async function runSelftestCase(mutant: MutantName | null, options: SelftestCaseOptions = {}): Promise<SelftestResult> {
  const expected = mutant === null ? [] : MUTANTS[mutant].findings;
  const scenario = selftestScenario(mutant, options.mode);
  const before = process.env[MUTANT_ENV];
  if (mutant === null) delete process.env[MUTANT_ENV];
  else process.env[MUTANT_ENV] = mutant;
  const startedAt = Date.now();
  const run = new ScenarioRun({ scenario, runDir: options.runDir, nats: options.nats, logLevel: options.logLevel ?? "warn" });
  try {
    const report = await run.run();
    const named = namedFindings(report.verdict);
    const valid = report.verdict.valid;
    const reported = report.mutant ?? null;
    // A mutant the run did not know it had on would be a test of nothing.
    const passed = reported === mutant && (mutant === null ? valid : !valid && expected.every((f) => named.includes(f)));
    return {
      mutant,
      expected,
      named,
      reported,
      valid,
      drained: report.verdict.drained,
      passed,
      orders: { accepted: report.orders.accepted, completed: report.orders.completed, cancelled: report.orders.cancelled },
      durationMs: Date.now() - startedAt,
      runDir: report.runDir,
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { mutant, expected, named: [], reported: null, valid: false, drained: false, passed: false, orders: { accepted: 0, completed: 0, cancelled: 0 }, durationMs: Date.now() - startedAt, runDir: options.runDir ?? "", error };
  } finally {
    if (before === undefined) delete process.env[MUTANT_ENV];
    else process.env[MUTANT_ENV] = before;
  }
}

export interface SelftestOptions extends Omit<SelftestCaseOptions, "runDir"> {
  /** The mutants to run (default: all, in table order). The clean run always comes first. */
  mutants?: readonly MutantName[];
  /** The run directory of a case (default: runs/<time>-selftest-<name>). */
  runDirFor?: (label: string) => string | undefined;
  /** Called as each case starts and ends (the command's progress lines). */
  onStart?: (mutant: MutantName | null) => void;
  onResult?: (result: SelftestResult) => void;
}

/** The clean run, then each mutant in turn (one system at a time: they share nothing). */
export async function runSelftest(options: SelftestOptions = {}): Promise<{ results: SelftestResult[]; passed: boolean }> {
  const cases: Array<MutantName | null> = [null, ...(options.mutants ?? (Object.keys(MUTANTS) as MutantName[]))];
  const results: SelftestResult[] = [];
  for (const mutant of cases) {
    options.onStart?.(mutant);
    const result = await runSelftestCase(mutant, { ...options, runDir: options.runDirFor?.(mutant ?? "clean") });
    results.push(result);
    options.onResult?.(result);
  }
  return { results, passed: results.every((r) => r.passed) };
}
