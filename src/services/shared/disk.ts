import type Database from "better-sqlite3";
import { errorMessage, StorageFullError } from "./errors.js";
import { noteCommitDue } from "./log-context.js";
import type { Logger } from "./logger.js";
import { serviceNotice } from "./notices.js";

/** The table a probe writes to (one row, replaced): whether the database takes a commit again. */
export const DISK_PROBE_SCHEMA = "CREATE TABLE IF NOT EXISTS disk_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, pad BLOB);";

/**
 * The code of an error that says the disk refuses writes: SQLite's SQLITE_FULL (a full disk, or a
 * database at its max_page_count) and its I/O errors (SQLITE_IOERR_*), a file write's ENOSPC,
 * EDQUOT or EIO; null for any other error (a constraint, a bug: not the disk's doing).
 */
export function storageErrorCode(err: unknown): string | null {
  if (err instanceof StorageFullError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return null;
  return code === "SQLITE_FULL" || code.startsWith("SQLITE_IOERR") || code === "ENOSPC" || code === "EDQUOT" || code === "EIO" ? code : null;
}

export interface DiskState {
  file: string;
  /** A write was refused and none has been stored since. */
  full: boolean;
  /** Since when (ISO), while full. */
  since: string | null;
  /** Writes refused since it filled. */
  refused: number;
  /** A disk_full fault holds the database at its size. */
  held: boolean;
  /** What a slow_disk fault adds to every commit. */
  commitDelayMs: number;
  /** Commits the current (or last) slow_disk delayed. */
  delayedCommits: number;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
let slowCommitHoldsThread = false;

/**
 * Called by a service run as a process of its own (`pizzeria service`): there a slow_disk commit
 * holds the thread, as a slow fsync holds better-sqlite3's synchronous commit: the whole service
 * stalls (its answers, acks, heartbeats), which is what a slow disk does to it. In-process the
 * thread is the harness's too, so there (the default) the commit's effects wait for a timer
 * instead: the answer, the acks, the outbox's publishes and afterCommit effects of each commit are
 * released `delay` after the disk is done with the commit before it, the thread staying free.
 */
export function holdThreadOnSlowCommit(): void {
  slowCommitHoldsThread = true;
}

/**
 * Resolves once performance.now() has reached `at`, never before: a timer may fire a little early
 * by that clock (it counts from the event loop's cached time), and a delay must be at least itself.
 */
export function sleepUntil(at: number, fire: () => void = () => undefined): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const left = at - performance.now();
      if (left > 0) setTimeout(check, Math.ceil(left));
      else {
        fire();
        resolve();
      }
    };
    check();
  });
}

/**
 * What one service's database can do: whether its disk takes writes. Every write path of the
 * shared layers (immediate, the group commit, the batch consumer) asks `refusal(err)` about an
 * error and says `committed()` after a commit. The first refusal makes it full (said once, in
 * the log and as a notice naming the file and the service); the next commit makes it writable
 * again (said once). It also carries the disk faults: `hold()` stops the database growing (its
 * free pages taken by a filler row, then its max_page_count set to its size: what a full disk does,
 * without root or a small file system), `slow(ms)` makes every commit take that much longer (the thread held in a process of
 * its own, its effects released by a timer in-process: holdThreadOnSlowCommit, durable()). A
 * consumer holding a refused write asks it when to try again (mayBeWritable, shut: FullDiskHold).
 */
/** The table disk_full fills the database's free pages with while it is held. */
const FILLER = "pizzeria_disk_full_filler";

export class DiskGuard {
  private owner: { service: string; instance: string; log: Logger } | null = null;
  private fullSince: number | null = null;
  private refused = 0;
  private heldFrom: number | null = null;
  private commitDelayMs = 0;
  private delayedCommits = 0;
  /** slow_disk in-process: when (performance.now() ms) the last commit so far is durable. */
  private dueAt = 0;
  /** Holders of a refused write waiting for the disk to take writes again (mayBeWritable). */
  private readonly waiters = new Set<() => void>();
  private readonly probeWrite;
  private readonly probe: Database.Transaction<() => void>;

  constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {
    // A page's worth written and let go in one commit: the database must be able to grow by a page (the WAL with it).
    this.probeWrite = db.prepare("INSERT OR REPLACE INTO disk_probe (id, at, pad) VALUES (1, ?, zeroblob(4096))");
    const unpad = db.prepare("UPDATE disk_probe SET pad = NULL WHERE id = 1");
    this.probe = db.transaction(() => {
      this.probeWrite.run(Date.now());
      unpad.run();
    });
  }

  /** Who says what it notices (the runtime, once the log is open). */
  attach(service: string, instance: string, log: Logger): void {
    this.owner = { service, instance, log };
  }

  get full(): boolean {
    return this.fullSince !== null;
  }

  /**
   * A write failed: a StorageFullError when the disk refused it (the first makes the database
   * full, said once), null when the error is not the disk's.
   */
  refusal(err: unknown): StorageFullError | null {
    const code = storageErrorCode(err);
    if (code === null) return null;
    this.refused++;
    if (this.fullSince === null) {
      this.fullSince = Date.now();
      this.say("error", "storage_full", `database ${this.file} is full (${code}: ${errorMessage(err)}): new work is answered 503 and messages are held in progress until it takes writes again`);
    }
    return err instanceof StorageFullError ? err : new StorageFullError(this.file, code, err, (running) => this.untilWritable(running), this);
  }

  /** disk_full holds the database and a write was refused: nothing is stored until the release. */
  get shut(): boolean {
    return this.heldFrom !== null && this.full;
  }

  /** Resolves after `ms`, or at once when the database may take writes again (disk_full released, a commit went through). */
  mayBeWritable(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /**
   * slow_disk in-process: resolves once every commit so far is durable (the last one's delay is
   * over); null when they are. What publishes or acks what was committed waits for it.
   */
  durable(): Promise<void> | null {
    return this.dueAt > performance.now() ? sleepUntil(this.dueAt) : null;
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * A commit succeeded: a full database is writable again (said once). Then the slow disk's delay:
   * the thread held (a process of its own), or (in-process) the time it is durable at
   * (performance.now() ms, also noted in the handling context: log-context's commitDueIn); 0: at once.
   */
  committed(): number {
    // Held by disk_full, a commit that found a free page does not make it writable: it stays full
    // (said once) until the fault lets it grow, rather than flapping with every page freed and taken.
    if (this.fullSince !== null && this.heldFrom === null) {
      const ms = Date.now() - this.fullSince;
      const refused = this.refused;
      this.fullSince = null;
      this.refused = 0;
      this.say("info", "storage_recovered", `database ${this.file} takes writes again after ${(ms / 1000).toFixed(1)} s (${refused} writes refused meanwhile)`);
      this.wakeWaiters();
    }
    if (this.commitDelayMs <= 0) return 0;
    this.delayedCommits++;
    if (slowCommitHoldsThread) {
      Atomics.wait(sleepCell, 0, 0, this.commitDelayMs); // as a slow fsync holds the synchronous commit
      return 0;
    }
    // One disk: a commit's delay starts when the one before it is done with the disk.
    this.dueAt = Math.max(performance.now(), this.dueAt) + this.commitDelayMs;
    noteCommitDue(this.dueAt);
    return this.dueAt;
  }

  /** Whether a commit goes through now: a probe's write of one row (refused while the database cannot grow). */
  writable(): boolean {
    if (this.db.inTransaction) return !this.full;
    if (this.heldFrom !== null && this.full) return false; // until disk_full lets it grow
    try {
      this.probe.immediate();
    } catch (err) {
      if (this.refusal(err)) return false;
      throw err;
    }
    this.committed();
    return true;
  }

  /** Resolves once a probe commits (tried with backoff: 100 ms doubling to 2 s), or at once when `running()` turns false. */
  async untilWritable(running: () => boolean): Promise<void> {
    let wait = 100;
    while (running() && this.full) {
      await new Promise((r) => setTimeout(r, wait));
      if (!running()) return;
      try {
        if (this.writable()) return;
      } catch {
        return; // the database is closed: the caller's loop finds out
      }
      wait = Math.min(wait * 2, 2_000);
    }
  }

  /** disk_full: the database may not grow past its size now. */
  hold(): void {
    if (this.heldFrom === null) this.heldFrom = Number(this.db.pragma("max_page_count", { simple: true }));
    // The file's free pages (what the outbox's bulk deletes and the pruning gave back) are taken
    // by a filler first: otherwise a window shorter than it takes to use them up refuses nothing.
    const free = Number(this.db.pragma("freelist_count", { simple: true }));
    if (free > 0) {
      const pageSize = Number(this.db.pragma("page_size", { simple: true }));
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${FILLER} (b BLOB)`);
      this.db.prepare(`INSERT INTO ${FILLER} (b) VALUES (zeroblob(?))`).run(free * pageSize);
    }
    const pages = Number(this.db.pragma("page_count", { simple: true }));
    this.db.pragma(`max_page_count = ${pages}`);
    this.say("warn", "disk_full_injected", `disk_full: database ${this.file} held at ${pages} pages`);
  }

  /** The end of disk_full: the database may grow again. */
  release(): void {
    if (this.heldFrom === null) return;
    this.db.pragma(`max_page_count = ${this.heldFrom}`);
    this.heldFrom = null;
    // The filler's pages go back to the free list (for the next writes; the file does not shrink).
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(FILLER)) this.db.exec(`DELETE FROM ${FILLER}`);
    this.say("info", "disk_full_released", `disk_full over: database ${this.file} may grow again`);
    this.wakeWaiters(); // a consumer holding a refused write tries it at once
  }

  /** slow_disk: every commit takes `ms` longer (0: no longer). */
  slow(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > 10_000) throw new Error(`commitDelayMs must be from 0 to 10000; got ${ms}`);
    if (ms > 0 && this.commitDelayMs === 0) this.delayedCommits = 0;
    this.commitDelayMs = ms;
    this.say(
      ms > 0 ? "warn" : "info",
      "slow_disk",
      ms > 0 ? `slow_disk: every commit of ${this.file} takes ${ms} ms longer` : `slow_disk over: commits of ${this.file} take their own time again (${this.delayedCommits} commits were delayed)`,
    );
  }

  state(): DiskState {
    return {
      file: this.file,
      full: this.full,
      since: this.fullSince === null ? null : new Date(this.fullSince).toISOString(),
      refused: this.refused,
      held: this.heldFrom !== null,
      commitDelayMs: this.commitDelayMs,
      delayedCommits: this.delayedCommits,
    };
  }

  private say(level: "info" | "warn" | "error", action: string, message: string): void {
    const owner = this.owner;
    if (!owner) return;
    owner.log[level]({ action, file: this.file }, message);
    serviceNotice({ service: owner.service, instance: owner.instance, level, message });
  }
}
