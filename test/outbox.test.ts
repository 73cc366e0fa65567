import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjects } from "../src/services/shared/contracts.js";
import { openDatabase } from "../src/services/shared/db.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { ensureStreams, resolveTopology } from "../src/services/shared/nats.js";
import { Outbox, OUTBOX_SCHEMA } from "../src/services/shared/outbox.js";
import { scratchDir, startTestBroker } from "./helpers/nats.js";

describe("outbox relay", () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let nc: NatsConnection;

  beforeAll(async () => {
    broker = await startTestBroker();
    nc = await connect({ servers: broker.url });
    await ensureStreams(await jetstreamManager(nc), resolveTopology(undefined));
  });
  afterAll(async () => {
    await nc.close();
    await broker.cleanup();
  });

  it("halted with a batch on its way and its database closed (a crash), it lets go without touching the database", async () => {
    const file = `${scratchDir("outbox-halt")}/outbox.db`;
    const db = openDatabase(file, OUTBOX_SCHEMA);
    const outbox = new Outbox(db, jetstream(nc), silentLogger(), { nc, publishTimeoutMs: 200 });
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
