/**
 * The silent-instances pass: an instance the harness asked for its account and got no answer from
 * leaves the checker blind to part of the run, so the silence is a finding of its own instead of
 * being skipped. A silent subscriber's announcements cannot be checked at all; a silent order
 * instance's orders have no record, so they also show as lost (the checker cannot vouch for them).
 */
import type { Finding, SilentInstance } from "../checker-types.js";

export interface SilentPass {
  subscribersSilent: Finding[];
  orderInstancesSilent: Finding[];
}

export function checkSilent(silent: readonly SilentInstance[] | undefined): SilentPass {
  const subscribersSilent: Finding[] = [];
  const orderInstancesSilent: Finding[] = [];
  for (const s of silent ?? []) {
    if (s.service === "notification") {
      subscribersSilent.push({ subscriber: s.instance, instance: s.instance, reason: `subscriber ${s.instance} did not say what it announced: ${s.error}` });
    } else {
      orderInstancesSilent.push({ instance: s.instance, reason: `order instance ${s.instance} did not say what it holds: ${s.error}` });
    }
  }
  return { subscribersSilent, orderInstancesSilent };
}
