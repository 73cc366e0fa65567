import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS, type DeadLetter } from "../../services/shared/contracts.js";
import { readStream } from "./stream-reader.js";

export interface StoredDeadLetter extends DeadLetter {
  /** Sequence in the DLQ stream (what `replay --seq` takes). */
  seq: number;
}

/** Every dead letter held, oldest first. */
export async function listDeadLetters(nc: NatsConnection): Promise<StoredDeadLetter[]> {
  const out: StoredDeadLetter[] = [];
  for (const m of await readStream(nc, STREAMS.deadLetters)) {
    try {
      out.push({ ...(JSON.parse(m.data) as DeadLetter), seq: m.seq });
    } catch {
      out.push({ seq: m.seq, stream: "?", consumer: "?", subject: m.subject, stream_seq: 0, deliveries: 0, reason: "unreadable dead letter", at: "", payload: m.data });
    }
  }
  return out;
}

export interface ReplayResult {
  replayed: number[];
  failed: Array<{ seq: number; error: string }>;
}

/**
 * Publish dead letters' original payloads to their original subjects again (after a fix, say),
 * then remove them from the DLQ unless `keep`. Every consumer of that subject sees the message
 * again; they are idempotent, so only the consumer that gave up acts on it. A message that is
 * still poison simply comes back to the DLQ.
 */
export async function replayDeadLetters(nc: NatsConnection, letters: StoredDeadLetter[], keep = false): Promise<ReplayResult> {
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const result: ReplayResult = { replayed: [], failed: [] };
  for (const letter of letters) {
    try {
      await js.publish(letter.subject, letter.payload, { msgID: `replay.${STREAMS.deadLetters}.${letter.seq}` });
      if (!keep) await jsm.streams.deleteMessage(STREAMS.deadLetters, letter.seq);
      result.replayed.push(letter.seq);
    } catch (err) {
      result.failed.push({ seq: letter.seq, error: (err as Error).message });
    }
  }
  return result;
}
