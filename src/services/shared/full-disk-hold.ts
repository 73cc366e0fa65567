import type { JsMsg } from "@nats-io/jetstream";
import type { StorageFullError } from "./errors.js";

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2_000;

/**
 * A consumer whose write the disk refused keeps the message(s) instead of handing them back: each
 * hand-back is a delivery, and a disk that stays full longer than the backoff's sum over
 * max_deliver (about 80 s by default) would send a message that is fine to the dead-letter stream.
 * Held, a message is told to the server to be in progress (`working()` at a third of ack_wait: it
 * is not redelivered and no delivery is counted), and its write is tried again when the disk may
 * take it: at once when the database's guard says so (disk_full released, another commit went
 * through), otherwise after a backoff of 100 ms doubling to 2 s. That timer is the probe: no file
 * system tells a process that space was freed, and the write itself is the only honest test of a
 * real full disk (a probe row may fit in a page the WAL already has while the real write does not).
 * While disk_full holds the database nothing is tried at all: only the release, or a stop, ends the wait.
 */
export class FullDiskHold {
  private waitMs = FIRST_RETRY_MS;
  private readonly beat: NodeJS.Timeout | null = null;

  /** `ackWaitMs` 0: the caller keeps the messages alive itself (a kitchen's hand does). */
  constructor(private readonly msgs: () => Iterable<JsMsg>, ackWaitMs: number) {
    if (ackWaitMs <= 0) return;
    this.keepAlive();
    this.beat = setInterval(() => this.keepAlive(), Math.max(50, Math.floor(ackWaitMs / 3)));
  }

  /** Wait until the write may be tried again; false once `running()` turned false (the runner stops). */
  async next(err: StorageFullError | unknown, running: () => boolean): Promise<boolean> {
    const disk = (err as StorageFullError | null)?.disk;
    do {
      if (!running()) return false;
      await (disk ? disk.mayBeWritable(this.waitMs) : new Promise((r) => setTimeout(r, this.waitMs)));
      this.waitMs = Math.min(this.waitMs * 2, LAST_RETRY_MS);
    } while (disk?.shut);
    return running();
  }

  end(): void {
    if (this.beat) clearInterval(this.beat);
  }

  private keepAlive(): void {
    for (const msg of this.msgs()) {
      try {
        msg.working();
      } catch {
        // the connection is gone: the server redelivers after ack_wait whatever we do
      }
    }
  }
}
