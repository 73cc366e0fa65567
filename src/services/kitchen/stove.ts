import { eventId, type OrderType } from "../shared/contracts.js";
import { immediate, type Db } from "../shared/db.js";
import { errorField, StorageFullError } from "../shared/errors.js";
import { FullDiskHold } from "../shared/full-disk-hold.js";
import { headerOf, orderEvent } from "../shared/events.js";
import type { PruneOnWrite } from "../shared/idempotency-window.js";
import type { Logger } from "../shared/logger.js";
import { mutantPicks, type MutantName } from "../shared/mutants.js";
import type { Outbox, OutboxMessage } from "../shared/outbox.js";
import { Aborted, type Abortable } from "./abortable.js";
import type { Hand, HeldOrder } from "./hand.js";
import type { WorkerRegistration } from "./worker-registry.js";

/** Instant cooking (cooking time 0) commits at most this often; what arrives meanwhile shares the transaction. */
const INSTANT_GAP_MS = 2;

export interface StoveOptions {
  name: string;
  db: Db;
  outbox: Outbox;
  log: Logger;
  hand: Hand;
  registration: WorkerRegistration;
  abortable: Abortable;
  /** Cooking time of an order of this type, with the current slow-down applied. */
  cookTimeFor(type: OrderType): number;
  /** False once the worker stops taking work. */
  running(): boolean;
  /** TEST-ONLY (PIZZERIA_MUTANT, see shared/mutants.ts): the self-test's deliberate kitchen bug, null in every real run. */
  mutant?: MutantName | null;
  /** Prunes the cooks past the idempotency window, after the writes that add cooks. */
  pruner?: PruneOnWrite;
}

/**
 * Forget the cooks finished before `olderThanIso` (past the idempotency window: no delivery of
 * their order can come again), folding them into the totals a restarted worker starts from.
 */
export function pruneCooks(db: Db, olderThanIso: string): number {
  return immediate(db, () => {
    const gone = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(cook_ms), 0) AS ms FROM cooks WHERE state = 'ready' AND finished_at < ?").get(olderThanIso) as { n: number; ms: number };
    if (gone.n === 0) return 0;
    db.prepare("INSERT INTO cooks_pruned (id, n, ms) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET n = n + excluded.n, ms = ms + excluded.ms").run(gone.n, gone.ms);
    db.prepare("DELETE FROM cooks WHERE state = 'ready' AND finished_at < ?").run(olderThanIso);
    return gone.n;
  });
}

/** What the worker's database says it cooked, pruned cooks included. */
export function cookTotals(db: Db): { n: number; ms: number } {
  const kept = db.prepare("SELECT COUNT(*) AS n, COALESCE(SUM(cook_ms), 0) AS ms FROM cooks WHERE state = 'ready'").get() as { n: number; ms: number };
  const pruned = db.prepare("SELECT n, ms FROM cooks_pruned WHERE id = 1").get() as { n: number; ms: number } | undefined;
  return { n: kept.n + (pruned?.n ?? 0), ms: kept.ms + (pruned?.ms ?? 0) };
}

/**
 * The cooking part of a kitchen worker: takes the highest-priority order from the hand, records
 * OrderCooking, waits its cooking time, records OrderReady (both through the outbox), and acks
 * the broker message only once OrderReady is stored in JetStream.
 */
export class Stove {
  /** The order being cooked (a timed cook), if any. */
  current: HeldOrder | null = null;
  cooked: number;
  busyMs: number;
  /** Cooked orders whose OrderReady is stored and waiting for JetStream's ack; acked (and their place freed) after it. */
  readonly handingOver = new Map<HeldOrder, Promise<void>>();
  private lastInstant = 0;
  /** A write the disk refused: the orders wait in the hand until it may take writes (whileFull). */
  private fullDisk: FullDiskHold | null = null;
  /** Ends the current order's cooking time early: the staff marked it ready (who did). */
  private finishEarly: ((by: string) => void) | null = null;
  private readonly q;

  constructor(private readonly o: StoveOptions) {
    const { db } = o;
    this.q = {
      get: db.prepare("SELECT state FROM cooks WHERE order_number = ?"),
      begin: db.prepare(
        `INSERT INTO cooks (order_number, order_type, state, attempts, started_at) VALUES (?, ?, 'cooking', 1, ?)
         ON CONFLICT (order_number) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at`,
      ),
      finish: db.prepare("UPDATE cooks SET state = 'ready', finished_at = ?, cook_ms = ? WHERE order_number = ?"),
    };
    // A worker's figures survive its restarts: they are what its own database says it cooked.
    const totals = cookTotals(db);
    this.cooked = totals.n;
    this.busyMs = totals.ms;
  }

  /**
   * The restaurant's staff marked an order ready by hand: when it is the one on the stove, its
   * cooking time ends now and OrderReady goes out (marked_by says who). False when it is not here.
   */
  markReady(orderNumber: string, by: string): boolean {
    if (this.current?.event.order_number !== orderNumber || !this.finishEarly) return false;
    this.finishEarly(by);
    this.finishEarly = null;
    return true;
  }

  /** Held orders must not be redelivered to someone else while they cook or wait for their ack. */
  keepAlive(): void {
    this.current?.msg.working();
    for (const h of this.handingOver.keys()) h.msg.working();
  }

  /** Wait up to `ms` for the cooked orders to be acked; false when some were not. */
  handOversSettled(ms: number): Promise<boolean> {
    return Promise.race([Promise.allSettled(this.handingOver.values()).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  }

  /** Cook what the hand holds, highest priority first, until the worker stops. */
  async run(): Promise<void> {
    const { hand, log } = this.o;
    while (this.o.running()) {
      await hand.nextArrival();
      if (!this.o.running()) break;
      const first = hand.peekNext();
      if (!first) continue;
      if (this.o.cookTimeFor(first.type) === 0) {
        if (!(await this.cookWhatIsInstant())) break;
        continue;
      }
      const order = hand.takeNext()!;
      this.current = order;
      try {
        await this.cook(order);
        this.fullDisk = null;
      } catch (err) {
        if (err instanceof Aborted || this.o.abortable.aborted) break;
        if (err instanceof StorageFullError) {
          // A full disk (said once by the database's guard): the order stays in the hand (kept
          // alive there, no delivery spent) and nothing is cooked until the disk may take writes.
          hand.putBack(order);
          await this.whileFull(err);
          continue;
        }
        log.error({ action: "cooking_failed", order_number: order.event.order_number, request_id: order.event.request_id, error: errorField(err) }, "Cooking failed; handing the order back");
        order.msg.nak(1_000);
        hand.release(order);
      } finally {
        this.current = null;
      }
    }
  }

  /** Cook everything held that cooks instantly; false when the worker was stopped or aborted meanwhile. */
  private async cookWhatIsInstant(): Promise<boolean> {
    const { hand, log } = this.o;
    // Let the orders of the same fetch arrive, and keep commits a few ms apart under load.
    const wait = this.lastInstant + INSTANT_GAP_MS - performance.now();
    try {
      if (wait > 0) await this.o.abortable.sleep(wait);
      else await new Promise<void>((r) => setImmediate(r));
    } catch {
      return false; // aborted
    }
    if (!this.o.running()) return false;
    this.lastInstant = performance.now();
    // Highest priority first, everything held that cooks instantly.
    const batch: HeldOrder[] = [];
    for (let next = hand.peekNext(); next && this.o.cookTimeFor(next.type) === 0; next = hand.peekNext()) batch.push(hand.takeNext()!);
    if (batch.length === 0) return true;
    try {
      this.cookInstantly(batch);
      this.fullDisk = null;
    } catch (err) {
      if (err instanceof StorageFullError) {
        for (const o of batch) hand.putBack(o); // held, not handed back: see run()
        await this.whileFull(err);
        return true;
      }
      log.error({ action: "cooking_failed", orders: batch.length, error: errorField(err) }, "Cooking failed; handing the orders back");
      for (const o of batch) {
        o.msg.nak(1_000);
        hand.release(o);
      }
    }
    return true;
  }

  /** Until the disk may take the refused write again (FullDiskHold; the hand keeps the orders alive). */
  private async whileFull(err: StorageFullError): Promise<void> {
    this.fullDisk ??= new FullDiskHold(() => [], 0);
    await this.fullDisk.next(err, () => this.o.running());
  }

  /**
   * The order's OrderReady is stored: ack the broker message once JetStream has it, then free its
   * place in the hand. The stove does not wait for that round trip: it takes the next order at
   * once (the place stays taken until the ack, so prefetch still bounds what the worker holds).
   */
  private handOver(order: HeldOrder, tookMs: number | null): void {
    const { outbox, log, registration, hand, abortable } = this.o;
    const number = order.event.order_number;
    const request_id = order.event.request_id;
    const p = abortable
      .unless(outbox.published(eventId(number, "ready")))
      .then(
        () => {
          order.msg.ack();
          if (tookMs === null) {
            log.info({ action: "duplicate_delivery_skipped", order_number: number, request_id }, `Order ${number} was already cooked; not cooking it again`);
            return;
          }
          this.cooked++;
          this.busyMs += tookMs;
          registration.update({ state: this.current || hand.pending.length > 0 ? "cooking" : "idle", orders_cooked: this.cooked, busy_ms: this.busyMs, held: hand.size - 1 });
          log.info({ action: "order_completed", order_number: number, request_id, cook_ms: tookMs }, `Order ${number} is ready`);
        },
        (err) => {
          if (err instanceof Aborted || abortable.aborted) return; // crashed: the broker redelivers it
          log.error({ action: "cooking_failed", order_number: number, request_id, error: errorField(err) }, "Could not hand the order over; handing it back");
          order.msg.nak(1_000);
        },
      )
      // An ack or nak on a connection that just closed: the broker redelivers after ack_wait.
      .catch((err) => log.debug({ action: "ack_failed", order_number: number, request_id, error: errorField(err) }, "Could not settle a message"))
      .finally(() => {
        this.handingOver.delete(order);
        hand.release(order);
      });
    this.handingOver.set(order, p);
  }

  /** Cook one order on the stove (its cooking time); hands it over when OrderReady is stored. */
  private async cook(order: HeldOrder): Promise<void> {
    const { db, outbox, log, registration, hand, name } = this.o;
    const { event } = order;
    const number = event.order_number;
    const previous = this.q.get.get(number) as { state: string } | undefined;
    if (previous?.state === "ready") {
      // Cooked before (the ack was lost): make sure OrderReady is out, then let the message go.
      this.handOver(order, null);
      return;
    }
    const header = headerOf(event);
    const startedAt = new Date();
    // This worker's cooking time (its time scale, a slow-kitchen fault): tracking's estimate comes from it.
    const cookMs = this.o.cookTimeFor(event.order_type);
    immediate(db, () => {
      this.q.begin.run(number, event.order_type, startedAt.toISOString());
      this.announce(orderEvent("cooking", header, "accepted", name, { worker: name, cook_ms: cookMs }, startedAt));
    });
    outbox.wake();
    registration.update({ state: "cooking", current_order: number, current_since: startedAt.toISOString(), held: hand.size });
    const request_id = event.request_id;
    log.info({ action: "order_processing_started", order_number: number, request_id, order_type: event.order_type, priority: event.priority, cook_ms: cookMs }, `Cooking ${number}`);
    const markedBy = await this.cookingTime(cookMs);
    if (markedBy !== null) log.info({ action: "marked_ready", order_number: number, request_id, by: markedBy }, `Order ${number} marked ready by ${markedBy}`);
    const finishedAt = new Date();
    const took = finishedAt.getTime() - startedAt.getTime();
    const ready = { worker: name, cook_ms: took, ...(markedBy !== null ? { marked_by: markedBy } : {}) };
    immediate(db, () => {
      this.q.finish.run(finishedAt.toISOString(), took, number);
      this.announce(orderEvent("ready", header, "cooking", name, ready, finishedAt));
    });
    outbox.wake();
    this.o.pruner?.afterWrite();
    registration.update({ current_order: null, current_since: null });
    this.handOver(order, took);
  }

  /** Wait out an order's cooking time, or until the staff mark it ready (then: who did). */
  private async cookingTime(cookMs: number): Promise<string | null> {
    const mark: { by: string | null } = { by: null };
    const marked = new Promise<void>((resolve) => {
      this.finishEarly = (by) => {
        mark.by = by;
        resolve();
      };
    });
    try {
      if (cookMs > 0) await this.o.abortable.sleep(cookMs, marked);
    } finally {
      this.finishEarly = null;
    }
    return mark.by;
  }

  /**
   * Cooking time 0 (throughput runs): everything held is cooked at once, highest priority first,
   * in one transaction (OrderCooking and OrderReady of each, in that order), then handed over.
   */
  private cookInstantly(orders: HeldOrder[]): void {
    const { db, outbox, log, name } = this.o;
    const at = new Date();
    const iso = at.toISOString();
    const cookedNow: HeldOrder[] = [];
    const before: HeldOrder[] = [];
    immediate(db, () => {
      for (const order of orders) {
        const { event } = order;
        const number = event.order_number;
        if ((this.q.get.get(number) as { state: string } | undefined)?.state === "ready") {
          before.push(order);
          continue;
        }
        const header = headerOf(event);
        this.q.begin.run(number, event.order_type, iso);
        this.announce(orderEvent("cooking", header, "accepted", name, { worker: name, cook_ms: 0 }, at));
        this.q.finish.run(iso, 0, number);
        this.announce(orderEvent("ready", header, "cooking", name, { worker: name, cook_ms: 0 }, at));
        cookedNow.push(order);
      }
    });
    outbox.wake();
    if (cookedNow.length > 0) this.o.pruner?.afterWrite();
    for (const order of cookedNow) {
      const e = order.event;
      log.info({ action: "order_processing_started", order_number: e.order_number, request_id: e.request_id, order_type: e.order_type, priority: e.priority, cook_ms: 0 }, `Cooking ${e.order_number}`);
      this.handOver(order, 0);
    }
    for (const order of before) this.handOver(order, null);
  }

  /** Write an event's outbox row (inside the caller's transaction). */
  private announce(message: OutboxMessage & { payload: { kind: string; order_number: string } }): void {
    const { outbox, mutant } = this.o;
    const { kind, order_number: number } = message.payload;
    // TEST-ONLY mutants (never set in production): a skipped state, an event republished under a new id.
    if (mutant === "skip-state" && kind === "cooking" && mutantPicks(number)) return;
    outbox.add(message);
    if (mutant === "kitchen-republish" && kind === "ready" && mutantPicks(number)) {
      const id = `${message.id}.again`;
      outbox.add({ ...message, id, payload: { ...message.payload, id } });
    }
  }
}
