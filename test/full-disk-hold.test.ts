import { jetstream, type JsMsg } from "@nats-io/jetstream";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { runConsumer, type ConsumerRunner } from "../src/services/shared/consumer.js";
import { decodeJson } from "../src/services/shared/dead-letter.js";
import { diskGuard, immediate, openDatabase, type Db } from "../src/services/shared/db.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { forwardMaxDeliveries } from "../src/services/shared/max-deliveries.js";
import { ensureConsumer, resolveTopology } from "../src/services/shared/nats.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";
import { deadLetters } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

const PAGE = 4096;
const pageCount = (db: Db) => Number(db.pragma("page_count", { simple: true }));

/**
 * A real full disk, as a file system has it, not as disk_full holds it: the database may not grow
 * (max_page_count set behind the guard's back), yet has a few free pages, so the guard's probe
 * (one row, a page's worth) goes through while the consumers' writes (five pages each) do not.
 * A consumer that resumed on the probe and handed its message back at each refusal spent a
 * delivery every time: with max_deliver 3 and a 50 ms backoff, a dead letter within a second or two.
 */
function fillDisk(db: Db): () => void {
  const free = db.prepare("INSERT INTO filler (pad) VALUES (zeroblob(?))").run(4 * PAGE).lastInsertRowid;
  db.prepare("DELETE FROM filler WHERE id = ?").run(free);
  const before = Number(db.pragma("max_page_count", { simple: true }));
  db.pragma(`max_page_count = ${pageCount(db)}`);
  return () => void db.pragma(`max_page_count = ${before}`);
}

describe("a consumer whose disk stays full spends no deliveries on it", () => {
  const topology = resolveTopology({ ackWaitMs: 1_000, maxDeliver: 3 });
  const t = useTestNats({ topology });
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  let n = 0;

  for (const batch of [false, true]) {
    it(`${batch ? "the ordered batch runner" : "the per-message runner"}: its messages are held in progress for a full disk many times the retry budget, none dead-lettered, each stored once (in order) when space comes back`, async () => {
      const origin = `fullhold-${++n}`;
      const durable = `fullhold_${n}`;
      await ensureConsumer(t.jsm, { durable, filter: subjects.ownedBy(origin), ordered: batch }, topology);
      const dir = scratchDir("full-disk-hold");
      const db = openDatabase(join(dir, "consumer.db"), "CREATE TABLE IF NOT EXISTS applied (seq INTEGER PRIMARY KEY AUTOINCREMENT, k INTEGER NOT NULL UNIQUE, pad BLOB); CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, pad BLOB);");
      const js = jetstream(t.nc);
      const forwarder = forwardMaxDeliveries(t.nc, js, durable, silentLogger());
      const apply = db.prepare("INSERT OR IGNORE INTO applied (k, pad) VALUES (?, zeroblob(?))");
      const deliveries = new Map<number, number>();
      let refused = 0;
      const handle = (v: { k: number }, msg: JsMsg) => {
        deliveries.set(v.k, Math.max(deliveries.get(v.k) ?? 0, msg.info.deliveryCount));
        try {
          // Each write needs five new pages: more than the full disk has free, less than a disk that has room.
          if (batch) apply.run(v.k, 5 * PAGE);
          else immediate(db, () => apply.run(v.k, 5 * PAGE));
        } catch (err) {
          refused++;
          throw err;
        }
      };
      const runner: ConsumerRunner = runConsumer<{ k: number }>({
        js, durable, log: silentLogger(), maxDeliver: topology.maxDeliver, backoffMs: () => 50,
        decode: (m) => decodeJson(m) as { k: number }, handle, batch: batch ? { db, nc: t.nc } : undefined,
      });
      cleanups.push(async () => {
        await runner.stop();
        forwarder.stop();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const publish = async (from: number, to: number) => {
        for (let k = from; k <= to; k++) await js.publish(subjects.orderEvent("paid", "main", "takeout", origin), JSON.stringify({ k }), { msgID: `${origin}-${k}` });
      };
      await publish(1, 3);
      await waitFor(() => (runner.handled === 3 ? true : null), "the first three stored");

      const giveSpaceBack = fillDisk(db);
      await publish(4, 12);
      // Refused, over and over, for longer than three deliveries with a 50 ms backoff take (and several ack_waits).
      const fullUntil = Date.now() + 3_500;
      await waitFor(() => (refused >= 3 && Date.now() >= fullUntil ? true : null), "the full disk to refuse writes for 3.5 s", 15_000);
      expect(diskGuard(db).full).toBe(true);
      expect(runner.handled).toBe(3);
      giveSpaceBack();

      await waitFor(() => (runner.handled === 12 ? true : null), "all twelve stored once space came back", 15_000);
      const rows = db.prepare("SELECT k FROM applied ORDER BY seq").all() as Array<{ k: number }>;
      const ks = rows.map((r) => r.k);
      expect(new Set(ks).size).toBe(12);
      if (batch) expect(ks).toEqual([...Array(12).keys()].map((i) => i + 1)); // an ordered durable stays in order
      // A refused write does not hand its message back: the batch runner delivered each once (what
      // its open pull brought meanwhile was kept in progress too); the per-message runner at most
      // twice (what its subscription had beyond the messages it took comes back once, after the disk).
      const most = Math.max(...deliveries.values());
      if (batch) expect(most, JSON.stringify([...deliveries])).toBe(1);
      else expect(most, JSON.stringify([...deliveries])).toBeLessThanOrEqual(2);
      expect(runner.deadLettered).toBe(0);
      // Handled means committed; its ack travels to the broker after that, so wait for every ack to arrive.
      await waitFor(async () => ((await t.jsm.consumers.info("ORDERS", durable)).num_ack_pending === 0 ? true : null), "every stored message acked", 10_000);
      expect((await deadLetters(t.broker.url)).filter((l) => l.consumer === durable)).toEqual([]);
    }, 40_000);
  }
});
