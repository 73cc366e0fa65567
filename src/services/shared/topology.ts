import { BUCKETS } from "./contracts.js";
import { openBucket } from "./kv.js";
import { openJetStream, resolveTopology, type NatsConnection, type TopologyOptions } from "./nats.js";

/** Order-number blocks are per day; three days of keys is plenty. */
export const ORDER_SEQUENCE_TTL_MS = 3 * 24 * 3600_000;

/**
 * Create every stream and KV bucket the system uses, once, before the services start. Each
 * service still ensures what it needs (it may run alone), but on a cluster many services
 * creating the same replicated stream at once is slow, so the harness does it first.
 */
export async function prepareTopology(nc: NatsConnection, options: TopologyOptions | undefined): Promise<void> {
  const topology = resolveTopology(options);
  await openJetStream(nc, topology);
  await openBucket(nc, BUCKETS.workers, { replicas: topology.replicas });
  await openBucket(nc, BUCKETS.instances, { replicas: topology.replicas });
  await openBucket(nc, BUCKETS.orderSequence, { replicas: topology.replicas, ttlMs: ORDER_SEQUENCE_TTL_MS });
  await openBucket(nc, BUCKETS.checkouts, { replicas: topology.replicas, ttlMs: ORDER_SEQUENCE_TTL_MS });
}
