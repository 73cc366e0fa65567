import { jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { openDatabase } from "../src/services/shared/db.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { Outbox, OUTBOX_SCHEMA } from "../src/services/shared/outbox.js";
import { scratchDir, useTestNats } from "./helpers/nats.js";

describe("outbox relay", () => {
  const t = useTestNats();

  it("halted with a batch on its way and its database closed (a crash), it lets go without touching the database", async () => {
    const file = `${scratchDir("outbox-halt")}/outbox.db`;
    const db = openDatabase(file, OUTBOX_SCHEMA);
    const outbox = new Outbox(db, jetstream(t.nc), silentLogger(), { nc: t.nc, publishTimeoutMs: 200 });
    for (let i = 0; i < 5; i++) outbox.add({ id: `halt-${i}`, subject: subjects.orderEvent("placed", "takeout", "halt-test"), payload: { i } });
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
});
