import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * Calls `then` once, at the connection's next reconnect (a broker restarted, a node of a cluster
 * gone and another taken); returns the way to stop watching. The connection is the JetStream
 * client's own (the client keeps it as `nc`).
 */
export function onReconnect(js: JetStreamClient, then: () => void): () => void {
  const nc = (js as unknown as { nc: NatsConnection }).nc;
  const statuses = nc.status() as AsyncIterable<{ type: string }> & { stop?: () => void };
  let watching = true;
  void (async () => {
    for await (const status of statuses) {
      if (status.type !== "reconnect") continue;
      if (watching) then();
      break;
    }
  })().catch(() => undefined);
  return () => {
    watching = false;
    statuses.stop?.();
  };
}
