/**
 * The read-models pass: what each read model (tracking today; a restaurant, customer or reporting
 * view later, each as one more ReadModelInput) says about the orders and the kitchen workers,
 * against the stream. For every order the stream carried, the read model's status must be where
 * the stream leaves it and its history must be the stream's history; each worker's count of
 * orders cooked must be at least the number of OrderReady events that name it (more is redone
 * work under at-least-once delivery) and at most the number of orders that reached `ready`.
 *
 * Two kinds of finding: `stale` (the read model is behind: it lacks an order, its history is a
 * beginning of the stream's, a count is short) and `wrong` (it says something the stream
 * contradicts). Both make the verdict invalid: after a drain a read model has had its chance.
 */
import { canTransition, type OrderStatus } from "../../../services/shared/contracts.js";
import type { Finding, ReadModelInput, ReadModelOrder } from "../checker-types.js";
import { historyOf, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface ReadModelsPass {
  stale: Finding[];
  wrong: Finding[];
  /** Orders the read models held, summed. */
  orders: number;
}

type Step = ReadModelOrder["history"][number];

/**
 * The history a read model built from the stream must hold: each status change applied once (by
 * event id), in stream order, and only where the state machine allows it (a read model refuses the
 * rest, as the stream replay reports). PaymentFailed moves no status: the cancellation does.
 */
export function expectedHistory(st: OrderState): Step[] {
  const out: Step[] = [];
  const ids = new Set<string>();
  let cur: OrderStatus | null = null;
  for (const e of st.events) {
    if (e.kind === "payment_failed" || e.to === null || ids.has(e.id)) continue;
    ids.add(e.id);
    if (!canTransition(cur, e.to)) continue;
    out.push({ from: cur, to: e.to, by: e.by });
    cur = e.to;
  }
  return out;
}

const sameStep = (a: Step, b: Step) => a.from === b.from && a.to === b.to && a.by === b.by;
const label = (h: readonly Step[]) => h.map((s) => `${s.to} by ${s.by}`).join(", ") || "nothing";

/** How the read model's history relates to the stream's: the same, a beginning of it (behind), or different. */
function relate(held: readonly Step[], expected: readonly Step[]): "equal" | "behind" | "different" {
  if (held.length > expected.length) return "different";
  for (let i = 0; i < held.length; i++) if (!sameStep(held[i], expected[i])) return "different";
  return held.length === expected.length ? "equal" : "behind";
}

function checkOrder(source: string, o: ReadModelOrder, st: OrderState, stale: Finding[], wrong: Finding[]): void {
  const expected = expectedHistory(st);
  const finalStatus = expected.length > 0 ? expected[expected.length - 1].to : null;
  const relation = relate(o.history, expected);
  const ownLast = o.history.length > 0 ? o.history[o.history.length - 1].to : null;
  const base = { orderNumber: o.number, source, history: historyOf(st) };
  if (relation === "different") {
    wrong.push({ ...base, reason: `${source} has the history ${label(o.history)}; the stream's is ${label(expected)}` });
  } else if (o.status !== finalStatus && o.status !== ownLast) {
    wrong.push({ ...base, reason: `${source} says ${o.status} but its own history ends at ${ownLast ?? "nothing"} and the stream at ${finalStatus ?? "nothing"}` });
  } else if (relation === "behind" || o.status !== finalStatus) {
    stale.push({ ...base, reason: `${source} is behind: it says ${o.status} (history ${label(o.history)}) but the stream ends at ${finalStatus ?? "nothing"}` });
  }
}

/** The worker the order's (first) OrderReady names, or null. */
export function readyWorker(st: OrderState): string | null {
  const ready = st.events.find((e) => e.kind === "ready");
  return ready && typeof (ready.data as { worker?: unknown }).worker === "string" ? (ready.data as { worker: string }).worker : null;
}

/** `fromStart`: the stream given is the whole stream (from seq 1), so an order missing from it was never on it. */
export function checkReadModels(inputs: readonly ReadModelInput[], replayed: ReplayedOrders, fromStart: boolean): ReadModelsPass {
  const stale: Finding[] = [];
  const wrong: Finding[] = [];
  let orders = 0;
  // What the stream says each worker cooked: the OrderReady events (the first of each order) that name it.
  const cookedBy = new Map<string, number>();
  for (const st of replayed.values()) {
    const worker = readyWorker(st);
    if (worker !== null) cookedBy.set(worker, (cookedBy.get(worker) ?? 0) + 1);
  }
  for (const input of inputs) {
    const { source } = input;
    if (input.orders) {
      orders += input.orders.length;
      const held = new Set<string>();
      for (const o of input.orders) {
        held.add(o.number);
        const st = replayed.get(o.number);
        if (st) checkOrder(source, o, st, stale, wrong);
        else if (fromStart) wrong.push({ orderNumber: o.number, source, reason: `${source} holds order ${o.number} (${o.status}), which the stream never carried` });
      }
      for (const st of replayed.values()) {
        if (!held.has(st.number) && expectedHistory(st).length > 0) {
          stale.push({ orderNumber: st.number, source, reason: `${source} does not know order ${st.number}, which the stream leaves at ${st.status ?? "no status"}`, history: historyOf(st) });
        }
      }
    }
    if (input.workers) checkWorkers(source, input.workers, cookedBy, fromStart, stale, wrong);
  }
  return { stale, wrong, orders };
}

/** Each worker's count of orders cooked as `source` reports it, against the OrderReady events that name it (`cookedBy`). */
export function checkWorkers(source: string, workers: NonNullable<ReadModelInput["workers"]>, cookedBy: ReadonlyMap<string, number>, fromStart: boolean, stale: Finding[], wrong: Finding[]): void {
  const readyOrders = [...cookedBy.values()].reduce((a, b) => a + b, 0);
  const reported = new Map(workers.map((w) => [w.name, w.ordersCooked]));
  for (const [name, n] of cookedBy) {
    const says = reported.get(name);
    if (says === undefined) stale.push({ source, reason: `${source} does not know worker ${name}, who cooked ${n} orders on the stream` });
  }
  for (const [name, says] of reported) {
    // A stream read from the middle (someone else's broker) cannot speak for workers it never names.
    if (!fromStart && !cookedBy.has(name)) continue;
    const n = cookedBy.get(name) ?? 0;
    const finding = { source, reason: `${source} says worker ${name} cooked ${says} orders; the stream's OrderReady events name it for ${n}` };
    if (says < n) stale.push(finding);
    // More than the stream names it for is the worker's own effort under at-least-once delivery:
    // after a crash or a broker restart two workers can cook one order, and the second OrderReady
    // is deduplicated away. More than every order that reached `ready` cannot be.
    else if (says > readyOrders) wrong.push(finding);
  }
}
