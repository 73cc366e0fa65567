/**
 * What a fault's target names: `order/1` is `order/order-1`, a bare `payment` its only instance,
 * `broker/leader` the ORDERS stream leader. One resolver for the scenario reader (which knows the
 * roster and refuses what is not in it) and for `Chaos` (which knows what the launcher runs).
 */
import { SERVICE_NAMES, type ServiceName } from "../../services/shared/contracts.js";
import type { TargetPool } from "./fault-kinds.js";
import type { Roster } from "./roster.js";

/** Every instance of the roster as `<service>/<instance>`, in launch-independent, stable order. */
export function rosterInstances(roster: Roster): string[] {
  const numbered = (svc: ServiceName, n: number) => Array.from({ length: n }, (_, i) => `${svc}/${svc}-${i + 1}`);
  return [
    ...numbered("order", roster.order.instances),
    ...numbered("payment", roster.payment.instances),
    ...numbered("restaurant", roster.restaurant.instances),
    ...roster.kitchen.map((w) => `kitchen/${w.name}`),
    ...numbered("tracking", roster.tracking.instances),
    ...numbered("notification", roster.notification.instances),
    ...numbered("customer", roster.customer?.instances ?? 0),
    ...numbered("reporting", roster.reporting?.instances ?? 0),
  ];
}

export const isBrokerTarget = (target: string): boolean => target === "broker" || target.startsWith("broker/");

/**
 * The canonical target among `instances` (`<service>/<instance>` ids) and the broker, or what was
 * expected instead (the text of the reader's error).
 */
export function resolveTarget(raw: string, instances: readonly string[], of: TargetPool): { target: string } | { expected: string } {
  const pool = of === "instance or broker" || of === "instance" ? instances : instances.filter((t) => t.startsWith(`${of}/`));
  const list = () => `one of the targets ${[...(of === "instance or broker" ? ["broker"] : []), ...pool].join(", ")}`;
  if (isBrokerTarget(raw)) {
    if (of !== "instance or broker") return { expected: `${of === "instance" ? "a service instance (network faults cannot target the broker)" : `an instance of ${of}`}: ${list()}` };
    const rest = raw.slice("broker/".length);
    if (raw === "broker" || rest === "leader" || /^[1-9]\d?$/.test(rest)) return { target: raw };
    return { expected: `broker, broker/leader or broker/<node number>` };
  }
  const [svc, inst, ...more] = raw.split("/");
  if (more.length === 0 && inst === undefined && (SERVICE_NAMES as readonly string[]).includes(svc)) {
    const ofService = pool.filter((t) => t.startsWith(`${svc}/`));
    if (ofService.length === 1) return { target: ofService[0] };
    if (ofService.length > 1) return { expected: `one instance of ${svc}, which has ${ofService.length}: ${ofService.join(", ")}` };
    return { expected: list() };
  }
  if (more.length === 0 && inst !== undefined) {
    // Kitchen workers have names of their own: `kitchen/1` is a worker called "1".
    const canonical = svc !== "kitchen" && /^\d+$/.test(inst) ? `${svc}/${svc}-${Number(inst)}` : `${svc}/${inst}`;
    if (pool.includes(canonical)) return { target: canonical };
  }
  return { expected: list() };
}
