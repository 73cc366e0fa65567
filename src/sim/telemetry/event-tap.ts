import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { BatchPuller } from "../../services/shared/batch-pull.js";
import type { AnyOrderEvent, DeadLetter } from "../../services/shared/contracts.js";
import { checkOrderEvent } from "../../services/shared/events.js";

export interface TappedEvent {
  seq: number;
  subject: string;
  /** null when the message is not a valid order event (it will be dead-lettered by the services). */
  event: AnyOrderEvent | null;
}

export interface EventTapOptions {
  nc: NatsConnection;
  stream: string;
  /** Read from this wall-clock time on (a shared broker holds other runs' events); from the beginning when absent. */
  since?: Date;
  /**
   * Wait this long after a batch that was not full before pulling the next (default 0): fewer
   * wake-ups under load, each event seen up to this much later. Worth it when the events' stored
   * times (`storedAtMs`) are what the caller times things by.
   */
  lingerMs?: number;
  onMessage: (raw: { seq: number; subject: string; data: string; storedAtMs: number }) => void;
}

/**
 * Follows a stream from the harness's side, in order and without gaps, so the run learns when each
 * stage happened from the events themselves, not by polling the services' HTTP APIs. It is an
 * ordered consumer done by hand (what the client's ordered consumer does: an ephemeral consumer
 * without acks, recreated from the last sequence seen on a gap or when it goes quiet), pulled in
 * batches (BatchPuller) because the harness shares the machine with the system it measures and a
 * wake-up per event, five per order, cost both it and the nats-server a noticeable share.
 */
export class StreamTap {
  private messages: BatchPuller | null = null;
  private running = true;
  private loop: Promise<void>;
  private readonly watchdog: NodeJS.Timeout;
  private seenAtLastCheck = -1;
  private jsm: Promise<JetStreamManager> | null = null;
  /** The stream's last sequence when last asked (0 until known). */
  streamLastSeq = 0;
  lastSeq = 0;

  constructor(private readonly options: EventTapOptions) {
    this.loop = this.run();
    // A consumer whose leader moved (cluster failover) can go quiet without an error: if the
    // stream has moved on and we have not, start again from where we are. (The puller's idle
    // heartbeats notice a lost pull too; this is for a consumer that answers but delivers nothing.)
    this.watchdog = setInterval(() => void this.checkProgress(), 5_000);
  }

  /** True when every message the stream held at the last check has been seen. */
  get caughtUp(): boolean {
    return this.lastSeq >= this.streamLastSeq;
  }

  /** Ask the stream how far it is; restart the consumer if we are behind and not moving. */
  async checkProgress(): Promise<void> {
    try {
      // One manager for the tap's life: making one asks the server for the account's info each time.
      this.jsm ??= jetstreamManager(this.options.nc);
      const jsm = await this.jsm.catch((err: unknown) => {
        this.jsm = null;
        throw err;
      });
      this.streamLastSeq = (await jsm.streams.info(this.options.stream)).state.last_seq;
    } catch {
      return; // broker away: nothing to compare with
    }
    const stalled = this.lastSeq < this.streamLastSeq && this.lastSeq === this.seenAtLastCheck;
    this.seenAtLastCheck = this.lastSeq;
    if (stalled) this.messages?.stop();
  }

  /** Wait until every message the stream holds now has been seen, or `timeoutMs` passed (the broker away). */
  async catchUp(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    await this.checkProgress(); // learns how far the stream is (asked once: asking restarts a tap that has not moved)
    while (!this.caughtUp && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.caughtUp;
  }

  private async run(): Promise<void> {
    const { nc, stream } = this.options;
    const js = jetstream(nc);
    while (this.running) {
      let consumer: string | null = null;
      try {
        const start = this.lastSeq > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 }
          : this.options.since
            ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.options.since.toISOString() }
            : { deliver_policy: DeliverPolicy.All };
        const jsm = await jetstreamManager(nc);
        // Left behind (the harness killed), the server removes it after a minute without pulls.
        const info = await jsm.consumers.add(stream, { ...start, ack_policy: AckPolicy.None, mem_storage: true, num_replicas: 1, inactive_threshold: nanos(60_000) });
        consumer = info.name;
        const puller = new BatchPuller({ nc, apiPrefix: js.apiPrefix, stream, durable: consumer, max: 1_000 });
        this.messages = puller;
        if (!this.running) puller.stop();
        let expected = 1;
        while (!puller.stopped) {
          const batch = await puller.next();
          for (const m of batch) {
            // A delivery lost on the way (a reconnect): start again after the last one seen.
            if (m.info.deliverySequence !== expected++) throw new Error("gap in the deliveries");
            this.lastSeq = m.seq;
            this.options.onMessage({ seq: m.seq, subject: m.subject, data: m.string(), storedAtMs: m.time.getTime() });
          }
          await puller.lingerAfter(batch, this.options.lingerMs ?? 0);
        }
      } catch {
        // The stream may not exist yet, the broker is restarting, or deliveries were lost: start again shortly.
      } finally {
        this.messages?.stop();
        if (consumer) void jetstreamManager(nc).then((jsm) => jsm.consumers.delete(stream, consumer!)).catch(() => undefined);
      }
      if (this.running) await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.watchdog);
    this.running = false;
    this.messages?.stop();
    await this.loop;
  }
}

/** Decode an ORDERS message for the harness; a bad one is kept as `event: null`. */
export function decodeTapped(raw: { seq: number; subject: string; data: string }): TappedEvent {
  try {
    return { seq: raw.seq, subject: raw.subject, event: checkOrderEvent(JSON.parse(raw.data)) };
  } catch {
    return { seq: raw.seq, subject: raw.subject, event: null };
  }
}

export function decodeDeadLetter(data: string): DeadLetter | null {
  try {
    return JSON.parse(data) as DeadLetter;
  } catch {
    return null;
  }
}
