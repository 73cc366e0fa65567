import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, DeliverPolicy } from "@nats-io/jetstream";
import { STREAMS, type AnyOrderEvent, type DeadLetter } from "../../src/services/shared/contracts.js";

/** Every message on a stream, in order, read with an ordered consumer on its own connection. */
export async function readStream(natsUrl: string, stream: string = STREAMS.orders): Promise<Array<{ seq: number; subject: string; data: string }>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const last = info.state.last_seq;
    const out: Array<{ seq: number; subject: string; data: string }> = [];
    if (info.state.messages === 0) return out;
    const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume();
    for await (const m of messages) {
      out.push({ seq: m.seq, subject: m.subject, data: m.string() });
      if (m.seq >= last) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

export async function orderEvents(natsUrl: string): Promise<AnyOrderEvent[]> {
  return (await readStream(natsUrl)).map((m) => JSON.parse(m.data) as AnyOrderEvent);
}

export async function deadLetters(natsUrl: string): Promise<DeadLetter[]> {
  return (await readStream(natsUrl, STREAMS.deadLetters)).map((m) => JSON.parse(m.data) as DeadLetter);
}

/** Events grouped by order number: kinds in stream order. */
export function kindsByOrder(events: AnyOrderEvent[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of events) {
    const list = map.get(e.order_number) ?? [];
    list.push(e.kind);
    map.set(e.order_number, list);
  }
  return map;
}
