import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { StreamTap } from "../src/sim/telemetry/event-tap.js";
import { useTestNats } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

// The harness follows the ORDERS stream with a hand-made ordered consumer pulled in batches: it
// must see every message once, in order, whatever happens to its consumer, and say when each was stored.
describe("StreamTap", () => {
  const t = useTestNats({ streams: false });
  let n = 0;

  async function fixture() {
    const stream = `TAP${++n}`;
    await t.jsm.streams.add({ name: stream, subjects: [`tap${n}.>`] });
    const js = jetstream(t.nc);
    const publish = async (from: number, to: number) => {
      const acks = [];
      for (let i = from; i <= to; i++) acks.push(js.publish(`tap${n}.x`, String(i)));
      await Promise.all(acks);
    };
    const seen: Array<{ seq: number; data: string; storedAtMs: number }> = [];
    const tap = new StreamTap({ nc: t.nc, stream, lingerMs: 20, onMessage: (m) => seen.push(m) });
    return { stream, publish, seen, tap };
  }

  it("sees every message once, in order, with the time the stream stored it", async () => {
    const f = await fixture();
    const before = Date.now();
    await f.publish(1, 2_500);
    const after = Date.now();
    await waitFor(() => f.seen.length >= 2_500, "2,500 messages seen");
    await f.tap.stop();
    expect(f.seen.map((m) => m.data)).toEqual(Array.from({ length: 2_500 }, (_, i) => String(i + 1)));
    expect(f.seen.map((m) => m.seq)).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 1));
    for (const m of f.seen) {
      // The server's clock in ms (rounded down), this process's clock around the publishes.
      expect(m.storedAtMs).toBeGreaterThanOrEqual(before - 1);
      expect(m.storedAtMs).toBeLessThanOrEqual(after + 1);
    }
  });

  it("goes on from the last message it saw when its consumer disappears", async () => {
    const f = await fixture();
    await f.publish(1, 500);
    await waitFor(() => f.seen.length >= 500, "the first 500 seen");
    const consumers = [];
    for await (const c of await t.jsm.consumers.list(f.stream)) consumers.push(c.name);
    expect(consumers).toHaveLength(1);
    await t.jsm.consumers.delete(f.stream, consumers[0]);
    await f.publish(501, 1_000);
    await waitFor(() => f.seen.length >= 1_000, "all 1,000 seen");
    await f.tap.stop();
    expect(f.seen.map((m) => m.data)).toEqual(Array.from({ length: 1_000 }, (_, i) => String(i + 1)));
    // Its consumer is removed when it stops (the server would also drop it after a minute unused).
    await waitFor(async () => {
      const left = [];
      for await (const c of await t.jsm.consumers.list(f.stream)) left.push(c.name);
      return left.length === 0;
    }, "the tap's consumer removed");
  });
});
