import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { DataFileLockedError } from "./errors.js";
import { describeHolder, isProcessAlive } from "./presence.js";

/** Who holds a data file: what its lock file says. */
interface LockHolder {
  pid: number;
  hostname: string;
  service: string;
  instance: string;
  since: string;
}

/** Lock files taken by instances running in this process (resolved paths): one not here with our pid was left by a crash. */
const lockedHere = new Set<string>();

export interface DataFileLock {
  readonly lockFile: string;
  /** Let go of the file (a graceful stop, or a crash in-process); only removes a lock that is still ours. */
  release(): void;
}

/** `<file>.lock`, beside the SQLite file (and its -wal and -shm). */
export function lockFileFor(dbFile: string): string {
  return `${dbFile}.lock`;
}

/** What the lock file says (`raw`: its text, null when it is gone), and who that is (null when it cannot be read). */
function readHolder(lockFile: string): { raw: string | null; holder: LockHolder | null } {
  let raw: string;
  try {
    raw = readFileSync(lockFile, "utf8");
  } catch {
    return { raw: null, holder: null };
  }
  try {
    const holder = JSON.parse(raw) as LockHolder;
    return { raw, holder: typeof holder.pid === "number" && typeof holder.hostname === "string" ? holder : null };
  } catch {
    return { raw, holder: null };
  }
}

/** A lock nobody can read for this long is not one being written this instant but a torn leftover. */
const UNREADABLE_STALE_MS = 2_000;

/** The holder is certainly gone: on this host, its process is dead, or it was an instance of this process that let go without removing the file. */
function isStale(holder: LockHolder, lockFile: string): boolean {
  if (holder.hostname !== hostname()) return false;
  if (holder.pid === process.pid) return !lockedHere.has(lockFile);
  return !isProcessAlive(holder.pid);
}

/**
 * Take the data file of a service instance for this process: `<file>.lock` created with O_EXCL
 * (`wx`, atomic: of two processes one creates it, the other finds it), holding this process's pid.
 * Refused (DataFileLockedError) while the lock names a live holder; a lock whose holder is dead is
 * taken over, so a crash never blocks a restart. One SQLite writer per file, one outbox, one
 * durable: two processes on one file would both relay the outbox and apply every event.
 */
export function lockDataFile(dbFile: string, service: string, instance: string): DataFileLock {
  if (dbFile === ":memory:") return { lockFile: "", release: () => undefined };
  const lockFile = resolve(lockFileFor(dbFile));
  mkdirSync(dirname(lockFile), { recursive: true });
  const me: LockHolder = { pid: process.pid, hostname: hostname(), service, instance, since: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const fd = openSync(lockFile, "wx");
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      lockedHere.add(lockFile);
      return { lockFile, release: () => release(lockFile, text) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const { raw, holder } = readHolder(lockFile);
    if (raw === null) continue; // let go of meanwhile: try again
    if (holder && !isStale(holder, lockFile)) {
      const who = `${holder.service} instance "${holder.instance}", ${describeHolder(holder)}`;
      throw new DataFileLockedError(dbFile, who, lockFile);
    }
    // An unreadable lock is usually one being written this instant (created, not yet filled): wait a moment for it.
    if (!holder && Date.now() - mtimeMs(lockFile) < UNREADABLE_STALE_MS) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    // Stale: remove it unless someone took it over meanwhile (then the next round finds theirs).
    if (readHolder(lockFile).raw === raw) rmSync(lockFile, { force: true });
  }
  throw new DataFileLockedError(dbFile, "another process taking it at the same time", lockFile);
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function release(lockFile: string, mine: string): void {
  lockedHere.delete(lockFile);
  try {
    if (readFileSync(lockFile, "utf8") === mine) rmSync(lockFile, { force: true });
  } catch {
    // already gone
  }
}
