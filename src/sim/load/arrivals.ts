/**
 * The open-model arrival schedule (k6's arrival-rate executors): when each order is sent depends
 * only on the scenario, never on how fast the system answers, so a slow system cannot slow the
 * load down and hide its own latency (no coordinated omission).
 *
 * Within a phase of length D the target rate goes linearly from r0 to r1, so the expected number
 * of arrivals by time t is N(t) = r0*t + (r1-r0)*t^2/(2D). Constant arrival puts the k-th order of
 * a phase at N^-1(k) (k = 0, 1, ...); Poisson arrival puts them at N^-1(Λ) where Λ grows by Exp(1)
 * draws: the time-rescaling of a unit Poisson process into an inhomogeneous one with this rate.
 */
import { Rng } from "./rng.js";
import type { Phase, Scenario } from "../scenario/scenario.js";

type PhaseShape = Pick<Phase, "durationMs" | "rate" | "rampTo" | "arrival"> & { startMs?: number };

const EPS = 1e-9;

/** Expected arrivals over the whole phase: N(D) = (r0 + r1) / 2 * D. */
function phaseIntegral(p: PhaseShape): number {
  return ((p.rate + p.rampTo) / 2) * (p.durationMs / 1000);
}

/** Arrivals a constant phase produces: every k = 0, 1, ... with k < N(D). */
function constantCount(p: PhaseShape): number {
  const total = phaseIntegral(p);
  return total <= EPS ? 0 : Math.ceil(total - EPS);
}

/**
 * Seconds into the phase at which N(t) = n, for 0 <= n <= N(D). Solves a t^2 + b t - n = 0 with
 * a = (r1-r0)/(2D), b = r0 by the cancellation-free form t = 2n / (b + sqrt(b^2 + 4an)), which
 * also covers a = 0 (t = n/b) and b = 0 (t = sqrt(n/a)).
 */
function inverse(p: PhaseShape, n: number): number {
  const d = p.durationMs / 1000;
  if (n <= 0) return 0;
  const a = (p.rampTo - p.rate) / (2 * d);
  const b = p.rate;
  const disc = Math.max(0, b * b + 4 * a * n);
  const denom = b + Math.sqrt(disc);
  const t = denom > 0 ? (2 * n) / denom : d;
  return Math.min(Math.max(t, 0), d);
}

/** Expected count of planned orders: exact for constant phases, the integral for Poisson ones. */
export function plannedCount(phases: readonly PhaseShape[]): number {
  let total = 0;
  for (const p of phases) total += p.arrival === "poisson" ? phaseIntegral(p) : constantCount(p);
  return total;
}

/** The target rate (orders/s) at an offset from the start of the load; 0 outside every phase. */
export function targetRateAt(phases: readonly PhaseShape[], offsetMs: number): number {
  let start = 0;
  for (const p of phases) {
    const begin = p.startMs ?? start;
    if (offsetMs >= begin && offsetMs < begin + p.durationMs) {
      return p.rate + (p.rampTo - p.rate) * ((offsetMs - begin) / p.durationMs);
    }
    start = begin + p.durationMs;
  }
  return 0;
}

/**
 * Offsets (ms from the start of the load, non-decreasing) of every planned order. Poisson phases
 * draw from their own child stream of `rng` (`phase-<i>`), so editing one phase leaves the
 * draws of the others alone.
 */
export function* arrivals(phases: readonly PhaseShape[], rng: Rng): Generator<number, void, undefined> {
  let start = 0;
  for (let i = 0; i < phases.length; i++) {
    const p = phases[i];
    const begin = p.startMs ?? start;
    start = begin + p.durationMs;
    if (p.durationMs <= 0) continue;
    const total = phaseIntegral(p);
    if (total <= EPS) continue;
    if (p.arrival === "poisson") {
      const draws = rng.fork(`phase-${i}`);
      for (let lambda = draws.exponential(1); lambda < total; lambda += draws.exponential(1)) {
        yield begin + inverse(p, lambda) * 1000;
      }
    } else {
      const count = constantCount(p);
      for (let k = 0; k < count; k++) yield begin + inverse(p, k) * 1000;
    }
  }
}

/** The arrival stream of a scenario: its own RNG stream (`arrivals`), independent of the order bodies. */
export function arrivalsFor(scenario: Pick<Scenario, "seed" | "load">): Generator<number, void, undefined> {
  return arrivals(scenario.load, Rng.derive(scenario.seed, "arrivals"));
}

/** How many requests the scenario's arrival schedule holds, exactly (poisson phases drawn from the seed, as the run will). */
export function arrivalCount(scenario: Pick<Scenario, "seed" | "load">): number {
  let n = 0;
  for (const _ of arrivalsFor(scenario)) n++;
  return n;
}
