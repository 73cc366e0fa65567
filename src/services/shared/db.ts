import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * Open a service's own SQLite file: WAL, synchronous=NORMAL (survives a process crash, which is
 * the failure we simulate), a busy timeout in case a tool reads it, and the schema applied.
 */
export function openDatabase(file: string, schema: string): Db {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = ON");
  db.exec(schema);
  return db;
}

/** Run `fn` in a BEGIN IMMEDIATE transaction (take the write lock up front, never upgrade). */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
