/**
 * The processes a key can act on, in screen order: kitchen workers (`kitchen/<name>`), then the
 * other services' instances (`<service>/<instance>`).
 */
import type { RunTick } from "../sim/telemetry/run-events.js";

export interface ProcessTarget {
  target: string;
  kind: "worker" | "service";
  /** Worker or service state, for `p` (pause or resume). */
  state: string;
}

export function workerTarget(name: string): string {
  return `kitchen/${name}`;
}

export function serviceTarget(service: string, instance: string): string {
  return `${service}/${instance}`;
}

export function processTargets(tick: RunTick | null): ProcessTarget[] {
  if (!tick) return [];
  const out: ProcessTarget[] = tick.workers.map((w) => ({ target: workerTarget(w.name), kind: "worker", state: w.state }));
  for (const s of tick.services) {
    if (s.service === "kitchen") continue;
    out.push({ target: serviceTarget(s.service, s.instance), kind: "service", state: s.state });
  }
  return out;
}

/** Move the selection by `delta` (wrapping); from nothing, down selects the first, up the last. */
export function moveSelection(targets: readonly ProcessTarget[], selected: string | null, delta: 1 | -1): string | null {
  if (targets.length === 0) return null;
  const i = selected === null ? -1 : targets.findIndex((t) => t.target === selected);
  if (i < 0) return delta > 0 ? targets[0].target : targets[targets.length - 1].target;
  return targets[(i + delta + targets.length) % targets.length].target;
}
