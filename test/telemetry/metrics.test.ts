import { describe, expect, it } from "vitest";
import { describeCauses, describeCausesShort, emptyCauseCounts, errorCauseOf, RUNNER_CODES } from "../../src/sim/load/error-causes.js";
import { Metrics, type OutcomeFigures } from "../../src/sim/telemetry/metrics.js";

describe("errorCauseOf", () => {
  it("names no cause for the answers a request was meant to get", () => {
    expect(errorCauseOf(true, 201)).toBeNull();
    expect(errorCauseOf(false, 400)).toBeNull();
    expect(errorCauseOf(false, 415)).toBeNull();
    // A 201 to an invalid request is the checker's finding (rejectedNot4xx), not a transport error.
    expect(errorCauseOf(false, 201)).toBeNull();
  });

  it("tells answers apart by status, and a 4xx to a valid request from a rejection", () => {
    expect(errorCauseOf(true, 503)).toBe("status503");
    expect(errorCauseOf(false, 503)).toBe("status503");
    expect(errorCauseOf(true, 500)).toBe("status5xx");
    expect(errorCauseOf(true, 502)).toBe("status5xx");
    expect(errorCauseOf(true, 409)).toBe("status4xx");
    expect(errorCauseOf(true, 200)).toBe("otherStatus");
    expect(errorCauseOf(true, 302)).toBe("otherStatus");
  });

  it("tells failures without an answer apart by their code", () => {
    expect(errorCauseOf(true, 0, "ECONNREFUSED")).toBe("refused");
    expect(errorCauseOf(true, 0, "ECONNRESET")).toBe("reset");
    expect(errorCauseOf(true, 0, "EPIPE")).toBe("reset");
    expect(errorCauseOf(true, 0, RUNNER_CODES.timedOut)).toBe("timedOut");
    expect(errorCauseOf(true, 0, RUNNER_CODES.noService)).toBe("noService");
    expect(errorCauseOf(true, 0, "EHOSTUNREACH")).toBe("otherFailure");
    expect(errorCauseOf(true, 0)).toBe("otherFailure");
  });

  it("says the causes that occurred, in the table's order", () => {
    const counts = { ...emptyCauseCounts(), timedOut: 3, refused: 98, status503: 2 };
    expect(describeCauses(counts)).toBe("2 answered 503, 98 refused, 3 timed out");
    expect(describeCausesShort(counts)).toBe("503 2 refused 98 timeout 3");
    expect(describeCauses(emptyCauseCounts())).toBe("");
  });
});

const ok = (latencyMs: number): OutcomeFigures => ({ status: 201, cause: null, latencyMs });

/** Per-second histograms keep 2 significant digits (packed, one pair a second): their figures are within 1%. */
const withinHdr = (value: number) => expect.toSatisfy((v: number) => Math.abs(v - value) <= value * 0.01, `${value} within 1%`);

describe("Metrics.outcome", () => {
  it("records every request's latency from its schedule: any answer in accept, 201s also in accept201, no answer in failed", () => {
    const m = new Metrics();
    m.outcome(100, ok(20));
    m.outcome(200, ok(40));
    m.outcome(300, { status: 400, cause: null, latencyMs: 3 }); // an invalid request, rejected as meant
    m.outcome(1_100, { status: 503, cause: "status503", latencyMs: 2_500, retryAfter: "1" });
    m.outcome(1_200, { status: 503, cause: "status503", latencyMs: 2_400 });
    m.outcome(1_300, { status: 0, cause: "timedOut", latencyMs: 3_000 });
    m.outcome(1_400, { status: 0, cause: "refused", latencyMs: 1 });

    expect(m.requests).toEqual({ sent: 0, accepted: 2, rejected: 1, errors: 4, late: 0, errorCauses: { ...emptyCauseCounts(), status503: 2, timedOut: 1, refused: 1 } });
    expect(m.retryAfter).toEqual({ "1": 1, none: 1 });
    // The 503s' 2.5 s is in the headline, not hidden behind the 201s' 40 ms.
    expect(m.summary("accept")).toMatchObject({ count: 5, max: 2_500 });
    expect(m.summary("accept201")).toMatchObject({ count: 2, max: 40 });
    expect(m.summary("failed")).toMatchObject({ count: 2, max: 3_000 });
  });

  it("counts each second's failures by cause, in the second they were sent", () => {
    const m = new Metrics();
    m.outcome(500, ok(10));
    m.outcome(4_100, { status: 0, cause: "timedOut", latencyMs: 1_000 });
    m.outcome(4_900, { status: 0, cause: "timedOut", latencyMs: 1_200 });
    m.outcome(5_000, { status: 409, cause: "status4xx", latencyMs: 7 });
    const [s0, , , , s4, s5] = m.series();
    expect(s0).toMatchObject({ accepted: 1, errors: 0, errorCauses: emptyCauseCounts(), acceptP99: withinHdr(10), accept201P99: withinHdr(10), failedMax: null });
    expect(s4).toMatchObject({ errors: 2, errorCauses: { ...emptyCauseCounts(), timedOut: 2 }, acceptP99: null, failedMax: withinHdr(1_200) });
    // A 4xx to a valid request is an answer (in accept) and an error, not a rejection.
    expect(s5).toMatchObject({ rejected: 0, errors: 1, errorCauses: { ...emptyCauseCounts(), status4xx: 1 }, acceptP99: withinHdr(7), accept201P99: null });
    // A second's sample is a copy: what comes later does not change one already handed out.
    m.outcome(4_200, { status: 0, cause: "reset", latencyMs: 5 });
    expect(s4.errorCauses.reset).toBe(0);
    expect(m.sample(4).errorCauses.reset).toBe(1);
  });

  it("keeps the rolling window of every latency kind", () => {
    const m = new Metrics(10);
    m.outcome(1_000, ok(30));
    m.outcome(1_500, { status: 503, cause: "status503", latencyMs: 900 });
    m.outcome(1_600, { status: 0, cause: "timedOut", latencyMs: 2_000 });
    const r = m.rolling(2_000);
    expect(r.accept).toMatchObject({ count: 2, max: withinHdr(900) });
    expect(r.accept201).toMatchObject({ count: 1, max: withinHdr(30) });
    expect(r.failed).toMatchObject({ count: 1, max: withinHdr(2_000) });
    expect(r.endToEnd.count).toBe(0);
  });
});
