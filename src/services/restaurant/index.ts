import { CONSUMERS, subjects, type OrderEvent } from "../shared/contracts.js";
import { runConsumer } from "../shared/consumer.js";
import { serveControl } from "../shared/control.js";
import { decodeOrderEvent } from "../shared/events.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { ensureConsumer } from "../shared/nats.js";
import { Outbox } from "../shared/outbox.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { immediate } from "../shared/db.js";
import { PaidOrders, RESTAURANT_SCHEMA } from "./decisions.js";

export interface RestaurantServiceOptions extends CommonServiceOptions {
  /** Instance name (default `restaurant-1`). */
  instance?: string;
}

export interface RestaurantService {
  instance: string;
  orders: PaidOrders;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The restaurants' side of the saga: every paid order is answered by its restaurant, accepted
 * (OrderAccepted: its kitchen cooks it) or rejected (OrderRejected: the payment service refunds
 * it). Each paid order is remembered once and decided once; the decision and its event are one
 * transaction with the outbox, so a redelivered OrderPaid changes nothing.
 */
export async function start(options: RestaurantServiceOptions): Promise<RestaurantService> {
  const instance = options.instance ?? "restaurant-1";
  const life = await ServiceLifecycle.open("restaurant", instance, options, RESTAURANT_SCHEMA);
  return life.starting(() => startRestaurantService(life, instance));
}

async function startRestaurantService(life: ServiceLifecycle, instance: string): Promise<RestaurantService> {
  const { log, js, jsm, nc, db, topology } = life.rt;
  const outbox = new Outbox(db, js, log, { nc });
  outbox.start();
  const orders = new PaidOrders(db, outbox);

  function answer(event: OrderEvent<"paid">): void {
    const outcome = immediate(db, () => {
      orders.receive(event);
      return orders.decideInside(event.order_number, "accepted", instance, null);
    });
    if (outcome.result !== "decided") return; // answered before: a redelivery
    outbox.wake();
    log.info({ action: "order_accepted", order_number: event.order_number, restaurant: event.restaurant }, `Order ${event.order_number} accepted by ${event.restaurant}`);
  }

  await ensureConsumer(jsm, { durable: CONSUMERS.restaurant, filter: subjects.paid }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.restaurant, log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.restaurant,
    log,
    maxDeliver: topology.maxDeliver,
    decode: decodeOrderEvent,
    handle: (event) => (event.kind === "paid" ? answer(event) : undefined),
  });

  const control = serveControl(nc, "restaurant", instance, log, {
    stats: () => ({ orders: orders.counts(), outbox_pending: outbox.pending() }),
  });
  log.info({ action: "service_started" }, "Restaurant service started");
  life.own({
    consumers: [consumer],
    control,
    outbox,
    stopped: () => log.info({ action: "service_stopped", outbox_pending: outbox.pending() }, "Restaurant service stopped"),
  });
  return { instance, orders, stop: () => life.stop(), abort: () => life.abort() };
}
