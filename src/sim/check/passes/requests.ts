/**
 * The requests pass: what the load generator asked for and heard back. It counts the answers,
 * groups the requests by request id (a retried request shares its id) for the attribution pass,
 * finds the deliberately invalid requests that were not refused with a 4xx, and the valid
 * requests the order service failed (a 5xx: an answer, unlike status 0, so not "unknown").
 */
import type { Finding, RequestRecord } from "../checker-types.js";

export interface RequestsPass {
  /** Every request record under its request id, in the order they were made. */
  byId: Map<string, RequestRecord[]>;
  /** Answered 201. */
  accepted: number;
  /** Answered with a 4xx. */
  rejected: number;
  /** Deliberately invalid requests. */
  invalidRequests: number;
  /** Deliberately invalid requests that did not get a 4xx. */
  not4xx: Finding[];
  /** Valid requests answered with a 5xx. */
  serverErrors: Finding[];
}

export function isAccepted(status: number): boolean {
  return status === 201;
}

export function is4xx(status: number): boolean {
  return status >= 400 && status <= 499;
}

export function is5xx(status: number): boolean {
  return status >= 500 && status <= 599;
}

function describeStatus(status: number): string {
  if (status === 0) return "got no answer";
  if (status === -1) return "was never sent";
  return `was answered ${status}`;
}

export function checkRequests(requests: readonly RequestRecord[]): RequestsPass {
  const byId = new Map<string, RequestRecord[]>();
  const not4xx: Finding[] = [];
  const serverErrors: Finding[] = [];
  let accepted = 0;
  let rejected = 0;
  let invalidRequests = 0;
  for (const r of requests) {
    const group = byId.get(r.requestId);
    if (group) group.push(r);
    else byId.set(r.requestId, [r]);
    if (isAccepted(r.status)) accepted++;
    if (is4xx(r.status)) rejected++;
    if (r.intendedValid && is5xx(r.status) && r.explainedBy === undefined) {
      serverErrors.push({ requestId: r.requestId, reason: `valid request was answered ${r.status}` });
    }
    if (!r.intendedValid) {
      invalidRequests++;
      if (!is4xx(r.status)) {
        not4xx.push({
          requestId: r.requestId,
          ...(r.orderNumber !== undefined ? { orderNumber: r.orderNumber } : {}),
          reason: `deliberately invalid request ${describeStatus(r.status)}, not a 4xx`,
        });
      }
    }
  }
  return { byId, accepted, rejected, invalidRequests, not4xx, serverErrors };
}
