/**
 * What the stream replay learns about one order, shared by the passes that come after it (records,
 * attribution, lost, notifications) so each looks an order up by number instead of walking the
 * stream again.
 */
import { ORDER_STATUSES, TRANSITIONS, type AnyOrderEvent, type EventKind, type OrderStatus } from "../../../services/shared/contracts.js";

/** What the stream says about one order. */
export interface OrderState {
  number: string;
  /** Its events, in stream order (the history and the expected announcements derive from them). */
  events: AnyOrderEvent[];
  /** The status after applying the stream (null: never placed or nothing applicable). */
  status: OrderStatus | null;
  /** Bit per event kind seen so far: a later event of a kind is a duplicate. */
  kindMask: number;
  /** How many events of each kind, only for kinds seen more than once (most orders have none). */
  repeats: Map<EventKind, number> | null;
  /** request_id of each OrderPlaced event. */
  requestIds: string[];
  paid: boolean;
  paymentFailed: boolean;
  /** Bit per status slot a subscriber must announce (events with non-null from and to). */
  announceMask: number;
  /** Filled on demand, for findings. */
  historyCache: string[] | null;
  /** Position in creation order, for the flat notification counters. */
  index: number;
}

/** The replayed orders by number, in the order the stream first carried them. */
export type ReplayedOrders = ReadonlyMap<string, OrderState>;

/** Slots of the notification counters: one per status, and one for anything else. */
export const STATUS_SLOTS = ORDER_STATUSES.length + 1;
const SLOT_OF = new Map<string, number>(ORDER_STATUSES.map((s, i) => [s, i]));

export function statusSlot(status: string): number {
  return SLOT_OF.get(status) ?? ORDER_STATUSES.length;
}

/**
 * One label per event: the status it moved to, or the kind when it moves none (payment_failed, refunded).
 * Built on first use and kept on the state: only orders with a finding need it, and findings of
 * one order then share one array. The cache changes no result, so the passes stay pure.
 */
export function historyOf(st: OrderState): string[] {
  st.historyCache ??= st.events.map((e) => (e.kind === "payment_failed" || e.to === null ? e.kind : e.to));
  return st.historyCache;
}

/**
 * Whether two statuses lie on one path through the state machine (either can still lead to the
 * other): a record behind or ahead of the stream on the same path may yet catch up, while a
 * record at cancelled for an order the stream has paid disagrees for good.
 */
export function onOnePath(a: OrderStatus, b: OrderStatus): boolean {
  return a === b || REACHABLE[a].has(b) || REACHABLE[b].has(a);
}

/** Every status reachable from each status through the state machine. */
const REACHABLE = Object.fromEntries(
  ORDER_STATUSES.map((from) => {
    const seen = new Set<OrderStatus>();
    const walk = (s: OrderStatus): void => {
      for (const next of TRANSITIONS[s]) {
        if (seen.has(next)) continue;
        seen.add(next);
        walk(next);
      }
    };
    walk(from);
    return [from, seen];
  }),
) as Record<OrderStatus, Set<OrderStatus>>;
