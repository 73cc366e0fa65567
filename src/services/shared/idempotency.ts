import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.js";

/**
 * The Idempotency-Key rules of every endpoint that takes one (IETF draft "The Idempotency-Key
 * HTTP Header Field", and Stripe's practice):
 * - the same key with the same request gives the same answer (replayed, `Idempotent-Replayed: true`);
 * - the same key with a different request is 422, naming the key;
 * - a key whose first request is still being handled is 409 (retry once it is done);
 * - a key longer than MAX_IDEMPOTENCY_KEY_LENGTH characters is 400.
 * Each service stores the fingerprint of the request beside what the key made (the order, the
 * checkout), in the transaction that made it, and asks `compare` when the key comes again.
 */

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How the header is named in answers (field of a 4xx). */
const FIELD = "Idempotency-Key";

/**
 * The key of a request: `Idempotency-Key`, else the `fallback` headers (the order service also
 * takes the seed's `X-Request-Id`); undefined when none is sent. 400 when it is empty or too long.
 */
export function readIdempotencyKey(req: IncomingMessage, options: { fallback?: string[]; required?: boolean } = {}): string | undefined {
  for (const name of [IDEMPOTENCY_HEADER, ...(options.fallback ?? [])]) {
    const raw = req.headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw[0] : raw;
    const field = name === IDEMPOTENCY_HEADER ? FIELD : name;
    if (value.trim().length === 0) throw keyError(field, "must not be empty");
    if (value.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw keyError(field, `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${value.length}`);
    return value;
  }
  if (options.required) throw keyError(FIELD, "is required: send a unique key per request, and the same key when retrying it");
  return undefined;
}

function keyError(field: string, reason: string): HttpError {
  return new HttpError(400, "invalid_idempotency_key", `${field} ${reason}`, [{ field, reason }]);
}

/**
 * What identifies a request for its key: the route and the JSON body, with object keys sorted
 * so that two bodies that say the same thing in another order or spacing are the same request.
 */
export function requestFingerprint(route: string, body: unknown): string {
  return createHash("sha256").update(route).update("\n").update(canonicalJson(body)).digest("hex");
}

/** JSON with object keys sorted and undefined members left out (a plain loop: it runs on every keyed request). */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
    return typeof value === "boolean" ? String(value) : (JSON.stringify(value) ?? "null");
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = "{";
  let first = true;
  for (const key of Object.keys(obj).sort()) {
    const member = obj[key];
    if (member === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(member)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * A key seen before: the same request (replay what it made) or another one (422). A stored
 * fingerprint of null (a row written before fingerprints were kept) is taken as the same request.
 */
export function compareFingerprint(key: string, stored: string | null, fingerprint: string, madeWhat: string): "replay" {
  if (stored !== null && stored !== fingerprint) {
    const reason = `was already used for a different request (it made ${madeWhat}); use a new key for a new request`;
    throw new HttpError(422, "idempotency_key_reused", `Idempotency-Key ${JSON.stringify(key)} ${reason}`, [{ field: FIELD, reason }]);
  }
  return "replay";
}

/** The header every replayed answer carries. */
export const REPLAYED_HEADERS: Readonly<Record<string, string>> = { "idempotent-replayed": "true" };

/**
 * The keys whose first request this process is handling right now. A second request with one of
 * them gets 409 until the first is answered (the draft's "request is outstanding"): one request
 * per key does the work, so a retry storm makes one order.
 */
export class KeysInProgress {
  private readonly keys = new Set<string>();

  /** Run `fn` holding `key`; 409 when another request holds it. */
  async hold<T>(key: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (key === undefined) return fn();
    if (this.keys.has(key)) {
      const reason = "has a request still in progress; retry once it is answered";
      throw new HttpError(409, "idempotency_key_in_progress", `Idempotency-Key ${JSON.stringify(key)} ${reason}`, [{ field: FIELD, reason }], { "retry-after": "1" });
    }
    this.keys.add(key);
    try {
      return await fn();
    } finally {
      this.keys.delete(key);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}
