import { AckPolicy, jetstream, type JsMsg } from "@nats-io/jetstream";
import { afterEach, describe, expect, it } from "vitest";
import { STREAMS, subjects } from "../src/services/shared/contracts.js";
import { runConsumer, type ConsumerRunner } from "../src/services/shared/consumer.js";
import { decodeJson } from "../src/services/shared/dead-letter.js";
import { openDatabase, type Db } from "../src/services/shared/db.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { consumerConfig, ensureConsumer, resolveTopology } from "../src/services/shared/nats.js";
import { useTestNats } from "./helpers/nats.js";
import { deadLetters } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

// The ordered durables (order status, tracking, notification) use AckPolicy.All: one ack settles
// every message up to it. These tests pin down what must not change with it: a failing message is
// still retried or dead-lettered, nothing is acked unhandled, and an older durable still works.
describe("ordered durables with AckPolicy.All", () => {
  const topology = resolveTopology({ ackWaitMs: 1_000, maxDeliver: 4 });
  const t = useTestNats({ topology });
  const runners: ConsumerRunner[] = [];
  let n = 0;

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });

  /** A durable of its own (an origin of its own, so each test sees only its messages), and a database. */
  async function fixture(ordered = true) {
    const origin = `acktest-${++n}`;
    const durable = `acktest_${n}`;
    const filter = subjects.ownedBy(origin);
    const info = await ensureConsumer(t.jsm, { durable, filter, ordered }, topology);
    const db: Db = openDatabase(":memory:", "CREATE TABLE applied (seq INTEGER PRIMARY KEY AUTOINCREMENT, k INTEGER NOT NULL UNIQUE)");
    const js = jetstream(t.nc);
    const publish = async (from: number, to: number) => {
      for (let k = from; k <= to; k++) await js.publish(subjects.orderEvent("paid", "main", "takeout", origin), JSON.stringify({ k }), { msgID: `${origin}-${k}` });
    };
    const state = async () => {
      const ci = await t.jsm.consumers.info(STREAMS.orders, durable);
      return { ackPending: ci.num_ack_pending, ackFloor: ci.ack_floor.stream_seq, pending: ci.num_pending };
    };
    return { origin, durable, info, db, js, publish, state };
  }

  function start(durable: string, db: Db, handle: (value: { k: number }, msg: JsMsg) => void, backoffMs = () => 200): ConsumerRunner {
    const r = runConsumer<{ k: number }>({
      js: jetstream(t.nc),
      durable,
      log: silentLogger(),
      maxDeliver: topology.maxDeliver,
      decode: (m) => decodeJson(m) as { k: number },
      handle,
      backoffMs,
      batch: { db, nc: t.nc },
    });
    runners.push(r);
    return r;
  }

  it("creates the ordered durables with AckPolicy.All and the shared ones with Explicit", () => {
    expect(consumerConfig({ durable: "x", filter: "y", ordered: true }, topology).ack_policy).toBe(AckPolicy.All);
    expect(consumerConfig({ durable: "x", filter: "y" }, topology).ack_policy).toBe(AckPolicy.Explicit);
  });

  it("creates a durable that wants every order event without a filter (JetStream 2.9 scans for a filtered one's pending count)", () => {
    expect(consumerConfig({ durable: "x", filter: subjects.allOrderEvents, ordered: true }, topology).filter_subject).toBeUndefined();
    expect(consumerConfig({ durable: "x", filter: subjects.placed }, topology).filter_subject).toBe(subjects.placed);
  });

  it("acks a batch with one ack: the last message of what it handled", async () => {
    const f = await fixture();
    expect(f.info.config.ack_policy).toBe(AckPolicy.All);
    await f.publish(1, 200);
    const insert = f.db.prepare("INSERT OR IGNORE INTO applied (k) VALUES (?)");
    const runner = start(f.durable, f.db, (v) => void insert.run(v.k));
    await waitFor(async () => ((await f.state()).ackPending === 0 && runner.handled === 200 ? true : null), "all 200 handled and acked");
    expect(runner.ackPolicy).toBe("all");
    // Fewer acks than messages: one per settled prefix (the 200 arrive in a few pulls).
    expect(runner.acks).toBeLessThan(runner.handled);
    expect(f.db.prepare("SELECT COUNT(*) AS n FROM applied").get()).toEqual({ n: 200 });
  });

  it("retries a message that fails in the middle of a batch, and holds back the acks of what follows it", async () => {
    const f = await fixture();
    await f.publish(1, 10);
    const insert = f.db.prepare("INSERT OR IGNORE INTO applied (k) VALUES (?)");
    const attempts = new Map<number, number>();
    const seqOf = new Map<number, number>();
    // 5 fails on its first delivery; the retry comes 1.5 s later (longer than the test looks for the held state).
    const runner = start(f.durable, f.db, (v, msg) => {
      attempts.set(v.k, (attempts.get(v.k) ?? 0) + 1);
      seqOf.set(v.k, msg.seq);
      if (v.k === 5 && attempts.get(5) === 1) throw new Error("transient failure");
      insert.run(v.k);
    }, () => 1_500);
    // First pass: everything but 5 handled; only the prefix before 5 is acked.
    const held = await waitFor(async () => {
      const s = await f.state();
      return attempts.get(10) && s.ackFloor === seqOf.get(4) ? s : null;
    }, "1-4 acked, 5 failed, 6-10 handled");
    expect(held.ackPending).toBe(6); // 5 (to be retried) and 6-10 (handled, not acked: an ack would settle 5)
    // The retry succeeds: one ack settles 5-10.
    await waitFor(async () => ((await f.state()).ackPending === 0 ? true : null), "the retry of 5, then everything acked");
    expect((await f.state()).ackFloor).toBe(seqOf.get(10));
    expect(attempts.get(5)).toBe(2);
    expect(f.db.prepare("SELECT k FROM applied ORDER BY k").all().map((r) => (r as { k: number }).k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(runner.deadLettered).toBe(0);
  });

  it("dead-letters a message that keeps failing and an undecodable one, and goes on acking after them", async () => {
    const f = await fixture();
    await f.publish(1, 3);
    await f.js.publish(subjects.orderEvent("paid", "main", "takeout", f.origin), "{not json", { msgID: `${f.origin}-poison` });
    await f.publish(4, 8);
    const insert = f.db.prepare("INSERT OR IGNORE INTO applied (k) VALUES (?)");
    const runner = start(f.durable, f.db, (v) => {
      if (v.k === 6) throw new Error("always fails");
      insert.run(v.k);
    }, () => 100);
    await waitFor(async () => ((await f.state()).ackPending === 0 && runner.deadLettered === 2 ? true : null), "two dead letters, everything settled", 30_000);
    const letters = (await deadLetters(t.broker.url)).filter((l) => l.consumer === f.durable);
    expect(letters.map((l) => l.reason).sort()).toEqual([expect.stringMatching(/^failed 4 times: always fails/), expect.stringMatching(/^poison: body is not JSON/)]);
    expect(f.db.prepare("SELECT k FROM applied ORDER BY k").all().map((r) => (r as { k: number }).k)).toEqual([1, 2, 3, 4, 5, 7, 8]);
  });

  it("does not settle a delivery that never reached it: it restarts and takes the message again, in order", async () => {
    const f = await fixture();
    // Another client takes a delivery of this durable and drops it: a delivery lost on the way.
    const thief = await jetstream(t.nc).consumers.get(STREAMS.orders, f.durable);
    const stolen = thief.next({ expires: 10_000 });
    const waitingPulls = async (n: number) => ((await t.jsm.consumers.info(STREAMS.orders, f.durable)).num_waiting >= n ? true : null);
    await waitFor(() => waitingPulls(1), "the other client's pull request to be waiting");
    const order: number[] = [];
    const insert = f.db.prepare("INSERT OR IGNORE INTO applied (k) VALUES (?)");
    start(f.durable, f.db, (v) => {
      if (insert.run(v.k).changes === 1) order.push(v.k);
    });
    await waitFor(() => waitingPulls(2), "the runner's pull request to be waiting behind it");
    await f.publish(1, 10);
    expect((await stolen)?.seq).toBeGreaterThan(0); // taken and never acked
    await waitFor(async () => ((await f.state()).ackPending === 0 && order.length === 10 ? true : null), "all 10 handled and acked", 30_000);
    // Nothing was acked unhandled, and the lost one was not overtaken by later ones.
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("keeps an existing durable created with AckPolicy.Explicit, and acks it message by message", async () => {
    const origin = `acktest-${++n}`;
    const durable = `acktest_${n}`;
    // An older version of the service created it.
    await t.jsm.consumers.add(STREAMS.orders, consumerConfig({ durable, filter: subjects.ownedBy(origin) }, topology));
    const info = await ensureConsumer(t.jsm, { durable, filter: subjects.ownedBy(origin), ordered: true }, topology, silentLogger());
    expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
    const js = jetstream(t.nc);
    for (let k = 1; k <= 20; k++) await js.publish(subjects.orderEvent("paid", "main", "takeout", origin), JSON.stringify({ k }), { msgID: `${origin}-${k}` });
    const db = openDatabase(":memory:", "CREATE TABLE applied (k INTEGER PRIMARY KEY)");
    const insert = db.prepare("INSERT OR IGNORE INTO applied (k) VALUES (?)");
    let failedOnce = false;
    const runner = start(durable, db, (v) => {
      if (v.k === 7 && !failedOnce) {
        failedOnce = true;
        throw new Error("transient failure");
      }
      insert.run(v.k);
    });
    await waitFor(async () => {
      const ci = await t.jsm.consumers.info(STREAMS.orders, durable);
      return ci.num_ack_pending === 0 && ci.num_pending === 0 && runner.handled === 20 ? true : null;
    }, "all 20 handled and acked");
    expect(runner.ackPolicy).toBe("explicit");
    expect(runner.acks).toBeGreaterThanOrEqual(21); // an ack per message, and the nak of 7's first attempt
    expect(db.prepare("SELECT COUNT(*) AS n FROM applied").get()).toEqual({ n: 20 });
  });
});
