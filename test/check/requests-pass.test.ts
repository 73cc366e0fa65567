import { describe, expect, it } from "vitest";
import { checkRequests } from "../../src/sim/check/passes/requests.js";
import type { RequestRecord } from "../../src/sim/check/checker-types.js";

const valid = (requestId: string, status: number, orderNumber?: string): RequestRecord => ({ requestId, intendedValid: true, status, ...(orderNumber ? { orderNumber } : {}) });
const invalid = (requestId: string, status: number, orderNumber?: string): RequestRecord => ({ requestId, intendedValid: false, status, ...(orderNumber ? { orderNumber } : {}) });

describe("requests pass", () => {
  it("counts 201s and 4xx answers and groups retries under their request id", () => {
    const first = valid("r1", 0);
    const retry = valid("r1", 201, "ORD_1");
    const pass = checkRequests([first, valid("r2", 201, "ORD_2"), retry, invalid("bad", 422), valid("r3", 503)]);
    expect(pass.accepted).toBe(2);
    expect(pass.rejected).toBe(1);
    expect(pass.invalidRequests).toBe(1);
    expect(pass.not4xx).toEqual([]);
    expect([...pass.byId.keys()]).toEqual(["r1", "r2", "bad", "r3"]);
    expect(pass.byId.get("r1")).toEqual([first, retry]);
  });

  it("finds deliberately invalid requests that were not refused with a 4xx", () => {
    const pass = checkRequests([invalid("a", 201, "ORD_9"), invalid("b", 0), invalid("c", -1), invalid("d", 400), invalid("e", 499), invalid("f", 500)]);
    expect(pass.invalidRequests).toBe(6);
    expect(pass.not4xx).toEqual([
      { requestId: "a", orderNumber: "ORD_9", reason: "deliberately invalid request was answered 201, not a 4xx" },
      { requestId: "b", reason: "deliberately invalid request got no answer, not a 4xx" },
      { requestId: "c", reason: "deliberately invalid request was never sent, not a 4xx" },
      { requestId: "f", reason: "deliberately invalid request was answered 500, not a 4xx" },
    ]);
  });

  it("does not hold a valid request's answer against it", () => {
    expect(checkRequests([valid("r1", 0), valid("r2", 400), valid("r3", -1)]).not4xx).toEqual([]);
  });

  it("finds valid requests answered with a 5xx, apart from those without an answer (issue 13)", () => {
    const pass = checkRequests([valid("r1", 500), valid("r2", 0), valid("r3", 503), valid("r4", 201, "ORD_4"), invalid("bad", 500)]);
    expect(pass.serverErrors).toEqual([
      { requestId: "r1", reason: "valid request was answered 500" },
      { requestId: "r3", reason: "valid request was answered 503" },
    ]);
  });

  it("leaves its input as it was", () => {
    const requests = [valid("r1", 201, "ORD_1"), invalid("bad", 201)];
    const copy = structuredClone(requests);
    checkRequests(requests);
    expect(requests).toEqual(copy);
  });
});
