import { closeSync, mkdirSync, openSync, write, writeSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage } from "./errors.js";

export interface LogFileOptions {
  /** Write once this much is gathered (default 8 KB)... */
  minLength?: number;
  /** ...or this long after the first line not yet written (default 250 ms). */
  flushAfterMs?: number;
  /** After a failed write, try again this long later (default 5 s); lines meanwhile are dropped. */
  retryAfterMs?: number;
  /** Told when the file stops taking lines (with why) and when it takes them again. */
  onTrouble?(state: { failing: true; error: string } | { failing: false; dropped: number }): void;
}

const MAX_BUFFERED = 1 << 20;

/** Open log files: what they gathered is written when the process exits (once each, never retried). */
const openFiles = new Set<LogFile>();
/** The longest end() waits for a write that was under way. */
const END_WAIT_MS = 2_000;

let exitHook = false;
function flushOnExit(file: LogFile): void {
  openFiles.add(file);
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const f of openFiles) f.flushSync();
  });
}

/**
 * A service's log file as a pino destination: lines gathered and written in chunks (8 KB, or what
 * a quarter of a second brought) with asynchronous writes, as sonic-boom did, but a write that
 * fails (disk full, file gone) never throws at the caller nor loops: the file is marked failing
 * (said once, through `onTrouble`), lines are dropped and counted, and a write is tried again
 * after `retryAfterMs`; the first that succeeds says how many were lost. sonic-boom (4.2) emitted
 * ENOSPC as an unhandled 'error' event, which ended the harness, and its flushSync() on exit
 * retried a write that failed with anything but EAGAIN forever, asleep on a futex: the run hung
 * with no verdict and ignored SIGTERM.
 */
export class LogFile {
  private fd: number | null = null;
  private chunks: string[] = [];
  private length = 0;
  private writing = false;
  private timer: NodeJS.Timeout | null = null;
  private failingSince: number | null = null;
  private dropped = 0;
  private closed = false;
  /** Resolves end()'s promise once a write that was under way at end() is done and the file closed. */
  private whenClosed: (() => void) | null = null;
  private readonly minLength: number;
  private readonly flushAfterMs: number;
  private readonly retryAfterMs: number;

  constructor(
    readonly file: string,
    private readonly options: LogFileOptions = {},
  ) {
    this.minLength = options.minLength ?? 8 * 1024;
    this.flushAfterMs = options.flushAfterMs ?? 250;
    this.retryAfterMs = options.retryAfterMs ?? 5_000;
    this.open();
    flushOnExit(this);
  }

  /** True while lines cannot be written (they are being dropped). */
  get failing(): boolean {
    return this.failingSince !== null;
  }

  write(chunk: string): boolean {
    if (this.closed) return false;
    if (this.failingSince !== null && Date.now() - this.failingSince < this.retryAfterMs) {
      this.dropped++;
      return true;
    }
    if (this.length + chunk.length > MAX_BUFFERED) {
      this.dropped++;
      return true;
    }
    this.chunks.push(chunk);
    this.length += chunk.length;
    if (this.length >= this.minLength) this.flush();
    else this.arm();
    return true;
  }

  /** Start writing what is gathered; `cb` once it is written (or could not be). */
  flush(cb?: (err?: Error) => void): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing || this.length === 0) {
      cb?.();
      return;
    }
    if (this.fd === null && !this.open()) {
      cb?.();
      return;
    }
    const lines = this.chunks.length;
    const text = this.chunks.join("");
    this.chunks = [];
    this.length = 0;
    this.writing = true;
    this.writeOut(Buffer.from(text), lines, cb);
  }

  /** Write what is gathered now, synchronously; a write that fails is given up on (never retried in a loop). */
  flushSync(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.length === 0 || this.writing) return;
    if (this.fd === null && !this.open()) return;
    const lines = this.chunks.length;
    let buf = Buffer.from(this.chunks.join(""));
    this.chunks = [];
    this.length = 0;
    try {
      while (buf.length > 0) buf = buf.subarray(writeSync(this.fd!, buf));
      this.succeeded();
    } catch (err) {
      this.failed(err, lines);
    }
  }

  /**
   * Write what is left (synchronously) and close the file. Resolves once every line is written:
   * at once, or, when an asynchronous write is under way, after it and what was gathered behind it
   * (a reader of the file after a service's stop finds its last lines).
   */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flushSync();
    this.closed = true;
    openFiles.delete(this);
    if (this.timer !== null) clearTimeout(this.timer);
    if (!this.writing) {
      this.closeFd();
      return Promise.resolve();
    }
    // The write under way closes the file when it is done; a disk that never answers holds a stop
    // for at most END_WAIT_MS (the lines are then the OS's to finish writing, or lost).
    return new Promise((resolve) => {
      const cap = setTimeout(resolve, END_WAIT_MS);
      cap.unref();
      this.whenClosed = () => {
        clearTimeout(cap);
        resolve();
      };
    });
  }

  private writeOut(buf: Buffer, lines: number, cb?: (err?: Error) => void): void {
    write(this.fd!, buf, 0, buf.length, null, (err, n) => {
      if (!err && n < buf.length) return this.writeOut(buf.subarray(n), lines, cb);
      this.writing = false;
      if (err) this.failed(err, lines);
      else this.succeeded();
      if (this.closed) {
        // end() came while this write was out: what was gathered meanwhile goes now, then the file closes.
        this.flushSync();
        this.closeFd();
        this.whenClosed?.();
        this.whenClosed = null;
      } else if (this.length >= this.minLength) this.flush();
      else if (this.length > 0) this.arm();
      cb?.(err ?? undefined);
    });
  }

  private arm(): void {
    if (this.timer !== null || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.flushAfterMs);
    this.timer.unref();
  }

  private open(): boolean {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, "a");
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private failed(err: unknown, lines = 0): void {
    // What was on its way is lost, and what was gathered meanwhile.
    this.dropped += lines + this.chunks.length;
    this.chunks = [];
    this.length = 0;
    if (this.failingSince === null) this.options.onTrouble?.({ failing: true, error: errorMessage(err) });
    this.failingSince = Date.now();
  }

  private succeeded(): void {
    if (this.failingSince === null) return;
    this.failingSince = null;
    const dropped = this.dropped;
    this.dropped = 0;
    this.options.onTrouble?.({ failing: false, dropped });
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }
}
