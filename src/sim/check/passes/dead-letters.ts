/**
 * The dead-letters pass: a dead letter, or a malformed message on ORDERS, is a fault of the
 * system unless the run put it there. The `poison` fault publishes malformed messages on purpose;
 * each must be dead-lettered exactly once by every consumer that receives it (and by no other),
 * and none may loop. Anything else on the DLQ (a consumer that gave up on a real event, say a
 * worker's event republished under a new id) is `deadLettered`; any other malformed message on
 * the stream, or an injected one not dead-lettered exactly once per consumer, is `poisonUnhandled`.
 */
import { subjectMatches, subjects } from "../../../services/shared/contracts.js";
import type { ConsumerRecord, DeadLetterInput, DeadLetterRecord, Finding, InjectedPoison, StreamRecord } from "../checker-types.js";

export interface DeadLettersPass {
  deadLettered: Finding[];
  poisonUnhandled: Finding[];
}

/** Whether a consumer is delivered a message on this subject (its filter, and the origin it keeps to). */
export function receives(consumer: ConsumerRecord, subject: string): boolean {
  if (!(consumer.filters ?? [consumer.filter]).some((f) => subjectMatches(f, subject))) return false;
  return consumer.origin === undefined || subjectMatches(subjects.ownedBy(consumer.origin), subject);
}

function describeLetter(l: DeadLetterRecord): string {
  return `${l.consumer} dead-lettered ORDERS seq ${l.streamSeq} (${l.subject}): ${l.reason}`;
}

export function checkDeadLetters(input: DeadLetterInput | undefined, stream: readonly StreamRecord[]): DeadLettersPass {
  const deadLettered: Finding[] = [];
  const poisonUnhandled: Finding[] = [];
  const letters = input?.letters ?? [];
  const injected = new Map<number, InjectedPoison>();
  for (const p of input?.injected ?? []) injected.set(p.seq, p);

  for (const rec of stream) {
    if (rec.event === null && !injected.has(rec.seq)) {
      poisonUnhandled.push({ streamSeq: rec.seq, reason: `a malformed message at ORDERS seq ${rec.seq} (${rec.subject}) that the run did not inject` });
    }
  }

  /** Dead letters of each injected message, by consumer. */
  const ofInjected = new Map<number, Map<string, number>>();
  for (const l of letters) {
    const poison = injected.get(l.streamSeq);
    if (!poison) {
      deadLettered.push({ ...(l.orderNumber !== undefined ? { orderNumber: l.orderNumber } : {}), consumer: l.consumer, streamSeq: l.streamSeq, reason: describeLetter(l) });
      continue;
    }
    const byConsumer = ofInjected.get(l.streamSeq) ?? new Map<string, number>();
    byConsumer.set(l.consumer, (byConsumer.get(l.consumer) ?? 0) + 1);
    ofInjected.set(l.streamSeq, byConsumer);
  }

  const consumers = input?.consumers ?? [];
  for (const poison of injected.values()) {
    const byConsumer = ofInjected.get(poison.seq) ?? new Map<string, number>();
    const where = `injected poison ${poison.id} (ORDERS seq ${poison.seq})`;
    for (const c of consumers) {
      if (!receives(c, poison.subject)) continue;
      const n = byConsumer.get(c.name) ?? 0;
      if (n !== 1) {
        poisonUnhandled.push({ consumer: c.name, streamSeq: poison.seq, reason: n === 0 ? `${c.name} never dead-lettered ${where}` : `${c.name} dead-lettered ${where} ${n} times` });
      }
    }
    for (const [name, n] of byConsumer) {
      const c = consumers.find((x) => x.name === name);
      if (c && receives(c, poison.subject)) continue;
      deadLettered.push({ consumer: name, streamSeq: poison.seq, reason: `${name} dead-lettered ${where}${n > 1 ? ` ${n} times` : ""}, which it is never delivered` });
    }
  }
  return { deadLettered, poisonUnhandled };
}
