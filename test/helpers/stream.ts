import { connect } from "@nats-io/transport-node";
import { readStream as readStreamOn } from "../../src/sim/system/stream-reader.js";
import { STREAMS, type AnyOrderEvent, type DeadLetter } from "../../src/services/shared/contracts.js";
import { waitFor } from "./wait.js";

/** Every message on a stream, in order, read on its own connection. */
export async function readStream(natsUrl: string, stream: string = STREAMS.orders): Promise<Array<{ seq: number; subject: string; data: string }>> {
  const nc = await connect({ servers: natsUrl });
  try {
    return await readStreamOn(nc, stream);
  } finally {
    await nc.close();
  }
}

/** A stream's configuration as the broker holds it. */
export async function streamConfig(natsUrl: string, stream: string = STREAMS.orders): Promise<{ max_age: number; max_bytes: number }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const { jetstreamManager } = await import("@nats-io/jetstream");
    return (await (await jetstreamManager(nc)).streams.info(stream)).config;
  } finally {
    await nc.close();
  }
}

export async function orderEvents(natsUrl: string): Promise<AnyOrderEvent[]> {
  return (await readStream(natsUrl)).map((m) => JSON.parse(m.data) as AnyOrderEvent);
}

/**
 * The order events `keep` selects, once there is at least one on the stream: a service answers
 * (201) when its write is committed, and the event goes out through its outbox after that.
 */
export function orderEventsOnce<E extends AnyOrderEvent = AnyOrderEvent>(natsUrl: string, keep: (e: AnyOrderEvent) => boolean, what: string): Promise<E[]> {
  return waitFor(async () => {
    const kept = (await orderEvents(natsUrl)).filter(keep) as E[];
    return kept.length > 0 ? kept : null;
  }, what);
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
