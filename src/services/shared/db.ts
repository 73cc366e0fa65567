import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { DISK_PROBE_SCHEMA, DiskGuard, sleepUntil } from "./disk.js";

export type Db = Database.Database;

const guards = new WeakMap<Db, DiskGuard>();

/** Each service database's page cache, KiB (see openDatabase). */
export const SERVICE_CACHE_KIB = 4_096;

/**
 * Open a service's own SQLite file: WAL, synchronous=NORMAL (survives a process crash, which is
 * the failure we simulate), a busy timeout in case a tool reads it, and the schema applied. Its
 * DiskGuard (diskGuard) says whether its disk takes writes.
 *
 * The page cache is capped at 4 MiB (`SERVICE_CACHE_KIB`) instead of better-sqlite3's 16 MiB:
 * the services append (orders, history, announcements, the ledger) and look up recent rows, so
 * the pages they touch again are few; a larger cache only filled with cold pages as the file grew,
 * each service's RSS climbing by up to 16 MiB over a long run (`bench soak`).
 */
export function openDatabase(file: string, schema: string): Db {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma(`cache_size = -${SERVICE_CACHE_KIB}`);
  db.pragma("foreign_keys = ON");
  db.exec(DISK_PROBE_SCHEMA);
  db.exec(schema);
  guards.set(db, new DiskGuard(db, file));
  return db;
}

/** The guard of a database opened by openDatabase (one made on first use for any other). */
export function diskGuard(db: Db): DiskGuard {
  let guard = guards.get(db);
  if (!guard) {
    db.exec(DISK_PROBE_SCHEMA);
    guard = new DiskGuard(db, db.name);
    guards.set(db, guard);
  }
  return guard;
}

/**
 * Run a transaction function (`run`: commits, or throws having stored nothing) and tell the
 * database's guard how it went: after a commit, committed(); an error the disk caused becomes a
 * StorageFullError (the guard says once that the disk is full), any other is thrown as it is.
 * Under slow_disk in-process the commit's afterCommit effects wait until it is durable.
 */
export function guardedCommit<T>(db: Db, run: () => T): T {
  const guard = diskGuard(db);
  let result: T;
  try {
    result = run();
  } catch (err) {
    effects.delete(db); // rolled back: what was to follow the commit never happens
    throw guard.refusal(err) ?? err;
  }
  const due = guard.committed();
  if (due > 0) deferEffects(db, due);
  else runEffects(db);
  return result;
}

const effects = new WeakMap<Db, Array<() => void>>();

/**
 * Do `fn` once the transaction open on `db` now has committed (at once when none is open), and
 * never if it rolls back: a side effect outside the database (a line printed, a message to a
 * person) must not happen for a write that was not stored, or it happens again when the message
 * that caused it comes back. Run by guardedCommit (immediate, the group commit, the batch consumer).
 */
export function afterCommit(db: Db, fn: () => void): void {
  if (!db.inTransaction) return fn();
  const list = effects.get(db);
  if (list) list.push(fn);
  else effects.set(db, [fn]);
}

/** Inside a transaction: run `fn` in a savepoint (`savepoint`); when it throws, its afterCommit effects are dropped with its writes. */
export function withEffects<T>(db: Db, fn: () => T): T {
  const mark = effects.get(db)?.length ?? 0;
  try {
    return fn();
  } catch (err) {
    effects.get(db)?.splice(mark);
    throw err;
  }
}

/** slow_disk in-process: the commit's effects happen once it is durable (`due`, performance.now() ms), in commit order. */
function deferEffects(db: Db, due: number): void {
  const list = effects.get(db);
  if (!list) return;
  effects.delete(db);
  void sleepUntil(due, () => runList(list));
}

function runEffects(db: Db): void {
  const list = effects.get(db);
  if (!list) return;
  effects.delete(db);
  runList(list);
}

function runList(list: Array<() => void>): void {
  for (const fn of list) {
    try {
      fn();
    } catch {
      // an effect's own failure is its own (a print to a closed stream): the commit stands
    }
  }
}

/**
 * Inside a group transaction, a savepoint's error: when SQLite rolled the whole transaction back
 * (SQLITE_FULL, an I/O error do that), nothing of the group is left to commit, and a write after
 * it would run outside any transaction, committed on its own: the group must stop, with it.
 */
export function rethrowIfTransactionLost(db: Db, err: unknown): void {
  if (!db.inTransaction) throw err;
}

const runners = new WeakMap<Db, Database.Transaction<(fn: () => unknown) => unknown>>();

/**
 * Run `fn` in a BEGIN IMMEDIATE transaction (take the write lock up front, never upgrade); inside
 * another transaction (a batch), in a savepoint of it. One wrapper per database: building a
 * transaction function per call showed in the profiles of the busy consumers. A write the disk
 * refuses throws StorageFullError (see guardedCommit).
 */
export function immediate<T>(db: Db, fn: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((f: () => unknown) => f());
    runners.set(db, run);
  }
  const tx = run;
  // A savepoint of a batch: the batch's commit is the one to report.
  if (db.inTransaction) return withEffects(db, () => tx(fn) as T);
  return guardedCommit(db, () => tx.immediate(fn) as T);
}
