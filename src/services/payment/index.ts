import { CONSUMERS, subjects, type OrderEvent } from "../shared/contracts.js";
import { exponentialBackoff, runConsumer } from "../shared/consumer.js";
import { GroupCommit } from "../shared/group-commit.js";
import { decodeOrderEvent, headerOf, orderEvent } from "../shared/events.js";
import { forwardMaxDeliveries } from "../shared/max-deliveries.js";
import { activeMutant, mutantPicks } from "../shared/mutants.js";
import { ensureConsumer } from "../shared/nats.js";
import type { Db } from "../shared/db.js";
import { PruneOnWrite, readIdempotencyWindow } from "../shared/idempotency-window.js";
import { OUTBOX_SCHEMA, Outbox, type OutboxMessage } from "../shared/outbox.js";
import type { CommonServiceOptions } from "../shared/runtime.js";
import { ServiceLifecycle } from "../shared/service-lifecycle.js";
import { ProviderUnavailableError } from "../shared/errors.js";
import { serveControl } from "../shared/control.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { runRefunds } from "./refunds.js";
import { LEDGER_SCHEMA, PaymentLedger } from "./payment-ledger.js";
import { PaymentProvider, type ProviderSettings } from "./payment-provider.js";

export interface PaymentServiceOptions extends CommonServiceOptions {
  instance?: string;
  provider?: Partial<ProviderSettings>;
  /** Charges in progress at once (the provider is slow; payments are independent). */
  concurrency?: number;
}

export interface PaymentService {
  instance: string;
  provider: PaymentProvider;
  breaker: CircuitBreaker;
  /** GET /metrics (Prometheus text), on its own port (options.metricsPort). */
  metricsUrl: string;
  metricsPort: number;
  stop(): Promise<void>;
  abort(): Promise<void>;
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  order_number TEXT PRIMARY KEY,
  outcome      TEXT NOT NULL CHECK (outcome IN ('paid', 'payment_failed')),
  amount       REAL NOT NULL,
  payment_id   TEXT,
  reason       TEXT,
  attempts     INTEGER NOT NULL,
  decided_at   TEXT NOT NULL
) WITHOUT ROWID; -- one b-tree (the key) instead of a rowid table and an index on it: a page less per commit
CREATE TABLE IF NOT EXISTS refunds (
  order_number TEXT PRIMARY KEY,
  refund_id    TEXT NOT NULL,
  payment_id   TEXT NOT NULL,
  amount       REAL NOT NULL,
  refunded_at  TEXT NOT NULL
) WITHOUT ROWID;
${OUTBOX_SCHEMA}
${LEDGER_SCHEMA}
`;

/**
 * Forget the decisions made before `olderThanIso` (past the idempotency window: no delivery of
 * their OrderPlaced can come again). The provider's ledger is its own record and stays.
 */
export function prunePayments(db: Db, olderThanIso: string): number {
  return db.prepare("DELETE FROM payments WHERE decided_at < ?").run(olderThanIso).changes;
}

export const PROVIDER_DEFAULTS: ProviderSettings = { latencyMs: 20, failureRate: 0.05, seed: 1 };

/**
 * The payment step of the saga: for each OrderPlaced, charge the (mock) provider and record
 * OrderPaid or PaymentFailed with its outbox row in one transaction. A decided order is never
 * charged again. An unavailable provider is retried with backoff behind a circuit breaker. A paid
 * order the restaurant rejects is refunded once (refunds.ts): the saga's compensation.
 */
export async function start(options: PaymentServiceOptions): Promise<PaymentService> {
  const instance = options.instance ?? "payment-1";
  const life = await ServiceLifecycle.open("payment", instance, options, SCHEMA);
  return life.starting(() => startPaymentService(life, options, instance));
}

async function startPaymentService(life: ServiceLifecycle, options: PaymentServiceOptions, instance: string): Promise<PaymentService> {
  const { log, js, jsm, nc, db, topology } = life.rt;
  const ledger = new PaymentLedger(db);
  const provider = new PaymentProvider({ ...PROVIDER_DEFAULTS, ...options.provider }, ledger);
  const breaker = new CircuitBreaker(5, 2_000, (state) =>
    log.warn({ action: "circuit_breaker_changed", state }, `Payment provider circuit is ${state}`),
  );
  const outbox = new Outbox(db, js, log, { nc });
  outbox.start();
  const group = new GroupCommit(db, () => outbox.wake());

  const decided = db.prepare("SELECT outcome FROM payments WHERE order_number = ?");
  const pruner = new PruneOnWrite(await readIdempotencyWindow(jsm, log), (olderThan) => prunePayments(db, olderThan));
  const record = db.prepare(
    "INSERT OR IGNORE INTO payments (order_number, outcome, amount, payment_id, reason, attempts, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  let charged = 0;
  // TEST-ONLY: the self-test's deliberate bug (PIZZERIA_MUTANT), read here once; null in every real run.
  const mutant = activeMutant();

  async function pay(event: OrderEvent<"placed">, deliveries: number) {
    if (decided.get(event.order_number)) return; // decided before: its event is in the outbox or already out
    const wait = breaker.waitMs();
    if (wait > 0) return { retryInMs: wait };
    const amount = event.data.total_amount;
    let result;
    try {
      result = await provider.charge(event.order_number, amount);
      breaker.success();
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      breaker.failure();
      log.warn({ action: "payment_retry_scheduled", order_number: event.order_number, attempt: deliveries }, `Payment provider unavailable for ${event.order_number}; retrying`);
      return { retryInMs: exponentialBackoff(deliveries) };
    }
    const header = headerOf(event);
    const now = new Date();
    const message = result.approved
      ? orderEvent("paid", header, "received", instance, { amount, payment_id: result.payment_id }, now)
      : orderEvent("payment_failed", header, "received", instance, { amount, reason: result.reason }, now);
    // Decisions that come back together share one commit (payments run concurrently).
    await group.run(() => {
      const inserted = record.run(
        event.order_number,
        message.payload.kind,
        amount,
        result.approved ? result.payment_id : null,
        result.approved ? null : result.reason,
        deliveries,
        now.toISOString(),
      );
      if (inserted.changes !== 1) return;
      // TEST-ONLY mutant (never set in production): the decision is recorded, its event never written.
      if (mutant === "outbox-drop" && mutantPicks(event.order_number)) return;
      outbox.add(message);
      if (result.approved && (mutant === "payment-double-charge" || mutant === "payment-double-paid") && mutantPicks(event.order_number)) {
        chargeTwiceMutant(mutant, message as OutboxMessage & { payload: OrderEvent<"paid"> });
      }
    });
    charged++;
    pruner.afterWrite();
    if (result.approved) log.info({ action: "payment_approved", order_number: event.order_number, amount }, `Payment approved for ${event.order_number}`);
    else log.info({ action: "payment_declined", order_number: event.order_number, amount, reason: result.reason }, `Payment declined for ${event.order_number}: ${result.reason}`);
  }

  /**
   * TEST-ONLY mutants (never set in production): the card is charged a second time under a fresh
   * payment id, and with `payment-double-paid` a second OrderPaid names it, under a new msgID.
   */
  function chargeTwiceMutant(which: "payment-double-charge" | "payment-double-paid", paid: OutboxMessage & { payload: OrderEvent<"paid"> }): void {
    const again = `${paid.payload.data.payment_id}_again`;
    ledger.charge(again, paid.payload.order_number, paid.payload.data.amount);
    if (which === "payment-double-paid") outbox.add({ ...paid, id: `${paid.id}.again`, payload: { ...paid.payload, data: { ...paid.payload.data, payment_id: again } } });
  }

  await ensureConsumer(jsm, { durable: CONSUMERS.payment, filter: subjects.placed }, topology, log);
  forwardMaxDeliveries(nc, js, CONSUMERS.payment, log); // ends with the connection
  const consumer = runConsumer({
    js,
    durable: CONSUMERS.payment,
    log,
    metrics: life.rt.metrics,
    // Retries of an unavailable provider are expected; give them room before dead-lettering.
    maxDeliver: topology.maxDeliver,
    concurrency: options.concurrency ?? 64,
    decode: decodeOrderEvent,
    handle: (event, msg) => (event.kind === "placed" ? pay(event, msg.info.deliveryCount) : undefined),
  });

  const refunds = await runRefunds({ life, provider, outbox, instance, refundTwice: mutant === "refund-twice" });

  const control = serveControl(nc, "payment", instance, log, {
    /** Change the provider: `{latencyMs?, failureRate?, outageMs?}`. */
    provider(req: Partial<ProviderSettings> & { outageMs?: number }) {
      const { outageMs, ...settings } = req;
      for (const [k, v] of Object.entries(settings)) {
        if (!["latencyMs", "failureRate", "seed"].includes(k) || typeof v !== "number") throw new Error(`unknown provider setting ${k}`);
      }
      if (outageMs !== undefined) provider.outage(outageMs);
      log.warn({ action: "provider_reconfigured", ...req }, `Payment provider changed: ${JSON.stringify(req)}`);
      return { ...provider.configure(settings), inOutage: provider.inOutage };
    },
    /** Page through the provider's ledger: `{after, limit}` -> `{entries: [{seq, kind, payment_id, order_number, amount, at}], next}`. */
    ledger(req: { after?: number; limit?: number }) {
      const entries = ledger.page(Number(req.after) || 0, Math.max(1, Math.min(Number(req.limit) || 5000, 5000)));
      return { entries, next: entries.length > 0 ? entries[entries.length - 1].seq : null };
    },
    stats: () => ({ charged, breaker: breaker.state, outbox_pending: outbox.pending(), in_outage: provider.inOutage, provider: provider.current }),
  });

  log.info({ action: "service_started", provider: provider.current }, "Payment service started");
  life.own({
    consumers: [consumer, refunds],
    control,
    outbox,
    stopped: () => log.info({ action: "service_stopped", outbox_pending: outbox.pending() }, "Payment service stopped"),
  });
  life.rt.metrics.labelledGauge("payment_circuit_breaker_state", "The payment provider's circuit breaker: 1 for its current state, 0 for the others", "state", () =>
    Object.fromEntries((["closed", "open", "half_open"] as const).map((s) => [s, breaker.state === s ? 1 : 0])),
  );
  const metricsAt = await life.serveMetrics();
  return {
    instance,
    provider,
    breaker,
    metricsUrl: metricsAt.url,
    metricsPort: metricsAt.port,
    stop: () => life.stop(),
    abort: () => life.abort(),
  };
}
