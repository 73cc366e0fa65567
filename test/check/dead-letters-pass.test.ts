import { describe, expect, it } from "vitest";
import { checkDeadLetters, receives } from "../../src/sim/check/passes/dead-letters.js";
import type { ConsumerRecord, DeadLetterRecord, InjectedPoison } from "../../src/sim/check/checker-types.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const POISON = "pizzeria.order.placed.main.takeout.poison";
// The system's consumers as the broker holds them: who is delivered a placed event of origin "poison".
const CONSUMERS: ConsumerRecord[] = [
  { name: "payment", filter: "pizzeria.order.placed.>" },
  { name: "restaurant", filter: "pizzeria.order.paid.>" },
  { name: "kitchen_main_takeout", filter: "pizzeria.order.accepted.main.takeout.*" },
  { name: "order_order-1", filter: "pizzeria.order.>", origin: "order-1" },
  { name: "tracking_tracking-1", filter: "pizzeria.order.>" },
  { name: "notification_notification-1", filter: "pizzeria.order.>" },
];
const SHOULD_SEE = ["payment", "tracking_tracking-1", "notification_notification-1"];

// seq 1..6: an order; seq 7: the injected poison.
const stream = streamOf([...pathOf("A", COMPLETED_PATH), null]);
const injected: InjectedPoison[] = [{ id: "poison-1-0", seq: 7, subject: POISON }];
const letter = (consumer: string, streamSeq: number, extra: Partial<DeadLetterRecord> = {}): DeadLetterRecord => ({ consumer, subject: POISON, streamSeq, reason: "poison: body is not JSON", ...extra });

describe("dead-letters pass", () => {
  it("knows which consumers are delivered a subject: by filter, and by origin for an order instance", () => {
    expect(CONSUMERS.filter((c) => receives(c, POISON)).map((c) => c.name)).toEqual(SHOULD_SEE);
    expect(receives(CONSUMERS[3], "pizzeria.order.placed.main.takeout.order-1")).toBe(true);
  });

  it("has nothing to say when each injected poison was dead-lettered once by each consumer that is delivered it", () => {
    const pass = checkDeadLetters({ injected, consumers: CONSUMERS, letters: SHOULD_SEE.map((c) => letter(c, 7)) }, stream);
    expect(pass).toEqual({ deadLettered: [], poisonUnhandled: [] });
  });

  it("has nothing to say about a run without dead letters or poison", () => {
    expect(checkDeadLetters(undefined, streamOf(pathOf("A", COMPLETED_PATH)))).toEqual({ deadLettered: [], poisonUnhandled: [] });
  });

  it("finds dead letters of real events the run did not inject (a worker's event republished under a new id)", () => {
    const cooking = { consumer: "order_order-1", subject: "pizzeria.order.cooking.main.takeout.order-1", streamSeq: 3, reason: "failed 20 times: duplicate event", orderNumber: "A" };
    const pass = checkDeadLetters({ injected: [], consumers: CONSUMERS, letters: [cooking] }, streamOf(pathOf("A", COMPLETED_PATH)));
    expect(pass.poisonUnhandled).toEqual([]);
    expect(pass.deadLettered).toEqual([
      { orderNumber: "A", consumer: "order_order-1", streamSeq: 3, reason: "order_order-1 dead-lettered ORDERS seq 3 (pizzeria.order.cooking.main.takeout.order-1): failed 20 times: duplicate event" },
    ]);
  });

  it("finds poison on the stream that nobody injected", () => {
    const pass = checkDeadLetters({ injected: [], consumers: CONSUMERS, letters: [] }, stream);
    expect(pass.poisonUnhandled).toEqual([{ streamSeq: 7, reason: "a malformed message at ORDERS seq 7 (pizzeria.order.placed.main.takeout.order-1) that the run did not inject" }]);
    // Without any input at all (a hand-made run), poison is unexplained too.
    expect(checkDeadLetters(undefined, stream).poisonUnhandled).toHaveLength(1);
  });

  it("finds injected poison a consumer never dead-lettered, or dead-lettered twice", () => {
    const pass = checkDeadLetters({ injected, consumers: CONSUMERS, letters: [letter("payment", 7), letter("payment", 7), letter("tracking_tracking-1", 7)] }, stream);
    expect(pass.poisonUnhandled.map((f) => f.reason)).toEqual([
      "payment dead-lettered injected poison poison-1-0 (ORDERS seq 7) 2 times",
      "notification_notification-1 never dead-lettered injected poison poison-1-0 (ORDERS seq 7)",
    ]);
    expect(pass.deadLettered).toEqual([]);
  });

  it("finds injected poison dead-lettered by a consumer that is never delivered it", () => {
    const pass = checkDeadLetters({ injected, consumers: CONSUMERS, letters: [...SHOULD_SEE.map((c) => letter(c, 7)), letter("order_order-1", 7)] }, stream);
    expect(pass.poisonUnhandled).toEqual([]);
    expect(pass.deadLettered.map((f) => f.reason)).toEqual(["order_order-1 dead-lettered injected poison poison-1-0 (ORDERS seq 7), which it is never delivered"]);
  });
});
