import { describe, expect, it } from "vitest";
import { buildReports, foldFacts, type Reports } from "../../src/services/reporting/figures.js";
import { check } from "../../src/sim/check/checker.js";
import { checkReports } from "../../src/sim/check/passes/reports.js";
import { COMPLETED_PATH, eventOf, pathOf, REJECTED_PATH, streamOf } from "./stream.js";

const SOURCE = "reporting/reporting-1";

describe("the reports pass", () => {
  const stream = streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", REJECTED_PATH), null, eventOf("A", "ready")]);
  const right = buildReports([...foldFacts(stream.flatMap((r) => (r.event ? [r.event] : []))).values()]);

  it("finds nothing when an instance's figures are the stream's (a poison message and a repeated event ignored), and names each figure that differs", () => {
    expect(right.restaurants).toMatchObject([{ restaurant: "main", orders: 2, completed: 1, cancelled: 1, rejected: 1, revenue: 12.99 }]);
    expect(right.workers).toMatchObject([{ worker: "w1", orders_cooked: 1 }]);
    expect(checkReports([{ source: SOURCE, reports: right }], stream)).toEqual({ wrong: [], expected: right });

    const wrong: Reports = structuredClone(right);
    wrong.restaurants[0].completed = 2;
    wrong.workers = [];
    expect(checkReports([{ source: SOURCE, reports: wrong }], stream).wrong).toEqual([
      { source: SOURCE, reason: `${SOURCE} reports.restaurants[main].completed: 2, the stream's 1` },
      { source: SOURCE, reason: `${SOURCE} reports.workers: 0 entries, the stream's 1` },
    ]);
  });

  it("makes a verdict invalid when a report is wrong, and says nothing when no reporting instance answered", () => {
    const base = { requests: [], stream: [], orders: [], notifications: {}, drained: true };
    expect(check(base)).toMatchObject({ valid: true, reports: { wrong: [], expected: null } });
    expect(check({ ...base, reports: [{ source: SOURCE, reports: buildReports([]) }] })).toMatchObject({ valid: true, reports: { wrong: [] } });
    const verdict = check({ ...base, reports: [{ source: SOURCE, reports: { ...buildReports([]), daily: right.daily } }] });
    expect(verdict.reports.wrong.map((f) => f.reason)).toEqual([`${SOURCE} reports.daily: 1 entries, the stream's 0`]);
    expect(verdict.valid).toBe(false);
    // Not drained: the reports may be behind the stream; the run is invalid for that already.
    expect(check({ ...base, drained: false, reports: [{ source: SOURCE, reports: { ...buildReports([]), daily: right.daily } }] }).reports.wrong).toEqual([]);
  });
});
