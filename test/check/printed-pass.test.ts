import { describe, expect, it } from "vitest";
import { checkPrinted, parsePrintedLine, parsePrintedText } from "../../src/sim/check/passes/printed.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import { notificationLine } from "../../src/services/notification/index.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const events = pathOf("A", COMPLETED_PATH);
const replayed = replayStream(streamOf(events)).orders;
/** What a faithful subscriber prints for A: one line per status change. */
const LINES = events.filter((e) => e.from !== null).map(notificationLine);

describe("printed-lines pass", () => {
  it("reads the seed's line", () => {
    expect(parsePrintedLine("Notification for order ORD_20241216_001: Status changed from 'received' to 'cooking' by chef_mario.")).toEqual({
      orderNumber: "ORD_20241216_001",
      from: "received",
      to: "cooking",
      by: "chef_mario",
    });
    expect(parsePrintedText("x\n\n")).toEqual([{ line: "x" }]);
  });

  it("has nothing to say when every change was printed once, as the stream has it", () => {
    const pass = checkPrinted({ "notification-1": parsePrintedText(LINES.join("\n") + "\n") }, replayed);
    expect(pass).toEqual({ missing: [], duplicated: [], wrong: [], lines: 5 });
  });

  it("finds a change that was never printed (recorded in the subscriber's table or not)", () => {
    const pass = checkPrinted({ "notification-1": parsePrintedText(LINES.filter((l) => !l.includes("to 'ready'")).join("\n")) }, replayed);
    expect(pass.missing).toEqual([
      { orderNumber: "A", subscriber: "notification-1", source: "notification-1 (printed)", reason: "notification-1 (printed) never announced ready", history: ["paid", "accepted", "cooking", "completed"] },
    ]);
  });

  it("finds a line printed twice, and a line that misstates the change", () => {
    const twice = checkPrinted({ "notification-1": parsePrintedText([...LINES, LINES[2]].join("\n")) }, replayed);
    expect(twice.duplicated.map((f) => f.reason)).toEqual(["notification-1 (printed) announced cooking 2 times"]);
    const misstated = LINES.map((l) => l.replace("from 'cooking' to 'ready' by test", "from 'paid' to 'ready' by chef_mario"));
    const wrong = checkPrinted({ "notification-1": parsePrintedText(misstated.join("\n")) }, replayed);
    expect(wrong.wrong.map((f) => f.reason)).toEqual(["notification-1 printed the change to ready from 'paid' (the stream: 'cooking') and by chef_mario (the stream: test)"]);
  });

  it("finds a line that is not a notification", () => {
    const pass = checkPrinted({ "notification-2": parsePrintedText([...LINES, "Notification for order A: garbled"].join("\n")) }, replayed);
    expect(pass.wrong).toEqual([{ subscriber: "notification-2", source: "notification-2 (printed)", reason: 'notification-2 printed a line that is not a notification: "Notification for order A: garbled"' }]);
  });
});
