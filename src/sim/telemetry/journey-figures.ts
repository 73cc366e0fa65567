/**
 * The journeys' figures (issue 19): per step name a latency histogram and its errors; per journey
 * kind started, completed, abandoned, failed, its duration, and end to end from the checkout to the
 * order's last status as its tracking saw it. The tally listens to the journeys as they walk
 * (a JourneyListener) and keeps each journey's record for the checker.
 */
import hdr from "hdr-histogram-js";
import type { OrderStatus } from "../../services/shared/contracts.js";
import type { JourneyRecord } from "../load/journey-record.js";
import type { JourneyListener } from "../load/journey-client.js";
import type { JourneyPlan } from "../load/journey-plans.js";
import { summarise } from "./metrics.js";
import type { JourneyFigures, StepFigures } from "./journey-types.js";

export type { JourneyFigures, JourneyKindFigures, StepFigures } from "./journey-types.js";

type Histogram = ReturnType<typeof hdr.build>;
const histogram = (): Histogram => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
const us = (ms: number) => Math.max(1, Math.round(ms * 1000));

class StepTally {
  readonly h = histogram();
  count = 0;
  errors = 0;
  add(ms: number, ok: boolean): void {
    this.count++;
    if (!ok) this.errors++;
    this.h.recordValue(us(ms));
  }
  figures(): StepFigures {
    return { count: this.count, errors: this.errors, latency: summarise(this.h) };
  }
}

class KindTally {
  started = 0;
  completed = 0;
  abandoned = 0;
  failed = 0;
  readonly duration = histogram();
  readonly toCompleted = histogram();
  readonly failedAt: Record<string, number> = {};
  readonly steps = new Map<string, StepTally>();
}

export class JourneyTally implements JourneyListener {
  private readonly kinds = new Map<string, KindTally>();
  private readonly steps = new Map<string, StepTally>();
  /** Every journey that ended, for the checker. */
  readonly records: JourneyRecord[] = [];
  private readonly perSecond = new Map<number, { started: number; ended: number }>();
  private readonly finishedBy = { completed: 0, cancelled: 0 };
  private reconnected = 0;

  constructor(
    /** The journeys' names in the scenario's order (each gets its row even before it starts). */
    names: readonly string[] = [],
    private readonly now: () => number = () => 0,
  ) {
    for (const n of names) this.kind(n);
  }

  get any(): boolean {
    return this.kinds.size > 0;
  }

  private kind(name: string): KindTally {
    let k = this.kinds.get(name);
    if (!k) this.kinds.set(name, (k = new KindTally()));
    return k;
  }

  private second(atMs: number) {
    const t = Math.floor(Math.max(0, atMs) / 1000);
    let s = this.perSecond.get(t);
    if (!s) this.perSecond.set(t, (s = { started: 0, ended: 0 }));
    return s;
  }

  started(plan: JourneyPlan, atMs: number): void {
    this.kind(plan.kind).started++;
    this.second(atMs).started++;
  }

  step(plan: JourneyPlan, step: string, ms: number, ok: boolean): void {
    const k = this.kind(plan.kind);
    if (!k.steps.has(step)) k.steps.set(step, new StepTally());
    k.steps.get(step)!.add(ms, ok);
    if (!this.steps.has(step)) this.steps.set(step, new StepTally());
    this.steps.get(step)!.add(ms, ok);
  }

  finished(plan: JourneyPlan, status: OrderStatus, sinceCheckoutMs: number): void {
    if (status === "completed" || status === "cancelled") this.finishedBy[status]++;
    if (status === "completed") this.kind(plan.kind).toCompleted.recordValue(us(sinceCheckoutMs));
  }

  ended(plan: JourneyPlan, record: JourneyRecord, durationMs: number): void {
    const k = this.kind(plan.kind);
    k[record.outcome]++;
    if (record.failedStep) k.failedAt[record.failedStep] = (k.failedAt[record.failedStep] ?? 0) + 1;
    k.duration.recordValue(us(durationMs));
    if (record.track && record.track.seen.length > 1) this.reconnected++;
    this.second(this.now()).ended++;
    this.records.push(record);
  }

  figures(atMs = this.now()): JourneyFigures {
    const steps = (m: Map<string, StepTally>) => Object.fromEntries([...m].map(([name, s]) => [name, s.figures()]));
    const last = this.perSecond.get(Math.floor(atMs / 1000) - 1);
    return {
      kinds: [...this.kinds].map(([name, k]) => ({
        name,
        started: k.started,
        completed: k.completed,
        abandoned: k.abandoned,
        failed: k.failed,
        active: k.started - k.completed - k.abandoned - k.failed,
        duration: summarise(k.duration),
        checkoutToCompleted: summarise(k.toCompleted),
        failedAt: { ...k.failedAt },
        steps: steps(k.steps),
      })),
      steps: steps(this.steps),
      startedPerSecond: last?.started ?? 0,
      endedPerSecond: last?.ended ?? 0,
      trackedFinished: { ...this.finishedBy },
      trackReconnected: this.reconnected,
    };
  }
}
