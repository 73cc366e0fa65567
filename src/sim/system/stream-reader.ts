import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** Every message a stream holds right now, in order (an ordered consumer up to the last sequence). */
export async function readStream(nc: NatsConnection, stream: string): Promise<Array<{ seq: number; subject: string; data: string }>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: Array<{ seq: number; subject: string; data: string }> = [];
  if (info.state.messages === 0) return out;
  const last = info.state.last_seq;
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ seq: m.seq, subject: m.subject, data: m.string() });
    if (m.seq >= last) break;
  }
  return out;
}
