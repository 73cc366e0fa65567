import { describe, expect, it } from "vitest";
import { checkRecords } from "../../src/sim/check/passes/records.js";
import { replayStream } from "../../src/sim/check/passes/stream-replay.js";
import type { OrderRecord } from "../../src/sim/check/checker-types.js";
import type { OrderStatus } from "../../src/services/shared/contracts.js";
import { COMPLETED_PATH, pathOf, streamOf } from "./stream.js";

const record = (number: string, status: OrderStatus, instance = "order-1", request_id = `req-${number}`): OrderRecord => ({ instance, number, request_id, status });

// The records pass reads what the stream replay made of the stream: the real replay of a small
// hand-made stream is that input.
const replayed = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", ["placed", "paid"])])).orders;

describe("records pass", () => {
  it("has nothing to say when each order has one record where the stream left it", () => {
    const pass = checkRecords([record("A", "completed"), record("B", "paid")], replayed);
    expect(pass.duplicated).toEqual([]);
    expect(pass.invalid).toEqual([]);
    expect([...pass.byNumber.keys()]).toEqual(["A", "B"]);
  });

  it("finds one order number held by two records", () => {
    const pass = checkRecords([record("A", "completed", "order-1"), record("B", "paid"), record("A", "completed", "order-2", "req-other")], replayed);
    expect(pass.duplicated).toEqual([
      {
        orderNumber: "A",
        reason: "2 order records: order-1 (request req-A, completed), order-2 (request req-other, completed)",
        history: ["received", "paid", "accepted", "cooking", "ready", "completed"],
      },
    ]);
    expect(pass.byNumber.get("A")!.map((r) => r.instance)).toEqual(["order-1", "order-2"]);
  });

  it("finds a record that disagrees with where the stream left the order", () => {
    const pass = checkRecords([record("A", "ready"), record("B", "paid")], replayed);
    expect(pass.invalid).toEqual([
      { orderNumber: "A", requestId: "req-A", reason: "the record at order-1 says ready but the stream ends at completed", history: ["received", "paid", "accepted", "cooking", "ready", "completed"] },
    ]);
  });

  it("while the system is catching up, lets a record lag the stream on the same path but not one on another path", () => {
    // B's record at cancelled may be ahead of a stream at paid (rejected, refunded, cancelled), never of one at accepted.
    expect(checkRecords([record("A", "ready"), record("B", "cancelled")], replayed, { catchingUp: true }).invalid).toEqual([]);
    const accepted = replayStream(streamOf([...pathOf("A", COMPLETED_PATH), ...pathOf("B", ["placed", "paid", "accepted"])])).orders;
    const pass = checkRecords([record("A", "ready"), record("B", "cancelled")], accepted, { catchingUp: true });
    expect(pass.invalid.map((f) => f.reason)).toEqual(["the record at order-1 says cancelled but the stream ends at accepted"]);
  });

  it("leaves a record of an order the stream never carried to the attribution and lost passes", () => {
    const pass = checkRecords([record("Z", "received")], replayed);
    expect(pass).toEqual({ byNumber: new Map([["Z", [record("Z", "received")]]]), duplicated: [], invalid: [] });
  });
});
