import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { openDatabase } from "../src/services/shared/db.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { Outbox, OUTBOX_SCHEMA } from "../src/services/shared/outbox.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";
import { readStream } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

describe("outbox relay", () => {
  const t = useTestNats();

  it("halted with a batch on its way and its database closed (a crash), it lets go without touching the database", async () => {
    const file = `${scratchDir("outbox-halt")}/outbox.db`;
    const db = openDatabase(file, OUTBOX_SCHEMA);
    const outbox = new Outbox(db, jetstream(t.nc), silentLogger(), { nc: t.nc, publishTimeoutMs: 200 });
    for (let i = 0; i < 5; i++) outbox.add({ id: `halt-${i}`, subject: subjects.orderEvent("placed", "main", "takeout", "halt-test"), payload: { i } });
    outbox.start(); // the first batch is sent at once
    const letGo = outbox.halt();
    db.close();
    // The publish outcomes come back (failed: the publisher was closed) after the database is gone.
    await expect(letGo).resolves.toBeUndefined();
    // What was not deleted is still there for the next start: nothing lost.
    const reopened = openDatabase(file, OUTBOX_SCHEMA);
    expect((reopened.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n).toBe(5);
    reopened.close();
  });

  it("deletes published rows in bulk once idle, and goes on publishing what is added after the table emptied", async () => {
    const file = `${scratchDir("outbox-bulk")}/outbox.db`;
    const db = openDatabase(file, OUTBOX_SCHEMA);
    const outbox = new Outbox(db, jetstream(t.nc), silentLogger(), { nc: t.nc });
    const rows = () => (db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
    const subject = subjects.orderEvent("placed", "main", "dine_in", "bulk-test");
    const stored = async () => (await readStream(t.broker.url)).filter((m) => m.subject === subject).length;
    for (let i = 0; i < 3; i++) outbox.add({ id: `bulk-${i}`, subject, payload: { i } });
    outbox.start();
    await waitFor(async () => (await stored()) === 3, "the first rows in the stream");
    await waitFor(() => rows() === 0, "the published rows deleted");
    // The table is empty: new rows must not be taken for published ones.
    for (let i = 3; i < 5; i++) outbox.add({ id: `bulk-${i}`, subject, payload: { i } });
    outbox.wake();
    await waitFor(async () => (await stored()) === 5, "the later rows in the stream");
    await Promise.all([outbox.published("bulk-3"), outbox.published("bulk-4")]);
    expect(outbox.pending()).toBe(0);
    await outbox.stop();
    expect(rows()).toBe(0);
    expect((await readStream(t.broker.url)).filter((m) => m.subject === subject).map((m) => JSON.parse(m.data).i)).toEqual([0, 1, 2, 3, 4]);
    db.close();
  });

  it("idle, it waits for the committing writer's wake() with no timer armed, and publishes at once when woken", async () => {
    const file = `${scratchDir("outbox-wake")}/outbox.db`;
    const db = openDatabase(file, OUTBOX_SCHEMA);
    const outbox = new Outbox(db, jetstream(t.nc), silentLogger(), { nc: t.nc });
    const subject = subjects.orderEvent("placed", "main", "takeout", "wake-test");
    outbox.start();
    // Nothing to publish: the relay parks on wake() alone (no poll of the table).
    await waitFor(() => outbox.waitingForWake, "the relay idle, waiting for a wake-up");
    // The wake-up path, as a writer uses it: the row in a transaction, wake() after the commit.
    db.transaction(() => outbox.add({ id: "wake-1", subject, payload: { n: 1 } }))();
    expect(outbox.waitingForWake).toBe(true); // a commit alone does not publish: the writer's wake() does
    outbox.wake();
    expect(outbox.waitingForWake).toBe(false);
    await outbox.published("wake-1");
    expect((await readStream(t.broker.url)).filter((m) => m.subject === subject).map((m) => JSON.parse(m.data).n)).toEqual([1]);
    await waitFor(() => outbox.waitingForWake, "the relay idle again");
    await outbox.stop();
    expect(outbox.waitingForWake).toBe(false);
    db.close();
  });
});
