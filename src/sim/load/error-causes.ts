/**
 * Why a request did not get the answer it should have: one row per cause, in the order the report,
 * the summary and the dashboard list them. The load runner classifies each outcome as it comes;
 * a valid request answered 201 and an invalid one answered 4xx have no cause (they went as meant;
 * a 201 to an invalid request is the checker's finding, not a transport error).
 */
export const ERROR_CAUSES = [
  // key: in the report; label: how the summary says it ("3 timed out"); short: the dashboard's word.
  /** 503: the order service's backpressure (past `--max-concurrent`) or numbers it cannot reserve; it sends Retry-After. */
  { key: "status503", label: "answered 503", short: "503" },
  { key: "status5xx", label: "answered other 5xx", short: "5xx" },
  /** A 4xx to a request the generator made valid. */
  { key: "status4xx", label: "answered 4xx to a valid request", short: "4xx" },
  /** An answer that is none of 201, 4xx, 5xx (a 200, a redirect). */
  { key: "otherStatus", label: "answered another status", short: "status" },
  { key: "refused", label: "refused", short: "refused" },
  { key: "reset", label: "reset", short: "reset" },
  /** Nothing on the socket for the request timeout. */
  { key: "timedOut", label: "timed out", short: "timeout" },
  /** No order service was up to send it to (every instance stopped or crashed). */
  { key: "noService", label: "no order service up", short: "no svc" },
  /** A transport error of another kind (the event log has the first one's message). */
  { key: "otherFailure", label: "other failure", short: "other" },
] as const;

export type ErrorCause = (typeof ERROR_CAUSES)[number]["key"];
export type ErrorCauseCounts = Record<ErrorCause, number>;

/** Causes of requests that got no answer at all: their latency is a time to failure. */
export const UNANSWERED_CAUSES: ReadonlySet<ErrorCause> = new Set(["refused", "reset", "timedOut", "noService", "otherFailure"]);

/** The runner's own codes, beside Node's errno codes, for failures it decides itself. */
export const RUNNER_CODES = { timedOut: "ETIMEDOUT", noService: "ENOSERVICE" } as const;

export function causeLabel(cause: ErrorCause): string {
  return ERROR_CAUSES.find((c) => c.key === cause)!.label;
}

export function emptyCauseCounts(): ErrorCauseCounts {
  return Object.fromEntries(ERROR_CAUSES.map((c) => [c.key, 0])) as ErrorCauseCounts;
}

/**
 * The cause of one outcome; null when it got the answer it was meant to (or a 201, which the
 * checker judges). `status` 0 means no answer, and `code` then says why (errno or the runner's own).
 */
export function errorCauseOf(valid: boolean, status: number, code?: string): ErrorCause | null {
  if (status === 201) return null;
  if (status >= 400 && status < 500) return valid ? "status4xx" : null;
  if (status === 503) return "status503";
  if (status >= 500 && status < 600) return "status5xx";
  if (status > 0) return "otherStatus";
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
      return "reset";
    case RUNNER_CODES.timedOut:
      return "timedOut";
    case RUNNER_CODES.noService:
      return "noService";
    default:
      return "otherFailure";
  }
}

/** "refused 98 timeout 3": the causes that occurred, in short, for one-line views (the dashboard, the plain lines). */
export function describeCausesShort(counts: Partial<ErrorCauseCounts>): string {
  return ERROR_CAUSES.filter((c) => (counts[c.key] ?? 0) > 0)
    .map((c) => `${c.short} ${counts[c.key]}`)
    .join(" ");
}

/** "98 refused, 3 timed out, 2 answered 503": the causes that occurred, in the table's order. */
export function describeCauses(counts: Partial<ErrorCauseCounts>): string {
  return ERROR_CAUSES.filter((c) => (counts[c.key] ?? 0) > 0)
    .map((c) => `${counts[c.key]} ${c.label}`)
    .join(", ");
}
