import type { NatsConnection } from "@nats-io/transport-node";

// What the nats-server a service is connected to can do, decided from the version it announced
// when the connection opened (its INFO): never by trying a request and reading an odd error.

/** `[major, minor, patch]` of a version string such as `v2.10.27` or `2.15.1-RC.1`; null when it is not one. */
export function parseVersion(text: string): [number, number, number] | null {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** Negative, zero or positive as version `a` is older than, the same as, or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a) ?? [0, 0, 0];
  const y = parseVersion(b) ?? [0, 0, 0];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** Whether a server of `version` is `min` or newer (an unreadable version is not). */
export function atLeast(version: string, min: string): boolean {
  return parseVersion(version) !== null && compareVersions(version, min) >= 0;
}

/** The release that brought what the services use when it is there. */
export const FILTER_SUBJECTS_SINCE = "2.10.0";

export interface ServerFeatures {
  /** The version the server announced (`2.15.1`), or `unknown`. */
  version: string;
  /**
   * 2.10 and newer: a consumer may have several filter subjects (`filter_subjects`), and a filtered
   * consumer's pending count comes from the stream's per-subject index. On 2.9 (or a version that
   * cannot be read) a durable takes one filter, and a filter over a backlog costs the broker a scan
   * of the stored messages per delivery, so the durables that need fewer events than the stream
   * holds take them all and skip the rest themselves.
   */
  filterSubjects: boolean;
}

export function featuresOf(version: string | undefined): ServerFeatures {
  const v = version && parseVersion(version) ? version : "unknown";
  return { version: v, filterSubjects: atLeast(v, FILTER_SUBJECTS_SINCE) };
}

/** The features of the server this connection is on (its INFO at connect time). */
export function serverFeatures(nc: NatsConnection): ServerFeatures {
  return featuresOf(nc.info?.version);
}
