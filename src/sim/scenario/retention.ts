/**
 * How long the ORDERS stream keeps its messages in a run (JetStream Limits retention, oldest
 * dropped first): the scenario's `retention: { maxAge, maxBytes }`, `up`'s `--retention-age` and
 * `--retention-bytes`. A run's default covers the run (nothing it may still need is dropped);
 * `up` runs until Ctrl-C, so its default is bounded: a long `up` would otherwise grow the broker's
 * store, and its memory, without end. The services prune their idempotency entries past the same
 * bound (services/shared/idempotency-window.ts).
 */
import type { TopologyOptions } from "../../services/shared/nats.js";
import { given, type Reader } from "./reader.js";

export interface StreamRetention {
  /** Messages older than this are dropped (0: no age limit). */
  maxAgeMs: number;
  /** The stream's size limit, the oldest messages dropped first (0: none). */
  maxBytes: number;
}

/**
 * `up`'s default: the broker's duplicate window (5 minutes: every msgID it could still drop a
 * republish of is kept) and at most 1 GiB. At 100 orders/s that is about 30,000 orders.
 */
export const UP_RETENTION: Readonly<StreamRetention> = { maxAgeMs: 5 * 60_000, maxBytes: 1024 ** 3 };

/** The least age a run's default keeps, however short the run. */
const RUN_MIN_AGE_MS = 60 * 60_000;

/** A run's default: twice the run and its drain (and at least an hour), no size limit. */
export function runRetention(durationMs: number, drainTimeoutMs: number): StreamRetention {
  return { maxAgeMs: Math.max(RUN_MIN_AGE_MS, 2 * (durationMs + drainTimeoutMs)), maxBytes: 0 };
}

/** The topology settings that carry a retention to the streams. */
export function retentionTopology(r: StreamRetention): Pick<TopologyOptions, "ordersMaxAgeMs" | "ordersMaxBytes"> {
  return { ordersMaxAgeMs: r.maxAgeMs, ordersMaxBytes: r.maxBytes };
}

const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: a bare number of bytes, or `512MiB`, `1GiB`, `100MB`, `64KiB`; null when it is none. */
export function parseSize(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
  if (typeof value !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(value);
  if (!m) return null;
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]);
}

export const SIZE_HINT = "a size such as 512MiB, 1GiB or a number of bytes (0: no limit)";

/** The scenario's `retention: { maxAge, maxBytes }`; what it leaves out is the run's default. */
export function readRetention(r: Reader, value: unknown, fallback: StreamRetention): StreamRetention {
  const m = r.mapping(value, ["retention"], ["maxAge", "maxBytes"], "the ORDERS stream's retention");
  const maxAgeMs = given(m.maxAge) ? r.duration(m.maxAge, ["retention", "maxAge"], { min: 0 }) : fallback.maxAgeMs;
  let maxBytes = fallback.maxBytes;
  if (given(m.maxBytes)) {
    const size = parseSize(m.maxBytes);
    if (size === null) r.fail(["retention", "maxBytes"], SIZE_HINT, m.maxBytes);
    maxBytes = size;
  }
  return { maxAgeMs, maxBytes };
}
