import { diskGuard, guardedCommit, rethrowIfTransactionLost, withEffects, type Db } from "./db.js";
import { withHandling } from "./log-context.js";

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: the writes that arrive together (in one turn of the event loop) share one SQLite
 * transaction, so the commit — most of the cost of a small write — is paid once per group instead
 * of once per request. Each write runs in its own savepoint inside the group: one that throws is
 * rolled back alone and its caller gets the error; the others commit. Nobody hears "done" before
 * the commit: a promise resolves only once its write is durable (WAL, synchronous=NORMAL).
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** slow_disk in-process: a group committed and waiting to be durable; the next one gathers meanwhile. */
  private holding = false;
  private readonly group;
  private readonly savepoint;
  /** Groups committed and writes in them (for stats and tests). */
  groups = 0;
  writes = 0;

  constructor(
    private readonly db: Db,
    /** Called after each commit (e.g. wake the outbox relay), before the callers are answered. */
    private readonly afterCommit: () => void = () => undefined,
    private readonly maxGroup = 512,
  ) {
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    this.group = db.transaction((batch: Pending[], outcomes: Array<{ ok: boolean; value: unknown }>) => {
      for (const p of batch) {
        try {
          outcomes.push({ ok: true, value: withEffects(db, () => this.savepoint(p.fn)) });
        } catch (err) {
          rethrowIfTransactionLost(db, err);
          outcomes.push({ ok: false, value: err });
        }
      }
    });
  }

  /** Run `fn` (synchronous, no awaiting inside) in the next group; resolves with its result once committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && !this.holding) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every request that arrived with this one joins it.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit what is queued now (also called by the timer). */
  flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.holding) {
      const batch = this.queue.length <= this.maxGroup ? this.queue : this.queue.slice(0, this.maxGroup);
      this.queue = this.queue.length <= this.maxGroup ? [] : this.queue.slice(this.maxGroup);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        // A disk that refuses the write: StorageFullError (said once by the database's guard).
        guardedCommit(this.db, () => this.group.immediate(batch, outcomes));
      } catch (err) {
        // The commit itself failed (disk full, database closed): nothing of the group is stored.
        for (const p of batch) p.reject(err);
        continue;
      }
      this.groups++;
      this.writes += batch.length;
      const durable = diskGuard(this.db).durable();
      if (durable) {
        // A slow disk (in-process): nobody hears of this group until it is durable, and the next
        // group is committed after it, with whatever arrived meanwhile, as a held thread would.
        this.holding = true;
        void durable.then(() => {
          this.holding = false;
          this.release(batch, outcomes);
          // Committed in a context of its own: the next group is no one request's, whose answer would wait for it.
          withHandling(undefined, () => this.flush());
        });
        return;
      }
      this.release(batch, outcomes);
    }
  }

  private release(batch: Pending[], outcomes: Array<{ ok: boolean; value: unknown }>): void {
    this.afterCommit();
    batch.forEach((p, i) => (outcomes[i].ok ? p.resolve(outcomes[i].value) : p.reject(outcomes[i].value)));
  }
}
