import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { activeMutant, MUTANT_ENV, MUTANT_NAMES, MUTANTS, mutantPicks } from "../src/services/shared/mutants.js";
import { runSelftestCase, type SelftestResult } from "../src/sim/selftest/selftest.js";
import { formatSelftestTable, selftestProgressLine } from "../src/tui/selftest-table.js";
import { scratchDir } from "./helpers/nats.js";

/** One self-test case in a scratch run directory (removed after), with the environment as it was before. */
async function runCase(mutant: (typeof MUTANT_NAMES)[number] | null): Promise<SelftestResult> {
  const dir = scratchDir(`selftest-${mutant ?? "clean"}`);
  try {
    return await runSelftestCase(mutant, { runDir: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the mutant switch", () => {
  it("is off unless PIZZERIA_MUTANT names a mutant", () => {
    expect(activeMutant({})).toBeNull();
    expect(activeMutant({ [MUTANT_ENV]: "" })).toBeNull();
    expect(activeMutant({ [MUTANT_ENV]: "no-such-bug" })).toBeNull();
    expect(activeMutant({ [MUTANT_ENV]: "skip-state" })).toBe("skip-state");
  });

  it("picks every fifth order by its number", () => {
    expect(["ORD_20261123_005", "ORD_20261123_010", "ORD_20261123_1000"].every((n) => mutantPicks(n))).toBe(true);
    expect(["ORD_20261123_001", "ORD_20261123_004", "not a number"].some((n) => mutantPicks(n))).toBe(false);
  });
});

// Every mutant in turn against the real system (in-process, a real nats-server each run): the
// clean run must be valid, each mutant's verdict invalid and naming the finding of its table row.
describe("pizzeria selftest: every deliberate bug is caught by name", () => {
  const results: SelftestResult[] = [];

  it("a clean run (no mutant, the same kind of load) is valid, and its report names no mutant", async () => {
    const before = process.env[MUTANT_ENV];
    process.env[MUTANT_ENV] = "skip-state"; // the clean run switches an inherited mutant off
    try {
      const r = await runCase(null);
      results.push(r);
      expect(r.error).toBeUndefined();
      expect(r, JSON.stringify(r)).toMatchObject({ valid: true, drained: true, passed: true, named: [], reported: null });
      expect(r.orders.accepted).toBeGreaterThan(10);
      expect(process.env[MUTANT_ENV]).toBe("skip-state");
    } finally {
      if (before === undefined) delete process.env[MUTANT_ENV];
      else process.env[MUTANT_ENV] = before;
    }
  }, 60_000);

  it.each(MUTANT_NAMES.map((name) => [name, MUTANTS[name].findings.join(", ")] as const))("%s -> %s", async (name) => {
    const r = await runCase(name);
    results.push(r);
    expect(r.error).toBeUndefined();
    expect(r.reported, "report.mutant").toBe(name);
    expect(r.valid, `${name}: ${JSON.stringify(r)}`).toBe(false);
    for (const finding of MUTANTS[name].findings) expect(r.named, `${name} must be caught as ${finding}`).toContain(finding);
    expect(r.passed).toBe(true);
    // Switched on for that run only.
    expect(activeMutant()).toBeNull();
  }, 60_000);

  it("reports each case in a line and all of them in a table", () => {
    expect(results).toHaveLength(MUTANT_NAMES.length + 1);
    expect(selftestProgressLine(results[1], 2, results.length)).toMatch(/^\[ 2\/13\] kitchen-republish +caught +\(.*deadLettered/);
    const table = formatSelftestTable(results);
    for (const name of MUTANT_NAMES) expect(table).toMatch(new RegExp(`^${name} +${MUTANTS[name].service} .*caught$`, "m"));
    expect(table).toContain("13 of 13 mutants caught; clean run valid: PASSED (exit 0)");
  });
});
