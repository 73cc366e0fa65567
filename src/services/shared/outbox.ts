import type { JetStreamClient } from "@nats-io/jetstream";
import { diskGuard, type Db } from "./db.js";
import type { Logger } from "./logger.js";
import { errorField, errorMessage } from "./errors.js";
import { JetStreamPublisher } from "./jetstream-publisher.js";
import type { NatsConnection } from "./nats.js";

/**
 * The outbox table; every service that publishes includes it in its schema. `seq` is AUTOINCREMENT
 * so that it is never used again, even once the table was emptied: the relay remembers how far it
 * published by seq (see publishedUpTo).
 */
export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  subject    TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

export interface OutboxMessage {
  /** Becomes the JetStream msgID: a message published twice is stored once. */
  id: string;
  subject: string;
  payload: unknown;
}

export interface OutboxOptions {
  batchSize?: number;
  publishTimeoutMs?: number;
  /** First retry delay after a failed publish; doubles up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Least time from the start of one publish cycle to the start of the next (default 2 ms). Rows
   * that come in meanwhile go out together: at a few thousand orders a second each order used to
   * be a cycle of its own (a read of the table, a write to the socket, a read of the PubAck, a
   * delete and its commit), which doubled the order service's CPU per order against the same
   * orders sent back to back. What it costs is at most this much delay before a publish.
   */
  minIntervalMs?: number;
  /**
   * The service's connection: when given, batches go out through one `JetStreamPublisher`
   * (plain publishes + one PubAck subscription) instead of a `js.publish()` request per row.
   */
  nc?: NatsConnection;
  /** Told of each message once the broker has stored it (the order service logs `order_published`). */
  onPublished?: (message: { id: string; subject: string; payload: string }) => void;
}

interface Row {
  seq: number;
  id: string;
  subject: string;
  payload: string;
}

/** How long published rows may wait to be deleted together (a crash republishes them with the same msgID: stored once). */
const DELETE_AFTER_MS = 1_000;

/**
 * Transactional outbox. `add` writes a row inside the caller's SQLite transaction; the relay
 * publishes rows in order with msgID = row id and deletes them once JetStream acknowledged them.
 * While the broker is down the relay keeps retrying with backoff; nothing is dropped.
 */
export class Outbox {
  private readonly insert;
  private readonly selectBatch;
  private readonly deleteOne;
  private readonly deleteUpTo;
  private readonly publisher: JetStreamPublisher | null;
  private readonly exists;
  private readonly countRows;
  private readonly waiters = new Map<string, Array<() => void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private idleWaiting = false;
  private failing = false;
  private readonly options: Required<Omit<OutboxOptions, "nc" | "onPublished">>;
  /**
   * Rows up to this seq were published in fully acknowledged batches and are deleted in bulk, a
   * second after the first of them was (DELETE_AFTER_MS), at 1,024 seqs, or when the relay stops,
   * not after every batch: a delete is a commit of its own (its WAL pages written, its locks), and
   * at low rates, when every batch is one row and the relay is idle after each, every published
   * row was one: two extra commits per order in the order service. What a
   * crash leaves undeleted is published again at the next start with the same msgID: JetStream
   * stores it once within its duplicate window (5 minutes); after a longer outage it is stored
   * twice, which every consumer, being idempotent, shrugs off (and the checker reports).
   */
  private publishedUpTo = 0;
  private deletedUpTo = 0;
  private deleteTimer: NodeJS.Timeout | null = null;
  /** Publishes acknowledged since start (for telemetry). */
  publishedCount = 0;
  private readonly onPublished: OutboxOptions["onPublished"] | null;

  constructor(
    private readonly db: Db,
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    options: OutboxOptions = {},
  ) {
    const { nc, onPublished, ...rest } = options;
    this.onPublished = onPublished ?? null;
    this.options = { batchSize: 256, publishTimeoutMs: 5_000, minBackoffMs: 100, maxBackoffMs: 2_000, minIntervalMs: 2, ...rest };
    this.publisher = nc ? new JetStreamPublisher(nc) : null;
    this.insert = db.prepare("INSERT OR IGNORE INTO outbox (id, subject, payload, created_at) VALUES (?, ?, ?, ?)");
    this.selectBatch = db.prepare("SELECT seq, id, subject, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
    this.deleteOne = db.prepare("DELETE FROM outbox WHERE seq = ?");
    this.deleteUpTo = db.prepare("DELETE FROM outbox WHERE seq <= ?");
    this.exists = db.prepare("SELECT 1 FROM outbox WHERE id = ? AND seq > ?");
    this.countRows = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE seq > ?");
  }

  /** Add a message; call inside the transaction that makes the change it announces, then `wake()` after commit. */
  add(message: OutboxMessage): void {
    this.insert.run(message.id, message.subject, JSON.stringify(message.payload), Date.now());
  }

  /** Tell the relay there is work (after the transaction committed). */
  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Resolves once the message with this id has been acknowledged by JetStream. */
  published(id: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
      if (!this.exists.get(id, this.publishedUpTo)) this.settle(id);
    });
  }

  pending(): number {
    return (this.countRows.get(this.publishedUpTo) as { n: number }).n;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stop the relay; first try for up to `drainMs` to publish what is left (it stays in SQLite either way). */
  async stop(drainMs = 2_000): Promise<void> {
    if (!this.running) return;
    const deadline = Date.now() + drainMs;
    while (this.pending() > 0 && Date.now() < deadline && !this.failing) {
      this.wake();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.running = false;
    this.wake();
    await this.loop;
    this.deletePublished();
    this.publisher?.close();
  }

  /**
   * Stop at once without publishing anything more (a crash, or the database is about to close).
   * The returned promise settles once a batch that was on its way has come back (untouched).
   */
  halt(): Promise<void> {
    this.running = false;
    if (this.deleteTimer !== null) clearTimeout(this.deleteTimer);
    this.deleteTimer = null;
    this.wake();
    this.publisher?.close();
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let backoff = this.options.minBackoffMs;
    let cycleStartedAt = 0;
    while (this.running) {
      const since = performance.now() - cycleStartedAt;
      if (since < this.options.minIntervalMs) await this.sleep(this.options.minIntervalMs - since);
      if (!this.running) break;
      cycleStartedAt = performance.now();
      this.woken = false;
      // slow_disk in-process: nothing is published before the commit that stored it is durable.
      const durable = diskGuard(this.db).durable();
      if (durable) await durable;
      let rows: Row[];
      try {
        rows = this.selectBatch.all(this.publishedUpTo, this.options.batchSize) as Row[];
      } catch (err) {
        if (!this.running) break;
        this.log.error({ action: "outbox_read_failed", error: errorField(err) }, "Outbox relay cannot read its table");
        await this.sleep(this.options.maxBackoffMs);
        continue;
      }
      if (rows.length === 0) {
        // Nothing to publish: wait for the next commit's wake(), with no timer. Every row is added
        // inside a transaction of this process, whose writer calls wake() once it committed (rows
        // left by a crash are found by the first cycle after start), so a poll would find nothing
        // the wake-up did not already bring; it only cost an idle service a SQLite read a second.
        await this.untilWoken();
        continue;
      }
      const ok = await this.publishBatch(rows);
      if (!this.running) break;
      if (ok) {
        backoff = this.options.minBackoffMs;
        if (this.failing) {
          this.failing = false;
          this.log.info({ action: "outbox_recovered", pending: this.pending() }, "Outbox relay publishing again");
        }
        // The batch took all there was and no commit woke us meanwhile: the table holds nothing
        // newer, so wait for the next wake() without reading it again (a read and its lock per cycle).
        if (rows.length < this.options.batchSize && !this.woken) await this.untilWoken();
      } else {
        // Not cut short by new rows: during an outage every order would otherwise wake a retry.
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
      }
    }
  }

  /** Publish rows in order (pipelined, one write); mark or delete the acknowledged ones. False when any failed. */
  private async publishBatch(rows: Row[]): Promise<boolean> {
    const done: Row[] = [];
    let firstError: unknown = null;
    if (this.publisher) {
      const outcomes = await this.publisher.publishAll(
        rows.map((row) => ({ subject: row.subject, data: row.payload, msgID: row.id })),
        this.options.publishTimeoutMs,
      );
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) done.push(rows[i]);
        else firstError ??= new Error(outcome.error);
      });
    } else {
      const results = await Promise.allSettled(
        rows.map((row) => this.js.publish(row.subject, row.payload, { msgID: row.id, timeout: this.options.publishTimeoutMs })),
      );
      results.forEach((result, i) => {
        if (result.status === "fulfilled") done.push(rows[i]);
        else firstError ??= result.reason;
      });
    }
    // Halted (a crash, or the database closing) while the batch was on its way: touch nothing more.
    // What was published stays in the table and is published again with the same msgID: harmless.
    if (!this.running) return false;
    if (done.length > 0) {
      // A later row may succeed where an earlier one failed; its msgID makes the retry harmless.
      // All of a batch acknowledged (the usual case): rows are selected in seq order and new ones
      // only get higher seqs, so the batch's last seq marks everything up to it as published, for
      // one range delete later. Otherwise the acknowledged rows are deleted one by one now.
      if (done.length === rows.length) {
        this.publishedUpTo = rows[rows.length - 1].seq;
        this.deleteSoon();
      } else {
        this.db.transaction(() => {
          for (const row of done) this.deleteOne.run(row.seq);
        })();
      }
      this.publishedCount += done.length;
      for (const row of done) this.settle(row.id);
      if (this.onPublished) for (const row of done) this.onPublished(row);
    }
    if (firstError !== null && !this.failing) {
      this.failing = true;
      this.log.warn(
        { action: "outbox_publish_failed", pending: this.pending(), error: errorField(firstError) },
        `Outbox relay cannot publish, retrying with backoff: ${errorMessage(firstError)}`,
      );
    }
    return firstError === null;
  }

  /** Delete what was published once 1,024 rows are waiting, or DELETE_AFTER_MS after the first of them (one timer, armed only then). */
  private deleteSoon(): void {
    if (this.publishedUpTo - this.deletedUpTo >= 1024) this.deletePublished();
    else if (this.deleteTimer === null && this.deletedUpTo !== this.publishedUpTo) {
      this.deleteTimer = setTimeout(() => {
        this.deleteTimer = null;
        if (this.running) this.deletePublished();
      }, DELETE_AFTER_MS);
      this.deleteTimer.unref();
    }
  }

  /** Delete the rows of fully acknowledged batches (kept meanwhile as `seq <= publishedUpTo`). */
  private deletePublished(): void {
    if (this.deleteTimer !== null) clearTimeout(this.deleteTimer);
    this.deleteTimer = null;
    if (this.deletedUpTo === this.publishedUpTo) return;
    try {
      this.deleteUpTo.run(this.publishedUpTo);
      this.deletedUpTo = this.publishedUpTo;
    } catch (err) {
      // The database is busy or closing: the rows stay below publishedUpTo, deleted next time (or published again after a restart: harmless).
      this.log.debug({ action: "outbox_delete_failed", error: errorField(err) }, "Could not delete published outbox rows");
    }
  }

  private settle(id: string): void {
    const list = this.waiters.get(id);
    if (!list) return;
    this.waiters.delete(id);
    for (const resolve of list) resolve();
  }

  /** Resolves at the next wake() (at once if one came since the cycle began) or stop; no timer. */
  private untilWoken(): Promise<void> {
    if (!this.running || this.woken) return Promise.resolve();
    this.idleWaiting = true;
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.idleWaiting = false;
        resolve();
      };
    });
  }

  /** True while the relay has nothing to do and waits for a wake() with no timer armed (tests of the wake-up path). */
  get waitingForWake(): boolean {
    return this.idleWaiting;
  }

  /** A pause that new rows do not cut short (the least gap between cycles, a backoff). */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
