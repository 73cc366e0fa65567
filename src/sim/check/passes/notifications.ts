/**
 * The notifications pass: every subscriber announces every status change of every order exactly
 * once. What a subscriber must announce follows from the stream (an event with a from and a to);
 * anything missing is `missing`, anything said twice or not a change the stream carried is
 * `duplicated`.
 */
import type { CheckInput, Finding } from "../checker-types.js";
import { STATUS_SLOTS, statusSlot, type OrderState, type ReplayedOrders } from "./order-state.js";

export interface NotificationsPass {
  missing: Finding[];
  duplicated: Finding[];
}

/**
 * The statuses a subscriber must announce, distinct: it announces an event id (`order.kind`)
 * once, the first time it sees it with a non-null from and to.
 */
function announcementsOf(st: OrderState): string[] {
  const out: string[] = [];
  for (const e of st.events) if (e.from !== null && e.to !== null && !out.includes(e.to)) out.push(e.to);
  return out;
}

export function checkNotifications(notifications: CheckInput["notifications"], replayed: ReplayedOrders): NotificationsPass {
  const missing: Finding[] = [];
  const duplicated: Finding[] = [];
  // Counted in a flat array (order index x status) so a run of 500k announcements stays cheap;
  // the lists of what was said are rebuilt only for the orders that have a finding.
  const states = [...replayed.values()];
  const SLOTS = STATUS_SLOTS;
  for (const [subscriber, announcements] of Object.entries(notifications)) {
    const counts = new Uint32Array(states.length * SLOTS);
    const strangers = new Map<string, string[]>();
    for (const [number, status] of announcements) {
      const st = replayed.get(number);
      if (st) counts[st.index * SLOTS + statusSlot(status)]++;
      else {
        const list = strangers.get(number);
        if (list) list.push(status);
        else strangers.set(number, [status]);
      }
    }
    const flagged = new Map<string, { st: OrderState; said: string[] }>();
    for (const st of states) {
      const base = st.index * SLOTS;
      for (let slot = 0; slot < SLOTS; slot++) {
        const n = counts[base + slot];
        const expected = (st.announceMask & (1 << slot)) !== 0;
        if ((expected && n !== 1) || (!expected && n > 0)) {
          flagged.set(st.number, { st, said: [] });
          break;
        }
      }
    }
    if (flagged.size > 0) {
      for (const [number, status] of announcements) flagged.get(number)?.said.push(status);
      for (const { st, said } of flagged.values()) {
        const announce = announcementsOf(st);
        const unsaid = announce.filter((x) => !said.includes(x));
        if (unsaid.length > 0) {
          missing.push({ orderNumber: st.number, subscriber, reason: `${subscriber} never announced ${unsaid.join(", ")}`, history: said });
        }
        const tally = new Map<string, number>();
        for (const x of said) tally.set(x, (tally.get(x) ?? 0) + 1);
        const extra: string[] = [];
        for (const [x, n] of tally) {
          if (!announce.includes(x)) extra.push(`announced ${x}${n > 1 ? ` ${n} times` : ""}, which is not a status change on the stream`);
          else if (n > 1) extra.push(`announced ${x} ${n} times`);
        }
        if (extra.length > 0) duplicated.push({ orderNumber: st.number, subscriber, reason: `${subscriber} ${extra.join("; ")}`, history: said });
      }
    }
    for (const [number, said] of strangers) {
      duplicated.push({ orderNumber: number, subscriber, reason: `${subscriber} announced ${said.join(", ")} for an order the stream never carried`, history: said });
    }
  }
  return { missing, duplicated };
}
