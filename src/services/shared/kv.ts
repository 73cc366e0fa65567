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
      // Created by another service meanwhile: the server says "already in use", or, when the two
      // creates cross inside it, "subjects overlap with an existing stream" (the bucket's own).
      if (!/already in use|exists|subjects overlap/i.test(errorMessage(err))) throw err;
      return kvm.open(name);
    }
  });
}
