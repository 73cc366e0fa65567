/**
 * The reports pass: what each reporting instance answers (every report at once, its control verb
 * `reports`) against the same reports recomputed here from the ORDERS stream (figures.ts: the
 * stream folded into each order's facts, each event id once, in stream order). They must agree
 * exactly: the read model took every event once, however often it was delivered and however often
 * the service restarted. Each figure that differs is one finding, named by its report and path.
 */
import { buildReports, foldFacts, type OrderFacts, type Reports } from "../../../services/reporting/figures.js";
import type { AnyOrderEvent } from "../../../services/shared/contracts.js";
import type { Finding, ReportsInput, ReportsPass, StreamRecord } from "../checker-types.js";

export type { ReportsInput, ReportsPass };

const MAX_PER_SOURCE = 50;

/** Every leaf where two JSON values differ, as `path: held vs expected`. */
export function differences(held: unknown, expected: unknown, path: string, out: string[], max: number): void {
  if (out.length >= max) return;
  if (Array.isArray(expected) && Array.isArray(held)) {
    if (held.length !== expected.length) out.push(`${path}: ${held.length} entries, the stream's ${expected.length}`);
    for (let i = 0; i < Math.min(held.length, expected.length); i++) differences(held[i], expected[i], `${path}[${keyOf(expected[i]) ?? i}]`, out, max);
    return;
  }
  if (expected !== null && held !== null && typeof expected === "object" && typeof held === "object") {
    for (const k of new Set([...Object.keys(expected), ...Object.keys(held)])) differences((held as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`, out, max);
    return;
  }
  if (held !== expected) out.push(`${path}: ${JSON.stringify(held)}, the stream's ${JSON.stringify(expected)}`);
}

/** An entry's own name (restaurant, hour, worker, day, customer, item), so a finding says which one. */
function keyOf(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== "object") return undefined;
  const e = entry as Record<string, unknown>;
  for (const k of ["restaurant", "hour", "worker", "day", "customer_id", "name"]) if (typeof e[k] === "string") return e[k] as string;
  return undefined;
}

/**
 * `drained`: the system went quiet (every durable acked what it has: the reports are final). A run
 * that did not drain is invalid already, and a report behind the stream says nothing more: no findings.
 */
export function checkReports(inputs: readonly ReportsInput[], stream: readonly StreamRecord[], drained = true): ReportsPass {
  if (inputs.length === 0) return { wrong: [], expected: null };
  const events = stream.map((r) => r.event).filter((e): e is AnyOrderEvent => e !== null);
  return checkReportsOfFacts(inputs, [...foldFacts(events).values()], drained);
}

/** The same from each order's facts already folded (in the order the orders first appeared on the stream). */
export function checkReportsOfFacts(inputs: readonly ReportsInput[], facts: readonly OrderFacts[], drained = true): ReportsPass {
  if (inputs.length === 0) return { wrong: [], expected: null };
  const expected = buildReports(facts);
  const wrong: Finding[] = [];
  if (!drained) return { wrong, expected };
  for (const input of inputs) {
    const diffs: string[] = [];
    differences(input.reports, expected, "reports", diffs, MAX_PER_SOURCE);
    for (const d of diffs) wrong.push({ source: input.source, reason: `${input.source} ${d}` });
  }
  return { wrong, expected };
}
