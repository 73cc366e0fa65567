import type { RequestOutcome } from "../load/load-runner.js";
import type { RequestRecord } from "./checker-types.js";

/**
 * What the checker takes of a request's outcome (also what the run directory's requests.ndjson
 * keeps of it); the times only where an answer may be a fault's (an order others placed has none).
 */
export type RequestAnswer = Pick<RequestOutcome, "requestId" | "valid" | "status" | "orderNumber" | "body" | "cart" | "refusal"> &
  Partial<Pick<RequestOutcome, "scheduledMs" | "latencyMs" | "sentMs">>;

/** What this needs of a fault record (telemetry's FaultRecord has it; named here so check does not import telemetry). */
export interface FaultWindow {
  id: string;
  kind: string;
  target: string | null;
  startedAtMs: number;
  endedAtMs: number | null;
  error?: string;
}

/** A request sent this long after a disk_full window closed may still have met the full disk (its group was committing when it was let go). */
const SLACK_MS = 500;

/**
 * The load's outcomes as the checker's request records. A valid request answered 503
 * `storage_full` while an injected disk_full held an order instance's database is what the
 * service must do (refuse what it cannot store, rather than accept it): explained by that fault,
 * not a server error. The same answer without such a window (a disk that filled by itself) stays
 * a finding.
 */
export function requestRecords(outcomes: readonly RequestAnswer[], faults: readonly FaultWindow[]): RequestRecord[] {
  const windows = faults
    .filter((f) => f.kind === "disk_full" && !f.error && (f.target ?? "").startsWith("order/"))
    .map((f) => ({ id: f.id, from: f.startedAtMs, to: (f.endedAtMs ?? Number.POSITIVE_INFINITY) + SLACK_MS }));
  return outcomes.map((o) => {
    // In flight while the database was held: answered after the window opened, sent before it closed.
    const answeredMs = (o.scheduledMs ?? 0) + (o.latencyMs ?? 0);
    const window = o.status === 503 && o.refusal === "storage_full" ? windows.find((w) => answeredMs >= w.from && (o.sentMs ?? 0) <= w.to) : undefined;
    return {
      requestId: o.requestId,
      intendedValid: o.valid,
      status: o.status,
      ...(o.orderNumber ? { orderNumber: o.orderNumber } : {}),
      ...(o.body ? { body: o.body } : {}),
      ...(o.cart ? { cart: o.cart } : {}),
      ...(window ? { explainedBy: `disk_full ${window.id}` } : {}),
    };
  });
}
