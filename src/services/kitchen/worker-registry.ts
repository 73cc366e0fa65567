import { hostname } from "node:os";
import { BUCKETS, type OrderType, type WorkerRecord, type WorkerState } from "../shared/contracts.js";
import { WorkerNameTakenError } from "../shared/errors.js";
import type { KV } from "../shared/kv.js";
import { claimPresence, releasePresence, type InstanceClaim } from "../shared/presence.js";

export interface WorkerFigures {
  state: WorkerState;
  current_order: string | null;
  current_since: string | null;
  orders_cooked: number;
  busy_ms: number;
  held: number;
}

/**
 * The worker's entry in the `pizzeria_workers` bucket: claimed at start (refused while another
 * worker of the same name is online), rewritten at every heartbeat and state change, and marked
 * offline at a graceful stop. A crashed worker simply stops beating and turns offline after two
 * intervals. It is the kitchen's InstanceClaim: the worker's record is its presence.
 */
export class WorkerRegistration implements InstanceClaim {
  private record: WorkerRecord;
  private lastWrite = 0;
  private pendingWrite: NodeJS.Timeout | null = null;

  constructor(
    private readonly kv: KV,
    name: string,
    restaurant: string,
    orderTypes: OrderType[],
    prefetch: number,
    heartbeatIntervalMs: number,
    /** Claim the name even though its heartbeat is fresh: the previous holder is known dead (crashed in this process). */
    private readonly takeOver = false,
  ) {
    const now = new Date().toISOString();
    this.record = {
      name,
      restaurant,
      order_types: orderTypes,
      state: "starting",
      current_order: null,
      current_since: null,
      orders_cooked: 0,
      busy_ms: 0,
      held: 0,
      prefetch,
      heartbeat_interval_ms: heartbeatIntervalMs,
      last_seen: now,
      started_at: now,
      hostname: hostname(),
      pid: process.pid,
    };
  }

  get current(): WorkerRecord {
    return this.record;
  }

  /**
   * Claim the name; throws WorkerNameTakenError while a worker of that name is online (and not
   * known to be gone: a dead process on this host, or a crashed worker of this process).
   * `takeOver`: the caller knows the previous holder is dead (it crashed it itself, in this
   * process), so its still-fresh heartbeat does not count.
   */
  async claim(takeOver = this.takeOver): Promise<void> {
    await claimPresence<WorkerRecord>({
      kv: this.kv,
      bucket: BUCKETS.workers,
      key: this.record.name,
      record: () => {
        this.record.last_seen = new Date().toISOString();
        return this.record;
      },
      refusal: (existing) => new WorkerNameTakenError(this.record.name, existing?.last_seen ?? "just now"),
      takeOver,
    });
  }

  /** Record new figures; written at once unless the last write was under `minGapMs` ago (then shortly after). */
  update(figures: Partial<WorkerFigures>, minGapMs = 100): void {
    Object.assign(this.record, figures);
    const wait = this.lastWrite + minGapMs - Date.now();
    if (wait <= 0) {
      void this.write();
    } else if (!this.pendingWrite) {
      this.pendingWrite = setTimeout(() => {
        this.pendingWrite = null;
        void this.write();
      }, wait);
    }
  }

  /** A heartbeat: the same record with a fresh last_seen. */
  beat(): Promise<void> {
    return this.write();
  }

  async signOff(): Promise<void> {
    if (this.pendingWrite) clearTimeout(this.pendingWrite);
    this.pendingWrite = null;
    this.record.state = "offline";
    this.record.current_order = null;
    this.record.current_since = null;
    releasePresence(BUCKETS.workers, this.record.name);
    await this.write();
  }

  cancel(): void {
    if (this.pendingWrite) clearTimeout(this.pendingWrite);
    this.pendingWrite = null;
    releasePresence(BUCKETS.workers, this.record.name);
  }

  private async write(): Promise<void> {
    this.lastWrite = Date.now();
    this.record.last_seen = new Date(this.lastWrite).toISOString();
    try {
      await this.kv.put(this.record.name, JSON.stringify(this.record));
    } catch {
      // The broker may be down; the next heartbeat tries again. Being seen late is the honest signal.
    }
  }
}
