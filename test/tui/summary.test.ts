import { describe, expect, test } from "vitest";
import type { RunReport } from "../../src/sim/telemetry/run-events.js";
import { formatSummary, formatThresholdValue, recoveryLine } from "../../src/tui/summary.js";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import { latency, REPORT } from "./fixtures.js";
import { ANSI } from "./frame.js";

function line(text: string, start: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(start));
}

describe("formatSummary", () => {
  test("has the verdict, totals, throughput, latency, workers, faults and every threshold", () => {
    const text = formatSummary(REPORT);
    expect(line(text, "verdict")).toBe("verdict     VALID  lost 0, duplicated 0, invalid 0, unexpected 0");
    expect(line(text, "orders")).toBe("orders      planned 110  sent 70  accepted 69  rejected 1  errors 0  late 0");
    const up = formatSummary({ ...REPORT, orders: { ...REPORT.orders, planned: 0, sent: 0, accepted: 0, rejected: 0, placedElsewhere: 3 } });
    expect(line(up, "orders")).toBe("orders      planned 0  sent 0  accepted 0  rejected 0  errors 0  late 0  placed elsewhere 3");
    expect(line(text, "throughput")).toBe("throughput  accepted 3.5/s  completed 3.4/s");
    // accept counts every answer (the 69 accepted and the 1 rejected); accept 201 the 201s alone.
    expect(line(text, "  accept ")).toMatch(/^  accept\s+70\s+4ms\s+30ms\s+320ms\s+410ms/);
    expect(line(text, "  accept 201")).toMatch(/accept 201\s+69\s+4ms\s+30ms\s+320ms\s+410ms/);
    expect(line(text, "  to failure")).toBeUndefined();
    expect(line(text, "  end-to-end")).toMatch(/end-to-end\s+68\s+1\.10s\s+1\.90s\s+2\.30s\s+2\.80s/);
    expect(text).toMatch(/chef_mario\s+all\s+40\s+12\.0s\s+49%\s+idle/);
    expect(text).toMatch(/10\.0s\s+kill kitchen\/chef_mario\s+scenario 4\.00s, 3 in flight/);
    expect(line(text, "thresholds")).toBe("thresholds  5 passed, 1 missed");
    expect(text).toMatch(/✗ MISS\s+acceptP99Ms\s+320ms\s+\(≤ 250ms\)/);
    expect(text).toMatch(/✓ pass\s+endToEndP95Ms\s+1\.90s\s+\(≤ 3\.00s\)/);
    expect(text).toMatch(/✓ pass\s+errorRate\s+0%\s+\(≤ 1\.0%\)/);
    expect(text).toContain("FAILED (exit 1)");
    for (const l of text.split("\n")) expect([...l].length).toBeLessThanOrEqual(90);
  });

  test("says what the checkouts pass compared and found, when the run had a customer service", () => {
    expect(formatSummary(REPORT)).not.toMatch(/checkouts \d+:/);
    const v = { ...REPORT.verdict, valid: false, checkoutsMispriced: 2, collected: { ...REPORT.verdict.collected, checkouts: 12 } };
    const text = formatSummary({ ...REPORT, verdict: v });
    expect(text).toContain("            checkouts 12: unmatched 0, mispriced 2; customer views wrong 0");
    expect(line(text, "verdict")).toMatch(/checkouts mispriced 2/);
  });

  test("a run with a mutant on says so under its header; one without has no such line", () => {
    const text = formatSummary({ ...REPORT, mutant: "payment-double-charge" });
    expect(line(text, "mutant")).toBe("mutant      payment-double-charge (a deliberate bug, PIZZERIA_MUTANT: test-only)");
    expect(line(formatSummary(REPORT), "mutant")).toBeUndefined();
  });

  test("an invalid run names what was wrong and lists findings", () => {
    const bad: RunReport = {
      ...REPORT,
      verdict: {
        ...REPORT.verdict,
        valid: false,
        lost: 2,
        duplicated: 1,
        notificationsMissing: 3,
        drained: false,
        findings: {
          lost: [
            { orderNumber: "ORD_20261123_011", reason: "accepted, never completed" },
            { orderNumber: "ORD_20261123_012", reason: "accepted, never completed" },
          ],
          duplicated: [{ requestId: "req-7", reason: "two orders for one request" }],
        },
      },
      thresholds: [{ name: "lost", limit: 0, actual: 2, passed: false }],
      passed: false,
      exitCode: 1,
    };
    const text = formatSummary(bad);
    expect(line(text, "verdict")).toBe(
      "verdict     INVALID  lost 2, duplicated 1, invalid 0, unexpected 0; notifications missing 3, not drained",
    );
    expect(text).toMatch(/lost\s+ORD_20261123_011: accepted, never completed/);
    expect(text).toMatch(/duplicated\s+req-7: two orders for one request/);
    expect(text).toMatch(/✗ MISS\s+lost\s+2\s+\(≤ 0\)/);
    expect(line(text, "thresholds")).toBe("thresholds  0 passed, 1 missed");
  });

  test("names issue 13's findings on the verdict line and lists up to ten example order numbers each", () => {
    const unfinished = Array.from({ length: 12 }, (_, i) => ({ orderNumber: `ORD_20261123_${String(i + 1).padStart(3, "0")}`, reason: "the stream leaves it at paid (still on its way when the drain timed out)" }));
    const bad: RunReport = {
      ...REPORT,
      verdict: { ...REPORT.verdict, valid: false, unfinished: 5864, deadLettered: 48, serverErrors: 2, drained: false, findings: { unfinished, deadLettered: [{ orderNumber: "ORD_20261123_200", consumer: "order_order-1", reason: "order_order-1 dead-lettered ORDERS seq 9" }] } },
      passed: false,
      exitCode: 1,
    };
    const text = formatSummary(bad);
    expect(line(text, "verdict")).toBe(
      "verdict     INVALID  lost 0, duplicated 0, invalid 0, unexpected 0; unfinished 5864, server errors 2, dead-lettered 48, not drained",
    );
    expect(text).toMatch(/unfinished\s+ORD_20261123_001: the stream leaves it at paid/);
    expect(text).toContain("… 5861 more; e.g.");
    const examples = text.split("\n").filter((l) => /^\s+ORD_20261123_0\d\d,?( |$)/.test(l)).join(" ");
    expect(examples.match(/ORD_\d+_\d+/g)).toEqual(unfinished.slice(0, 10).map((f) => f.orderNumber));
    expect(text).toContain("… 47 more; e.g.");
    // The example lines stay under 90 columns (the verdict line and finding reasons run on, as before).
    for (const l of text.split("\n").filter((x) => /^\s+(… |ORD_)/.test(x))) expect([...l].length).toBeLessThanOrEqual(90);
  });

  test("passing run, no thresholds, no faults", () => {
    const ok: RunReport = { ...REPORT, thresholds: [], faults: [], passed: true, exitCode: 0 };
    const text = formatSummary(ok);
    expect(text).toContain("thresholds  none set");
    expect(text).toContain("faults      none");
    expect(text).toContain("PASSED (exit 0)");
  });

  test("plain by default; ANSI only with color, and never with NO_COLOR", () => {
    const saved = process.env["NO_COLOR"];
    try {
      delete process.env["NO_COLOR"];
      expect(formatSummary(REPORT)).not.toMatch(ANSI);
      expect(formatSummary(REPORT, { color: true })).toMatch(ANSI);
      process.env["NO_COLOR"] = "1";
      expect(formatSummary(REPORT, { color: true })).not.toMatch(ANSI);
    } finally {
      if (saved === undefined) delete process.env["NO_COLOR"];
      else process.env["NO_COLOR"] = saved;
    }
  });

  test("threshold values read in their unit", () => {
    expect(formatThresholdValue("acceptP99Ms", 250)).toBe("250ms");
    expect(formatThresholdValue("endToEndP95Ms", 3_000)).toBe("3.00s");
    expect(formatThresholdValue("errorRate", 0.05)).toBe("5.0%");
    expect(formatThresholdValue("minThroughput", 12)).toBe("12.0/s");
    expect(formatThresholdValue("lost", 0)).toBe("0");
    expect(formatThresholdValue("lost", null)).toBe("–");
  });
});

describe("failed requests beside the verdict", () => {
  const failing: RunReport = {
    ...REPORT,
    orders: { ...REPORT.orders, sent: 500, accepted: 399, rejected: 0, errors: 101 },
    errors: { count: 101, byCause: { ...emptyCauseCounts(), refused: 98, timedOut: 3 }, retryAfter: {} },
    latency: { ...REPORT.latency, failed: latency(900, 2_000, 2_010, 2_020, 101) },
    thresholds: [],
    passed: true,
    exitCode: 0,
  };

  test("a passing run with failed requests does not read as a clean pass", () => {
    const text = formatSummary(failing);
    const lines = text.split("\n");
    const verdictAt = lines.findIndex((l) => l.startsWith("verdict"));
    expect(lines[verdictAt]).toBe("verdict     VALID  lost 0, duplicated 0, invalid 0, unexpected 0");
    expect(lines[verdictAt + 1]).toBe("            but 101 of 500 requests failed (98 refused, 3 timed out)");
    expect(line(text, "errors")).toBe("errors      98 refused, 3 timed out");
    expect(line(text, "  to failure")).toMatch(/to failure\s+101\s+900ms\s+2\.00s\s+2\.01s\s+2\.02s/);
    expect(line(text, "PASSED")).toBe("PASSED (exit 0) — but 101 of 500 requests failed (98 refused, 3 timed out)");
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(90);
  });

  test("a failed run says it too, the 503s with their Retry-After; the causes drop out of lines they would overrun", () => {
    const many: RunReport = {
      ...failing,
      errors: { count: 101, byCause: { ...emptyCauseCounts(), status503: 40, status5xx: 1, status4xx: 1, refused: 50, reset: 4, timedOut: 3, noService: 2 }, retryAfter: { "1": 39, none: 1 } },
      passed: false,
      exitCode: 1,
    };
    const text = formatSummary(many);
    expect(line(text, "            503s")).toBe("            503s: Retry-After 1 s on 39, 1 without Retry-After");
    expect(line(text, "FAILED")).toBe("FAILED (exit 1) — 101 of 500 requests failed");
    expect(line(text, "            but")).toBe("            but 101 of 500 requests failed");
  });

  test("nothing is added when nothing failed", () => {
    const text = formatSummary({ ...REPORT, passed: true, exitCode: 0 });
    expect(text).not.toContain("requests failed");
    expect(line(text, "errors")).toBeUndefined();
    expect(line(text, "PASSED")).toBe("PASSED (exit 0)");
  });
});

describe("recoveryLine", () => {
  test("says how a fault's aftermath went", () => {
    const base = { baselinePerSecond: 6, peakInFlight: 31, touchedOrders: 20, findings: { lost: 0, duplicated: 0, invalid: 0 } };
    expect(recoveryLine({ ...base, throughputRecoveredAfterMs: 9_000, backlogDrainedAfterMs: 13_000 })).toBe(
      "throughput back in 9.00s; backlog drained in 13.0s (peak 31); 20 orders touched, all fine",
    );
    expect(recoveryLine({ ...base, throughputRecoveredAfterMs: null, backlogDrainedAfterMs: null, findings: { lost: 2, duplicated: 0, invalid: 1 } })).toBe(
      "throughput not back; backlog not drained; 20 orders touched, 2 lost, 0 duplicated, 1 invalid",
    );
  });
});
