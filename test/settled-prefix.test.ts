import type { JsMsg } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { SettledPrefix } from "../src/services/shared/settled-prefix.js";

// Only the stream sequence matters to the bookkeeping.
const msg = (seq: number) => ({ seq }) as JsMsg;

describe("SettledPrefix (what one AckPolicy.All ack may cover)", () => {
  it("acks the highest settled message when nothing is handed back, and then has nothing left", () => {
    const p = new SettledPrefix();
    for (const seq of [3, 1, 2]) p.settle(msg(seq));
    expect(p.takeAck()?.seq).toBe(3);
    expect(p.takeAck()).toBeNull();
  });

  it("never covers a handed-back message: the ack stops below it until it is settled", () => {
    const p = new SettledPrefix();
    p.settle(msg(1));
    p.settle(msg(2));
    p.handBack(3);
    p.settle(msg(4));
    p.settle(msg(5));
    expect(p.takeAck()?.seq).toBe(2);
    expect(p.takeAck()).toBeNull(); // 4 and 5 wait for 3
    p.settle(msg(3)); // the retry succeeded
    expect(p.takeAck()?.seq).toBe(5);
  });

  it("knows since when the oldest handed-back message waits, and forgets everything on clear", () => {
    const p = new SettledPrefix();
    expect(p.oldestHandBack()).toBeNull();
    const before = Date.now();
    p.handBack(7);
    p.handBack(9);
    expect(p.oldestHandBack()).toBeGreaterThanOrEqual(before);
    p.settle(msg(8));
    expect(p.takeAck()).toBeNull();
    p.clear();
    expect(p.oldestHandBack()).toBeNull();
    expect(p.takeAck()).toBeNull();
  });
});
