import type { JetStreamClient } from "@nats-io/jetstream";
import { STREAMS } from "./contracts.js";
import type { ConsumerRunner, ConsumerRunnerOptions } from "./consumer-settling.js";
import { metricsOf, type ServiceMetrics } from "./metrics.js";
import { runMessageConsumer } from "./message-consumer.js";
import { runOrderedBatchConsumer } from "./ordered-batch-consumer.js";

export { exponentialBackoff, type ConsumerRunner, type ConsumerRunnerOptions, type HandleResult } from "./consumer-settling.js";

/**
 * Pull messages from a durable consumer and hand them to `handle`, forever: the iterator is
 * recreated when the consumer or the connection goes away. A message that cannot be decoded, or
 * fails on its last allowed delivery, is published to the dead-letter stream with the reason and
 * terminated, so it never loops and never stops the consumer.
 *
 * Two runners behind one interface: with `batch`, the ordered batch runner of a one-instance
 * durable (ordered-batch-consumer.ts: a transaction per batch, AckPolicy.All aware); without it,
 * the per-message runner of a shared durable (message-consumer.ts: concurrent, acked one by one).
 */
export function runConsumer<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner {
  // A service's consumers are measured whether or not it says so (its client is bound to its metrics).
  const metrics = options.metrics ?? metricsOf(options.js);
  if (metrics) {
    options = { ...options, metrics };
    watchDurable(metrics, options.js, options.durable);
  }
  return options.batch ? runOrderedBatchConsumer(options) : runMessageConsumer(options);
}

/**
 * The durable's pending and ack-pending in the service's metrics, asked of the server at scrape
 * time (no timer); a broker that does not answer within a second leaves them out of that scrape.
 */
export function watchDurable(metrics: ServiceMetrics, js: JetStreamClient, durable: string): void {
  metrics.watchDurable(durable, async () => {
    const read = js.consumers.get(STREAMS.orders, durable).then((c) => c.info(false));
    const info = await Promise.race([read, new Promise<null>((r) => setTimeout(() => r(null), 1_000).unref())]);
    return info ? { pending: info.num_pending, ackPending: info.num_ack_pending } : null;
  });
}
