import { AckPolicy, DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { CONSUMERS, STREAMS, subjects } from "../src/services/shared/contracts.js";
import { ORDER_STATUS_KINDS, orderStatusDurable } from "../src/services/shared/durables.js";
import { consumerConfig, consumerFilters, ensureConsumer, resolveTopology } from "../src/services/shared/nats.js";
import { featuresOf, serverFeatures } from "../src/services/shared/server-features.js";
import { useTestNats } from "./helpers/nats.js";

// VERSION-DEPENDENT: the order service's status durable is filtered by the broker on nats-server
// 2.10 and newer, and take every order event on 2.9 (which skips nothing itself and would scan its
// store per delivery for a filtered consumer that is behind). Each test asserts the behaviour of the
// version it runs on: the whole suite runs on the current release, .ci/run runs this file on 2.9.10.
const topology = resolveTopology(undefined);

describe("what the server can do, from the version it announced", () => {
  it("filter_subjects from 2.10 on; 2.9 and a version that cannot be read take the 2.9 way", () => {
    expect(featuresOf("2.9.10").filterSubjects).toBe(false);
    expect(featuresOf("2.10.0").filterSubjects).toBe(true);
    expect(featuresOf("v2.15.1").filterSubjects).toBe(true);
    expect(featuresOf(undefined)).toEqual({ version: "unknown", filterSubjects: false });
    expect(featuresOf("nonsense").filterSubjects).toBe(false);
  });

  it("declares the status durable with the broker's filters on 2.10+ and unfiltered on 2.9", () => {
    const on29 = featuresOf("2.9.10");
    const on215 = featuresOf("2.15.1");
    expect(consumerConfig(orderStatusDurable("order-1", on29), topology)).toMatchObject({ filter_subject: undefined, filter_subjects: undefined });
    expect(consumerConfig(orderStatusDurable("order-1", on215), topology).filter_subjects).toEqual(ORDER_STATUS_KINDS.map((k) => `pizzeria.order.${k}.*.*.order-1`));
  });
});

describe("the order service's status durable on the test's nats-server", () => {
  const t = useTestNats();
  const js = () => jetstream(t.nc);
  const durable = CONSUMERS.order("order-1");
  const event = (kind: "placed" | "paid" | "ready" | "completed", origin = "order-1") => subjects.orderEvent(kind, "main", "takeout", origin);

  it("is delivered only its own orders' events that it applies on 2.10+, every event on 2.9", async () => {
    const features = serverFeatures(t.nc);
    expect(features.version).toBe(t.broker.version);
    await ensureConsumer(t.jsm, orderStatusDurable("order-1", features), topology);
    for (const s of [event("placed"), event("paid"), event("paid", "order-2"), event("ready"), event("completed")]) await js().publish(s, "{}");
    const info = await t.jsm.consumers.info(STREAMS.orders, durable);
    if (features.filterSubjects) {
      expect(info.config.filter_subjects).toEqual(ORDER_STATUS_KINDS.map((k) => `pizzeria.order.${k}.*.*.order-1`));
      expect(info.num_pending).toBe(2); // its paid and ready: not its own placed and completed, not order-2's paid
    } else {
      expect(consumerFilters(info.config)).toEqual([subjects.allOrderEvents]);
      expect(info.num_pending).toBe(5); // the service skips the rest itself
    }
  });

  it("an existing durable with the other version's filter gets this version's in place, keeping its position", async () => {
    const features = serverFeatures(t.nc);
    const name = CONSUMERS.order("order-9");
    // What the other version would have left: 2.9's unfiltered durable under 2.10+; under 2.9, a
    // one-subject filter (2.9 reads a 2.10+ durable's filter_subjects as no filter at all).
    const other = features.filterSubjects ? { filter_subject: undefined } : { filter_subject: subjects.ownedBy("order-9") };
    // From the messages published after it (the stream holds the other test's too).
    await t.jsm.consumers.add(STREAMS.orders, { durable_name: name, ack_policy: AckPolicy.All, deliver_policy: DeliverPolicy.New, ...other });
    for (const s of [event("paid", "order-9"), event("ready", "order-9")]) await js().publish(s, "{}");
    const consumer = await js().consumers.get(STREAMS.orders, name);
    const first = await consumer.next({ expires: 5_000 });
    expect(first?.subject).toBe(event("paid", "order-9"));
    await first!.ackAck();
    const before = await t.jsm.consumers.info(STREAMS.orders, name);

    const aligned = await ensureConsumer(t.jsm, orderStatusDurable("order-9", features), topology);
    const after = await t.jsm.consumers.info(STREAMS.orders, name);
    expect(consumerFilters(aligned.config)).toEqual(consumerFilters(consumerConfig(orderStatusDurable("order-9", features), topology)));
    expect(consumerFilters(after.config)).toEqual(consumerFilters(aligned.config));
    expect(after.ack_floor.stream_seq).toBe(before.ack_floor.stream_seq);
    expect(after.delivered.stream_seq).toBe(before.delivered.stream_seq);
    // What is left for it after its position: order-9's ready, on either filter.
    const next = await consumer.next({ expires: 5_000 });
    expect(next?.subject).toBe(event("ready", "order-9"));
    await next!.ackAck();
  });
});
