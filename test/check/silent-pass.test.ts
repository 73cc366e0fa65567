import { describe, expect, it } from "vitest";
import { checkSilent } from "../../src/sim/check/passes/silent.js";

describe("silent-instances pass", () => {
  it("has nothing to say when every instance answered", () => {
    expect(checkSilent([])).toEqual({ subscribersSilent: [], orderInstancesSilent: [] });
    expect(checkSilent(undefined)).toEqual({ subscribersSilent: [], orderInstancesSilent: [] });
  });

  it("names each subscriber and each order instance that did not answer, with what went wrong", () => {
    const pass = checkSilent([
      { service: "notification", instance: "notification-2", error: "TIMEOUT" },
      { service: "order", instance: "order-1", error: "no responders" },
    ]);
    expect(pass.subscribersSilent).toEqual([{ subscriber: "notification-2", instance: "notification-2", reason: "subscriber notification-2 did not say what it announced: TIMEOUT" }]);
    expect(pass.orderInstancesSilent).toEqual([{ instance: "order-1", reason: "order instance order-1 did not say what it holds: no responders" }]);
  });
});
