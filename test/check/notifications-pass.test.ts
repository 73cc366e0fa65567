import { describe, expect, it } from "vitest";
import { checkNotifications } from "../../src/sim/check/passes/notifications.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { CANCELLED_PATH, COMPLETED_PATH, eventOf, pathOf, streamOf } from "./stream.js";

// What a subscriber must announce follows from the stream: the real replay of a small hand-made
// stream is the pass's input. A's changes: paid, accepted, cooking, ready, completed; B's: cancelled.
const replayed = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", CANCELLED_PATH)])).orders;
const all: Array<[string, string]> = [["A", "paid"], ["A", "accepted"], ["A", "cooking"], ["A", "ready"], ["B", "cancelled"], ["A", "completed"]];

describe("notifications pass", () => {
  it("has nothing to say when each subscriber announced each change once (placed and payment_failed are no changes)", () => {
    expect(checkNotifications({ "notification-1": all, "notification-2": [...all].reverse() }, replayed)).toEqual({ missing: [], duplicated: [] });
  });

  it("finds a change one subscriber never announced", () => {
    const pass = checkNotifications({ "notification-1": all, "notification-2": all.filter(([n, s]) => !(n === "A" && s === "ready")) }, replayed);
    expect(pass.missing).toEqual([{ orderNumber: "A", subscriber: "notification-2", reason: "notification-2 never announced ready", history: ["paid", "accepted", "cooking", "completed"] }]);
    expect(pass.duplicated).toEqual([]);
  });

  it("finds a change announced twice and one the stream never carried", () => {
    const pass = checkNotifications({ "notification-1": [...all, ["B", "cancelled"], ["B", "paid"]] }, replayed);
    expect(pass.duplicated).toEqual([
      { orderNumber: "B", subscriber: "notification-1", reason: "notification-1 announced cancelled 2 times; announced paid, which is not a status change on the stream", history: ["cancelled", "cancelled", "paid"] },
    ]);
    expect(pass.missing).toEqual([]);
  });

  it("finds announcements for an order the stream never carried", () => {
    const pass = checkNotifications({ "notification-1": [...all, ["Z", "paid"], ["Z", "accepted"], ["Z", "cooking"]] }, replayed);
    expect(pass.duplicated).toEqual([{ orderNumber: "Z", subscriber: "notification-1", reason: "notification-1 announced paid, accepted, cooking for an order the stream never carried", history: ["paid", "accepted", "cooking"] }]);
  });

  it("expects a change the stream carried twice to be announced once", () => {
    const twice = replayStream(streamOf([...pathOf("C", ["placed", "paid", "accepted", "cooking"]), eventOf("C", "cooking")])).orders;
    expect(checkNotifications({ n: [["C", "paid"], ["C", "accepted"], ["C", "cooking"]] }, twice)).toEqual({ missing: [], duplicated: [] });
    expect(checkNotifications({ n: [["C", "paid"], ["C", "accepted"], ["C", "cooking"], ["C", "cooking"]] }, twice).duplicated.map((f) => f.reason)).toEqual(["n announced cooking 2 times"]);
  });
});
