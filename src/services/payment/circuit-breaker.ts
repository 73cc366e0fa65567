export type BreakerState = "closed" | "open" | "half_open";

/**
 * Stop calling a provider that keeps failing: after `threshold` failures in a row the breaker
 * opens for `openMs`; then one trial call is let through (half-open) and its outcome decides.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  state: BreakerState = "closed";

  constructor(
    private readonly threshold = 5,
    private readonly openMs = 2_000,
    private readonly onChange: (state: BreakerState) => void = () => undefined,
  ) {}

  /** 0 when a call may go ahead now, otherwise how long to wait. */
  waitMs(now = Date.now()): number {
    if (this.state === "closed") return 0;
    if (this.state === "open") {
      const left = this.openedAt + this.openMs - now;
      if (left > 0) return left;
      this.set("half_open");
    }
    if (this.trialInFlight) return Math.max(50, this.openMs / 4);
    this.trialInFlight = true;
    return 0;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.state !== "closed") this.set("closed");
  }

  failure(now = Date.now()): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.state === "half_open" || this.failures >= this.threshold) {
      this.openedAt = now;
      if (this.state !== "open") this.set("open");
    }
  }

  private set(state: BreakerState): void {
    this.state = state;
    this.onChange(state);
  }
}
