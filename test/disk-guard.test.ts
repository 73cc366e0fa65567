import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { afterCommit, diskGuard, immediate, openDatabase, type Db } from "../src/services/shared/db.js";
import { StorageFullError } from "../src/services/shared/errors.js";
import { GroupCommit } from "../src/services/shared/group-commit.js";
import { createJsonServer, listen } from "../src/services/shared/http.js";
import { LogFile } from "../src/services/shared/log-file.js";
import { createLogger, silentLogger } from "../src/services/shared/logger.js";
import { onServiceNotice, type ServiceNotice } from "../src/services/shared/notices.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function heard(): ServiceNotice[] {
  const notices: ServiceNotice[] = [];
  cleanups.push(onServiceNotice((n) => notices.push(n)));
  return notices;
}

function database(): { db: Db; file: string } {
  const dir = scratchDir("disk-guard");
  const file = join(dir, "svc.db");
  const db = openDatabase(file, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);");
  diskGuard(db).attach("order", "order-9", silentLogger());
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}

const count = (db: Db) => (db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n;
const row = "x".repeat(600);

describe("a database whose disk is full (max_page_count held at its size)", () => {
  it("refuses a write with StorageFullError naming the file, says so once, and takes writes again once it may grow", () => {
    const notices = heard();
    const { db, file } = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const guard = diskGuard(db);
    guard.hold();
    let refusal: unknown = null;
    for (let i = 0; i < 50 && refusal === null; i++) {
      try {
        immediate(db, () => insert.run(row));
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(StorageFullError);
    expect((refusal as StorageFullError).file).toBe(file);
    expect((refusal as StorageFullError).code).toBe("SQLITE_FULL");
    const stored = count(db);
    expect(() => immediate(db, () => insert.run(row))).toThrow(StorageFullError);
    expect(count(db)).toBe(stored); // what was refused is not there; what was committed stays
    expect(guard.state()).toMatchObject({ full: true, held: true, refused: 2 });
    expect(guard.writable()).toBe(false);
    guard.release();
    immediate(db, () => insert.run(row));
    expect(count(db)).toBe(stored + 1);
    expect(guard.full).toBe(false);
    const said = notices.filter((n) => n.instance === "order-9").map((n) => n.message);
    expect(said.filter((m) => m.includes(`database ${file} is full (SQLITE_FULL`))).toHaveLength(1);
    expect(said.filter((m) => m.includes(`database ${file} takes writes again after`))).toHaveLength(1);
  });

  it("takes the file's free pages too: a database that gave pages back (deleted rows) refuses the next write that needs a page, and has them back after", () => {
    const { db } = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    for (let i = 0; i < 200; i++) insert.run(row);
    db.exec("DELETE FROM t");
    const free = Number(db.pragma("freelist_count", { simple: true }));
    expect(free).toBeGreaterThan(20); // room for dozens of rows inside the file
    const guard = diskGuard(db);
    guard.hold();
    expect(() => immediate(db, () => { for (let i = 0; i < 20; i++) insert.run(row); })).toThrow(StorageFullError);
    expect(count(db)).toBe(0);
    guard.release();
    expect(Number(db.pragma("freelist_count", { simple: true }))).toBeGreaterThanOrEqual(free);
    immediate(db, () => { for (let i = 0; i < 20; i++) insert.run(row); });
    expect(count(db)).toBe(20);
  });

  it("a group commit that meets it stores none of the group: no write after the refused one is committed on its own", async () => {
    const { db } = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    for (let i = 0; i < 5; i++) insert.run(row);
    const before = count(db);
    diskGuard(db).hold();
    const group = new GroupCommit(db);
    // SQLite rolls the whole transaction back at the refusal; the writes queued after it would
    // otherwise each run in a transaction of their own and be stored while their callers hear "refused".
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => group.run(() => insert.run(row))));
    expect(outcomes.every((o) => o.status === "rejected" && o.reason instanceof StorageFullError)).toBe(true);
    expect(count(db)).toBe(before);
    expect(db.inTransaction).toBe(false);
    diskGuard(db).release();
    await group.run(() => insert.run(row));
    expect(count(db)).toBe(before + 1);
  });

  it("effects after a commit (afterCommit) happen once it is stored, never for a write rolled back", async () => {
    const { db } = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const printed: string[] = [];
    const group = new GroupCommit(db);
    const write = (name: string, fail = false) =>
      group.run(() => {
        insert.run(row);
        afterCommit(db, () => printed.push(name));
        if (fail) throw new Error("this one fails alone");
      });
    const outcomes = await Promise.allSettled([write("a"), write("b", true), write("c")]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(printed).toEqual(["a", "c"]);
    diskGuard(db).hold();
    const refused = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => write(`full-${i}`)));
    expect(refused.every((o) => o.status === "rejected")).toBe(true);
    expect(printed).toEqual(["a", "c"]); // nothing of the refused group was announced
    diskGuard(db).release();
    await write("d");
    expect(printed).toEqual(["a", "c", "d"]);
  });

  it("the HTTP layer answers a write the disk refused with 503 storage_full and Retry-After, not 500", async () => {
    const server = createJsonServer(
      [{ method: "POST", path: /^\/w$/, handler: () => { throw new StorageFullError("/x/svc.db", "SQLITE_FULL", new Error("database or disk is full")); } }],
      silentLogger(),
    );
    const port = await listen(server, 0, "127.0.0.1");
    cleanups.push(() => server.close());
    const res = await fetch(`http://127.0.0.1:${port}/w`, { method: "POST" });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ error: "storage_full" });
  });
});

describe("a log file that cannot be written", () => {
  it("never throws at the caller nor hangs a flush: said once, lines dropped (/dev/full refuses every write)", async () => {
    const trouble: unknown[] = [];
    const file = new LogFile("/dev/full", { minLength: 10, flushAfterMs: 5, onTrouble: (t) => trouble.push(t) });
    for (let i = 0; i < 100; i++) expect(file.write(`{"line":${i}}\n`)).toBe(true);
    await waitFor(() => trouble.length > 0, "the failure to be told");
    file.write('{"after":1}\n');
    file.flushSync(); // would loop forever in sonic-boom 4.2 on ENOSPC
    file.end();
    expect(trouble).toEqual([{ failing: true, error: expect.stringContaining("ENOSPC") }]);
  });

  it("a service logger on it: its notice names the file and the service once; close() returns", async () => {
    const notices = heard();
    const { log, close } = createLogger({ service: "payment", instance: "payment-7", file: "/dev/full" });
    for (let i = 0; i < 2000; i++) log.info({ action: "step", i }, "a step of some length to fill the buffer quickly");
    close();
    const mine = await waitFor(() => {
      const found = notices.filter((n) => n.instance === "payment-7");
      return found.length > 0 && found;
    }, "the logger's notice");
    expect(mine).toEqual([{ service: "payment", instance: "payment-7", level: "error", message: expect.stringMatching(/^cannot write its log \/dev\/full: ENOSPC/) }]);
  });

  it("a writable one gets every line", async () => {
    const dir = scratchDir("disk-log");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = new LogFile(join(dir, "logs", "a.log"), { minLength: 64, flushAfterMs: 5 });
    for (let i = 0; i < 100; i++) file.write(`${i}\n`);
    file.end();
    const lines = await waitFor((): string | null => {
      const text = readFileSync(join(dir, "logs", "a.log"), "utf8");
      return text.endsWith("99\n") ? text : null;
    }, "every line in the file");
    expect(lines.trim().split("\n").map(Number)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
