import { CONSUMERS, SUBJECT_ROOT, subjects, type EventKind } from "./contracts.js";
import type { DurableSpec } from "./nats.js";
import type { ServerFeatures } from "./server-features.js";

// The durables whose filter depends on the server (server-features.ts). On 2.10 and newer the
// broker filters them, with several subjects where one durable wants several; on 2.9 they take
// every order event (one filter subject is all 2.9 has, and a filter over a backlog costs 2.9 a
// scan per delivery: see consumerConfig) and skip what they do not want themselves. The consumer
// code skips it on every version, so a durable left with the other version's filter (a store
// carried from one server to another) is handled the same.
//
// Only the order service's status durable: with one order instance it saves 2 of its 6 deliveries
// per order at no measured cost, with three it saves 14 of 18 (the raw JetStream topology: about a
// quarter less CPU per order). The notification durables would skip only OrderPlaced: on 2.15 the
// broker's matching of seven filter subjects cost about what the skipped deliveries saved, so they
// stay unfiltered on every version (README, Which nats-server).

/** The events the order service applies to its orders: everything but what it publishes itself (placed, completed, cancelled). */
export const ORDER_STATUS_KINDS: readonly EventKind[] = ["paid", "payment_failed", "accepted", "rejected", "refunded", "cooking", "ready"];

/** `pizzeria.order.<kind>.*.*.<origin>`: one kind of event of one origin, of every restaurant and type. */
function kindSubject(kind: EventKind, origin: string): string {
  return `${SUBJECT_ROOT}.order.${kind}.*.*.${origin}`;
}

/** The order service's status durable: on 2.10+, only the events of its own orders that it applies. */
export function orderStatusDurable(instance: string, features: ServerFeatures): DurableSpec {
  const spec: DurableSpec = { durable: CONSUMERS.order(instance), filter: subjects.allOrderEvents, ordered: true };
  return features.filterSubjects ? { ...spec, filters: ORDER_STATUS_KINDS.map((k) => kindSubject(k, instance)) } : spec;
}
