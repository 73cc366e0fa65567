/**
 * `pizzeria selftest` as plain text: a progress line per case and the table at the end. Which
 * mutant, the service that carries it, what the verdict had to name, what it named, and whether the
 * mutant was caught (or the clean run valid).
 */
import { MUTANTS, type MutantName } from "../services/shared/mutants.js";
import type { SelftestResult } from "../sim/selftest/selftest.js";
import { formatMs } from "./format.js";

const label = (mutant: MutantName | null) => mutant ?? "(clean run)";
/** A column that never cuts what it holds (a finding's name cut short would not say which). */
const col = (text: string, width: number) => (text.length < width ? text.padEnd(width) : `${text}  `);

function outcome(r: SelftestResult): string {
  if (r.error) return `ERROR: ${r.error}`;
  if (r.mutant === null) return r.passed ? "valid" : "NOT VALID";
  return r.passed ? "caught" : "MISSED";
}

/** `[3/11] notification-silent  caught  (printedMissing)  4.1s` */
export function selftestProgressLine(r: SelftestResult, index: number, total: number): string {
  const named = r.named.length > 0 ? r.named.join(", ") : "no findings";
  const missing = r.expected.filter((f) => !r.named.includes(f));
  const why = !r.passed && r.mutant !== null && !r.error ? `; expected ${missing.length > 0 ? missing.join(", ") : "an invalid verdict"}` : "";
  return `[${String(index).padStart(String(total).length)}/${total}] ${col(label(r.mutant), 24)}${col(outcome(r), 8)} (${named}${why})  ${formatMs(r.durationMs)}`;
}

export function formatSelftestTable(results: readonly SelftestResult[]): string {
  const header = `${col("mutant", 24)}${col("service", 14)}${col("must name", 30)}${col("named", 44)}result`;
  const rows = results.map((r) => {
    const service = r.mutant === null ? "-" : MUTANTS[r.mutant].service;
    const expected = r.mutant === null ? "a valid verdict" : r.expected.join(", ");
    const named = r.named.length > 0 ? r.named.join(", ") : "-";
    return `${col(label(r.mutant), 24)}${col(service, 14)}${col(expected, 30)}${col(named, 44)}${outcome(r)}`;
  });
  const mutants = results.filter((r) => r.mutant !== null);
  const caught = mutants.filter((r) => r.passed).length;
  const clean = results.find((r) => r.mutant === null);
  const all = results.every((r) => r.passed);
  const tail = `${caught} of ${mutants.length} mutants caught; clean run ${clean ? (clean.passed ? "valid" : "NOT valid") : "not run"}: ${all ? "PASSED (exit 0)" : "FAILED (exit 1)"}`;
  return [header, ...rows, "", tail].join("\n");
}
