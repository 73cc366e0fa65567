import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { AnyOrderEvent, DeadLetter } from "../services/shared/contracts.js";
import { checkOrderEvent } from "../services/shared/events.js";

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
  onMessage: (raw: { seq: number; subject: string; data: string }) => void;
}

/**
 * Follows a stream from the harness's side with an ordered consumer (recreated by the client on
 * gaps and reconnects), so the run learns when each stage happened from the events themselves,
 * not by polling the services' HTTP APIs.
 */
export class StreamTap {
  private messages: ConsumerMessages | null = null;
  private running = true;
  private loop: Promise<void>;
  private readonly watchdog: NodeJS.Timeout;
  private seenAtLastCheck = -1;
  /** The stream's last sequence when last asked (0 until known). */
  streamLastSeq = 0;
  lastSeq = 0;

  constructor(private readonly options: EventTapOptions) {
    this.loop = this.run();
    // A consumer whose leader moved (cluster failover) can go quiet without an error: if the
    // stream has moved on and we have not, start again from where we are.
    this.watchdog = setInterval(() => void this.checkProgress(), 2_000);
  }

  /** True when every message the stream held at the last check has been seen. */
  get caughtUp(): boolean {
    return this.lastSeq >= this.streamLastSeq;
  }

  /** Ask the stream how far it is; restart the consumer if we are behind and not moving. */
  async checkProgress(): Promise<void> {
    try {
      const jsm = await jetstreamManager(this.options.nc);
      this.streamLastSeq = (await jsm.streams.info(this.options.stream)).state.last_seq;
    } catch {
      return; // broker away: nothing to compare with
    }
    const stalled = this.lastSeq < this.streamLastSeq && this.lastSeq === this.seenAtLastCheck;
    this.seenAtLastCheck = this.lastSeq;
    if (stalled) this.messages?.stop();
  }

  private async run(): Promise<void> {
    const js = jetstream(this.options.nc);
    while (this.running) {
      try {
        const opts = this.lastSeq > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.lastSeq + 1 }
          : this.options.since
            ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.options.since.toISOString() }
            : { deliver_policy: DeliverPolicy.All };
        const consumer = await js.consumers.get(this.options.stream, opts);
        this.messages = await consumer.consume({ max_messages: 1_000, expires: 5_000 });
        for await (const m of this.messages) {
          this.lastSeq = m.seq;
          this.options.onMessage({ seq: m.seq, subject: m.subject, data: m.string() });
        }
      } catch {
        // The stream may not exist yet, or the broker is restarting: try again shortly.
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
