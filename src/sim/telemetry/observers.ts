import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { BUCKETS, isWorkerOnline, STREAMS, type WorkerRecord } from "../../services/shared/contracts.js";
import { openBucket } from "../../services/shared/kv.js";
import type { QueueView } from "./run-events.js";

/**
 * Watches the kitchen worker registry (the same KV bucket tracking reads): every heartbeat and
 * state change of every worker, in this process or elsewhere.
 */
export class WorkerWatch {
  readonly records = new Map<string, WorkerRecord>();
  private stopFn: (() => void) | null = null;

  static async start(nc: NatsConnection, replicas: number): Promise<WorkerWatch> {
    const w = new WorkerWatch();
    const kv = await openBucket(nc, BUCKETS.workers, { replicas });
    const iter = await kv.watch();
    w.stopFn = () => iter.stop();
    void (async () => {
      for await (const e of iter) {
        if (e.operation !== "PUT") continue;
        try {
          const record = e.json() as WorkerRecord;
          w.records.set(record.name, record);
        } catch {
          // not a worker record
        }
      }
    })().catch(() => undefined);
    return w;
  }

  online(name: string, now = Date.now()): boolean {
    const r = this.records.get(name);
    return !!r && isWorkerOnline(r, now);
  }

  /**
   * Every online worker holds nothing: its record has caught up with the orders it finished (a
   * worker writes its state at most every 100 ms, so just after the last order is ready its
   * record may still say "cooking" it).
   */
  idle(now = Date.now()): boolean {
    for (const r of this.records.values()) {
      if (isWorkerOnline(r, now) && (r.current_order !== null || r.held > 0)) return false;
    }
    return true;
  }

  stop(): void {
    this.stopFn?.();
  }
}

/** Even with nothing new in the stream, the consumers are listed at least this often (a durable added meanwhile). */
const FULL_POLL_MS = 10_000;

/** Pending and in-flight messages of every durable consumer on ORDERS (JetStream consumer info). */
export class QueueWatch {
  private polledAtSeq: number | null = null;
  private polledAt = 0;

  private constructor(
    private readonly jsm: JetStreamManager,
    private readonly streamPosition?: () => number,
  ) {}
  latest: QueueView[] = [];

  /**
   * `streamPosition`: the last ORDERS sequence the harness has seen (its stream tap). When every
   * durable was settled at the last poll and the stream has not moved since, nothing can have
   * changed (a durable's pending and unacked counts only grow with new messages), so the poll
   * answers from the last figures instead of listing every consumer: an idle harness asked the
   * broker for all of them every second.
   */
  static async create(nc: NatsConnection, streamPosition?: () => number): Promise<QueueWatch> {
    return new QueueWatch(await jetstreamManager(nc), streamPosition);
  }

  async poll(): Promise<QueueView[]> {
    const seq = this.streamPosition?.() ?? null;
    const now = Date.now();
    if (seq !== null && seq === this.polledAtSeq && this.latest.length > 0 && this.idle() && now - this.polledAt < FULL_POLL_MS) return this.latest;
    try {
      const views: QueueView[] = [];
      for await (const info of this.jsm.consumers.list(STREAMS.orders)) {
        if (!info.config.durable_name) continue; // the harness's own ordered consumers
        views.push({ consumer: info.name, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered, delivered: info.delivered.consumer_seq });
      }
      views.sort((a, b) => a.consumer.localeCompare(b.consumer));
      this.latest = views;
      this.polledAtSeq = seq;
      this.polledAt = now;
    } catch {
      // Broker away: keep the last known figures.
    }
    return this.latest;
  }

  /** True when no durable consumer has anything pending or unacknowledged. */
  idle(): boolean {
    return this.latest.every((q) => q.pending === 0 && q.ackPending === 0);
  }
}
