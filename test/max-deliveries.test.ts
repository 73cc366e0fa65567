import { AckPolicy, jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { STREAMS, subjects } from "../src/services/shared/contracts.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { forwardMaxDeliveries } from "../src/services/shared/max-deliveries.js";
import { useTestNats } from "./helpers/nats.js";
import { deadLetters } from "./helpers/stream.js";
import { waitFor } from "./helpers/wait.js";

describe("a message that runs out of deliveries without a handler failing", () => {
  const t = useTestNats();

  it("is copied to the dead-letter stream from the server's MAX_DELIVERIES advisory", async () => {
    const durable = "test_flaky_holder";
    await t.jsm.consumers.add(STREAMS.orders, { durable_name: durable, filter_subject: "pizzeria.order.paid.>", ack_policy: AckPolicy.Explicit, ack_wait: 500_000_000, max_deliver: 2 });
    const forwarder = forwardMaxDeliveries(t.nc, jetstream(t.nc), durable, silentLogger());
    const js = jetstream(t.nc);
    const subject = subjects.orderEvent("paid", "main", "takeout", "order-1");
    await js.publish(subject, '{"held":"and never acked"}', { msgID: "held-1" });
    // A holder that takes the message and dies without acking, twice.
    const consumer = await js.consumers.get(STREAMS.orders, durable);
    for (let i = 0; i < 2; i++) {
      const m = await consumer.next({ expires: 5_000 });
      expect(m?.info.deliveryCount).toBe(i + 1);
    }
    // The server notices when it would deliver a third time: to a holder asking for more.
    expect(await consumer.next({ expires: 2_000 })).toBeNull();
    const letters = await waitFor(async () => {
      const all = await deadLetters(t.broker.url);
      return all.length > 0 ? all : null;
    }, "the dead letter", 15_000);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ consumer: durable, subject, deliveries: 2, payload: '{"held":"and never acked"}' });
    expect(letters[0].reason).toMatch(/delivered 2 times without an ack/);
    forwarder.stop();
  });
});
