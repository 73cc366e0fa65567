import { hostname } from "node:os";
import { isWorkerOnline, type OrderType, type WorkerRecord, type WorkerState } from "../shared/contracts.js";
import { WorkerNameTakenError } from "../shared/errors.js";
import type { KV } from "../shared/kv.js";
import { retryWhileSettling } from "../shared/nats.js";

export interface WorkerFigures {
  state: WorkerState;
  current_order: string | null;
  current_since: string | null;
  orders_cooked: number;
  busy_ms: number;
  held: number;
}

/** A record from an earlier run of a worker of this name on this host whose process is gone. */
function isDeadLocalProcess(record: WorkerRecord): boolean {
  if (record.hostname !== hostname() || record.pid === process.pid) return false;
  try {
    process.kill(record.pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The worker's entry in the `pizzeria_workers` bucket: claimed at start (refused while another
 * worker of the same name is online), rewritten at every heartbeat and state change, and marked
 * offline at a graceful stop. A crashed worker simply stops beating and turns offline after two
 * intervals.
 */
export class WorkerRegistration {
  private record: WorkerRecord;
  private lastWrite = 0;
  private pendingWrite: NodeJS.Timeout | null = null;

  constructor(
    private readonly kv: KV,
    name: string,
    orderTypes: OrderType[],
    prefetch: number,
    heartbeatIntervalMs: number,
  ) {
    const now = new Date().toISOString();
    this.record = {
      name,
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
   * Claim the name; throws WorkerNameTakenError while a worker of that name is online.
   * `takeOver`: the caller knows the previous holder is dead (it crashed it itself, in this
   * process), so its still-fresh heartbeat does not count.
   */
  async claim(takeOver = false): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // At start the broker may be busy creating the bucket for several services at once: a read that times out is tried again.
      const entry = await retryWhileSettling(`read worker ${this.record.name}`, () => this.kv.get(this.record.name));
      const existing = entry && entry.operation === "PUT" ? (entry.json() as WorkerRecord) : null;
      if (existing && isWorkerOnline(existing) && !isDeadLocalProcess(existing) && !takeOver) {
        throw new WorkerNameTakenError(this.record.name, existing.last_seen);
      }
      this.record.last_seen = new Date().toISOString();
      try {
        await (entry ?  this.kv.update(this.record.name, JSON.stringify(this.record), entry.revision) : this.kv.create(this.record.name, JSON.stringify(this.record)));
        return;
      } catch (err) {
        // Someone wrote the key between our read and write: look again.
        if (!/wrong last sequence|exists/i.test((err as Error).message)) throw err;
      }
    }
    throw new WorkerNameTakenError(this.record.name, "just now");
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
    await this.write();
  }

  cancel(): void {
    if (this.pendingWrite) clearTimeout(this.pendingWrite);
    this.pendingWrite = null;
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
