/**
 * What the load runner needs to walk a scenario's journeys: the services' URLs as they are now
 * (a restarted instance's new port included), the seed, the journeys' names. Undefined without
 * `journeys:` (the runner then sends requests only).
 */
import type { Scenario } from "../scenario/scenario.js";
import type { JourneyListener } from "./journey-client.js";
import type { LoadRunnerOptions } from "./load-runner.js";
import { CUSTOMER_NAMES } from "./order-generator.js";

interface Urls {
  urls(service: "customer" | "restaurant" | "tracking", options?: { paused?: boolean }): string[];
}

export function journeyOptions(s: Pick<Scenario, "seed" | "journeys" | "drainTimeoutMs">, launcher: Urls, listener: JourneyListener): LoadRunnerOptions["journeys"] {
  if (!s.journeys) return undefined;
  return {
    // A frozen service still gets its share, as with the order API: the stall shows in the step latencies.
    targets: { customer: () => launcher.urls("customer", { paused: true }), restaurant: () => launcher.urls("restaurant", { paused: true }), tracking: () => launcher.urls("tracking", { paused: true }) },
    seed: s.seed,
    listener,
    customerNames: CUSTOMER_NAMES,
    // A tracked order not finished by the end of the drain would not be anyway.
    trackTimeoutMs: s.drainTimeoutMs,
  };
}
