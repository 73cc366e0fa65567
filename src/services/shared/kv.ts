import { Kvm, type KV } from "@nats-io/kv";
import { retryWhileSettling, type NatsConnection } from "./nats.js";
import { errorMessage } from "./errors.js";

export type { KV };

/** Open a KV bucket, creating it when missing; safe when several services do it at once. */
export async function openBucket(nc: NatsConnection, name: string, options: { replicas: number; ttlMs?: number; history?: number }): Promise<KV> {
  const kvm = new Kvm(nc);
  return retryWhileSettling(`open KV bucket ${name}`, async () => {
    try {
      return await kvm.create(name, { replicas: options.replicas, history: options.history ?? 1, ...(options.ttlMs ? { ttl: options.ttlMs } : {}) });
    } catch (err) {
      if (!/already in use|exists/i.test(errorMessage(err))) throw err;
      return kvm.open(name);
    }
  });
}
