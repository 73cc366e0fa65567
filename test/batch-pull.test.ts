import { createInbox } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../src/services/shared/nats.js";
import { beforeAll, describe, expect, it } from "vitest";
import { BatchPuller, PullRefusedError } from "../src/services/shared/batch-pull.js";
import { startTestBroker, useTestNats } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";
import { atLeast } from "../src/sim/system/nats-binary.js";

// The ordered consumers pull in batches with the pull protocol spoken directly (batch-pull.ts):
// what the consumer has comes in one go, nothing is waited for when there is something, and an
// idle consumer waits on the server, not in a polling loop.
describe("BatchPuller", () => {
  const t = useTestNats({ streams: false });
  const stream = "BATCHPULL";
  let n = 0;

  beforeAll(async () => {
    await t.jsm.streams.add({ name: stream, subjects: ["bp.>"] });
  });

  /** A durable of its own on a subject of its own. */
  async function fixture(options: { max?: number; expiresMs?: number; idleHeartbeatMs?: number; maxWaiting?: number } = {}) {
    const durable = `bp_${++n}`;
    const subject = `bp.${n}`;
    await t.jsm.consumers.add(stream, { durable_name: durable, filter_subject: subject, ack_policy: AckPolicy.All, ...(options.maxWaiting ? { max_waiting: options.maxWaiting } : {}) });
    const js = jetstream(t.nc);
    const publish = async (count: number) => {
      for (let i = 0; i < count; i++) await js.publish(subject, String(i));
    };
    const puller = new BatchPuller({ nc: t.nc, apiPrefix: js.apiPrefix, stream, durable, max: options.max ?? 256, expiresMs: options.expiresMs, idleHeartbeatMs: options.idleHeartbeatMs });
    const waiting = async () => ((await t.jsm.consumers.info(stream, durable)).num_waiting >= 1 ? true : null);
    return { durable, publish, puller, waiting };
  }

  it("hands over what the consumer has in one batch, at most `max` at a time, in stream order", async () => {
    const f = await fixture({ max: 256 });
    await f.publish(300);
    const first = await f.puller.next();
    const second = await f.puller.next();
    f.puller.stop();
    expect(first.map((m) => m.string())).toEqual(Array.from({ length: 256 }, (_, i) => String(i)));
    expect(second.map((m) => m.string())).toEqual(Array.from({ length: 44 }, (_, i) => String(256 + i)));
    // Acking the last of a batch settles the whole batch (AckPolicy.All).
    await second.at(-1)!.ackAck();
    const info = await t.jsm.consumers.info(stream, f.durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.consumer_seq).toBe(300);
  });

  it("waits on the server when there is nothing, and hands the first message over when it comes", async () => {
    // An expiry longer than the test's timeout: a puller that waited for it would fail the test.
    const f = await fixture({ expiresMs: 120_000 });
    const next = f.puller.next();
    await waitFor(f.waiting, "the pull request to be waiting on the server");
    await f.publish(1);
    const batch = await next;
    f.puller.stop();
    expect(batch.map((m) => m.string())).toEqual(["0"]);
    expect(batch[0].info.deliveryCount).toBe(1);
  });

  it("returns an empty batch when the wait expires with nothing", async () => {
    const f = await fixture({ expiresMs: 1_000 });
    expect(await f.puller.next()).toEqual([]);
    await f.publish(2);
    expect((await f.puller.next()).map((m) => m.string())).toEqual(["0", "1"]);
    f.puller.stop();
  });

  it("idle across several expiries, with heartbeats in between, still takes the next message as it comes", async () => {
    const f = await fixture({ expiresMs: 3_000, idleHeartbeatMs: 500 });
    // Two whole waits with nothing: each ends at its expiry (the heartbeats in between do not end it).
    expect(await f.puller.next()).toEqual([]);
    expect(await f.puller.next()).toEqual([]);
    const next = f.puller.next();
    await waitFor(f.waiting, "the pull request to be waiting on the server");
    await f.publish(1);
    expect((await next).map((m) => m.string())).toEqual(["0"]);
    f.puller.stop();
  });

  it("ends a waiting next() and a linger at once when stopped", async () => {
    const f = await fixture({ expiresMs: 120_000 });
    const next = f.puller.next();
    await waitFor(f.waiting, "the pull request to be waiting on the server");
    f.puller.stop();
    expect(await next).toEqual([]);
    const g = await fixture();
    const linger = g.puller.linger(120_000);
    g.puller.stop();
    await linger;
  });

  it("fails with a typed error for a durable that does not exist: 2.9 says nothing (the pull times out), 2.10 and newer answer 503", async () => {
    const js = jetstream(t.nc);
    const puller = new BatchPuller({ nc: t.nc, apiPrefix: js.apiPrefix, stream, durable: "no_such_durable", max: 10 });
    const err = await puller.next().catch((e: unknown) => e);
    puller.stop();
    expect(err).toBeInstanceOf(PullRefusedError);
    if (atLeast(t.broker.version, "2.10.0")) {
      expect((err as PullRefusedError).code).toBe(503);
      expect((err as Error).message).toMatch(/pull from no_such_durable refused: 503/);
    } else {
      expect((err as PullRefusedError).code).toBeNull();
      expect((err as Error).message).toMatch(/no answer to a pull from no_such_durable/);
    }
  });

  it("does not pull again at once when the server turns its wait away (409; 2.10 and newer say nothing to a pull with heartbeats), so its caller's loop cannot spin", async () => {
    const f = await fixture({ maxWaiting: 1, expiresMs: 120_000, idleHeartbeatMs: 1_000 });
    // Someone else's pull takes the one waiting place.
    const inbox = createInbox();
    const other = t.nc.subscribe(inbox);
    t.nc.publish(`${jetstream(t.nc).apiPrefix}.CONSUMER.MSG.NEXT.${stream}.${f.durable}`, JSON.stringify({ batch: 1, expires: 60e9 }), { reply: inbox });
    await waitFor(f.waiting, "the other pull to be waiting");
    const started = Date.now();
    expect(await f.puller.next()).toEqual([]);
    // A lower bound, not a speed: it waited before handing back an empty batch.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    f.puller.stop();
    other.unsubscribe();
  });

  it("fails with a typed error when its durable is deleted while it waits", async () => {
    const f = await fixture({ expiresMs: 120_000 });
    const next = f.puller.next().catch((e: unknown) => e);
    await waitFor(f.waiting, "the pull request to be waiting on the server");
    await t.jsm.consumers.delete(stream, f.durable);
    const err = await next;
    f.puller.stop();
    expect(err).toBeInstanceOf(PullRefusedError);
    expect((err as PullRefusedError).code).toBe(409);
  });
});

// A pull waits on one server: when the connection moves (a broker restart), the wait is gone with
// it, and the puller must pull again on the new connection instead of waiting out its expiry.
describe("BatchPuller across a broker restart", () => {
  it("an idle puller resumes after the broker restarts, and takes what is published then", async () => {
    const broker = await startTestBroker();
    const nc = await connectNats({ servers: broker.url }, "batch-pull-restart");
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "BPRESTART", subjects: ["bpr.>"] });
      await jsm.consumers.add("BPRESTART", { durable_name: "bpr", ack_policy: AckPolicy.All });
      const js = jetstream(nc);
      // The defaults a deployment runs with: long pulls, heartbeats every few seconds.
      const puller = new BatchPuller({ nc, apiPrefix: js.apiPrefix, stream: "BPRESTART", durable: "bpr", max: 16 });
      const waiting = async () => ((await jsm.consumers.info("BPRESTART", "bpr")).num_waiting >= 1 ? true : null);
      const first = puller.next();
      await waitFor(waiting, "the pull request to be waiting on the server");
      await broker.restart();
      expect(await first).toEqual([]); // the wait that went with the old connection
      const taken: string[] = [];
      const pulling = (async () => {
        while (taken.length === 0) {
          for (const m of await puller.next().catch(() => [])) taken.push(m.string());
        }
      })();
      await waitFor(async () => ((await js.publish("bpr.1", "after-restart").catch(() => null)) ? true : null), "a publish to the restarted broker");
      await pulling;
      expect(taken).toEqual(["after-restart"]);
      puller.stop();
    } finally {
      await nc.close();
      await broker.cleanup();
    }
  });
});
