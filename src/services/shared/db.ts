import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Each service database's page cache, KiB (see openDatabase). */
export const SERVICE_CACHE_KIB = 4_096;

/**
 * Open a service's own SQLite file: WAL, synchronous=NORMAL (survives a process crash, which is
 * the failure we simulate), a busy timeout in case a tool reads it, and the schema applied.
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
  db.exec(schema);
  return db;
}

const runners = new WeakMap<Db, Database.Transaction<(fn: () => unknown) => unknown>>();

/**
 * Run `fn` in a BEGIN IMMEDIATE transaction (take the write lock up front, never upgrade); inside
 * another transaction (a batch), in a savepoint of it. One wrapper per database: building a
 * transaction function per call showed in the profiles of the busy consumers.
 */
export function immediate<T>(db: Db, fn: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((f: () => unknown) => f());
    runners.set(db, run);
  }
  return run.immediate(fn) as T;
}
