/** What a journey saw of itself, for the checker's journeys pass (check/passes/journeys.ts). */
/** One journey as the load generator walked it: how it ended, its checkout, what its tracking saw. */
export interface JourneyRecord {
  /** `jrn-<seed>-<seq>`. */
  id: string;
  /** The journey's name in the scenario. */
  kind: string;
  outcome: "completed" | "abandoned" | "failed";
  /** The step that failed (with `outcome` failed) and what it heard. */
  failedStep?: string;
  error?: string;
  customerId?: string;
  /** Sent: the order's request id (`<customer>:<key>`), the checkout's answer and the order it named. */
  checkout?: { requestId: string; status: number; orderNumber?: string };
  /** Followed after the checkout: the statuses each subscription (or the polling) saw, in order, one list per connection. */
  track?: { mode: "subscribe" | "poll"; seen: string[][] };
}
