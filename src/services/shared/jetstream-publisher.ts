import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { errorMessage } from "./errors.js";

export interface PublishItem {
  subject: string;
  data: string | Uint8Array;
  /** JetStream de-duplicates on it within the stream's duplicate window. */
  msgID: string;
}

export type PublishOutcome = { ok: true } | { ok: false; error: string };

/**
 * JetStream publish for batches: every message goes out as a plain NATS publish with the
 * `Nats-Msg-Id` header and a reply subject under one inbox of ours; one subscription collects the
 * PubAcks. The same protocol as `js.publish()` (which is a request per message), without a timer,
 * a promise chain, a mux entry and two Error objects per message: in the accept profile that
 * per-request machinery cost as much CPU as the SQLite commit.
 */
export class JetStreamPublisher {
  private readonly prefix = createInbox();
  private readonly waiting = new Map<string, (outcome: PublishOutcome) => void>();
  private readonly sub: Subscription;
  private seq = 0;

  constructor(private readonly nc: NatsConnection) {
    this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => (err ? undefined : this.onReply(msg)) });
  }

  /** Publish every item (in this order, in one write); resolves with an outcome per item once each is acknowledged, refused or timed out. */
  publishAll(items: readonly PublishItem[], timeoutMs: number): Promise<PublishOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const outcomes: PublishOutcome[] = new Array(items.length);
      const tokens: string[] = [];
      let left = items.length;
      let finished = false;
      const finish = () => {
        finished = true;
        clearTimeout(timer);
        resolve(outcomes);
      };
      const timer = setTimeout(() => {
        for (let i = 0; i < tokens.length; i++) {
          if (this.waiting.delete(tokens[i])) outcomes[i] = { ok: false, error: `no PubAck within ${timeoutMs} ms` };
        }
        if (!finished) finish();
      }, timeoutMs);
      items.forEach((item, i) => {
        const token = String(++this.seq);
        tokens.push(token);
        const settle = (outcome: PublishOutcome) => {
          outcomes[i] = outcome;
          if (--left === 0 && !finished) finish();
        };
        this.waiting.set(token, settle);
        try {
          const h = headers();
          h.set("Nats-Msg-Id", item.msgID);
          this.nc.publish(item.subject, item.data, { reply: `${this.prefix}.${token}`, headers: h });
        } catch (err) {
          this.waiting.delete(token);
          settle({ ok: false, error: errorMessage(err) });
        }
      });
    });
  }

  close(): void {
    try {
      this.sub.unsubscribe();
    } catch {
      // the connection is already closed
    }
  }

  private onReply(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const settle = this.waiting.get(token);
    if (!settle) return; // timed out already
    this.waiting.delete(token);
    if (msg.headers?.hasError || msg.data.length === 0) {
      // 503: no stream listens on the subject (no responders).
      settle({ ok: false, error: `JetStream refused the message: ${msg.headers?.code ?? ""} ${msg.headers?.description ?? "no responders"}`.trim() });
      return;
    }
    try {
      const ack = JSON.parse(msg.string()) as { stream?: string; error?: { code?: number; description?: string } };
      if (ack.error) settle({ ok: false, error: `JetStream refused the message: ${ack.error.code ?? ""} ${ack.error.description ?? ""}`.trim() });
      else if (ack.stream) settle({ ok: true });
      else settle({ ok: false, error: "invalid PubAck" });
    } catch (err) {
      settle({ ok: false, error: `invalid PubAck: ${errorMessage(err)}` });
    }
  }
}
