import { hostname } from "node:os";
import { BUCKETS, isOnline, type HeartbeatRecord, type InstanceRecord, type ServiceName } from "./contracts.js";
import { InstanceOnlineError } from "./errors.js";
import type { KV } from "./kv.js";
import { retryWhileSettling } from "./nats.js";

/**
 * The presence keys ("<bucket>/<key>") held by instances running in this process right now. A
 * record with this process's pid whose key is not here was left by an instance of this process
 * that crashed (abort(): the harness's in-process "kill"), so it does not block a restart.
 */
const heldHere = new Set<string>();

/** Whether a pid on this host is alive (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is only someone else's.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The holder of a fresh record is certainly gone: it ran on this host and its process is dead, or it was an instance of this process that is no longer running. */
function holderIsGone(record: HeartbeatRecord, heldKey: string): boolean {
  if (record.hostname !== hostname()) return false;
  if (record.pid === process.pid) return !heldHere.has(heldKey);
  return !isProcessAlive(record.pid);
}

/** "pid 123 on host-a": who holds a record, for the refusal. */
export function describeHolder(record: Pick<HeartbeatRecord, "pid" | "hostname">): string {
  return `pid ${record.pid} on ${record.hostname}`;
}

export interface ClaimOptions<R extends HeartbeatRecord> {
  kv: KV;
  bucket: string;
  key: string;
  /** The record to write, with a fresh last_seen. */
  record(): R;
  /** The refusal when the key is held by a holder that is online. */
  refusal(existing: R | null): Error;
  /** The caller knows the previous holder is dead (it crashed it itself): a fresh heartbeat does not count. */
  takeOver?: boolean;
}

/**
 * Claim a presence key: refused while its record is online (a heartbeat younger than twice the
 * interval, not signed off) and its holder is not known to be gone; written by compare-and-set,
 * so that of two instances claiming at once one wins and the other looks again and is refused.
 */
export async function claimPresence<R extends HeartbeatRecord>(o: ClaimOptions<R>): Promise<void> {
  const heldKey = `${o.bucket}/${o.key}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    // At start the broker may be busy creating the bucket for several services at once: a read that times out is tried again.
    const entry = await retryWhileSettling(`read ${heldKey}`, () => o.kv.get(o.key));
    const existing = entry && entry.operation === "PUT" ? (entry.json() as R) : null;
    if (existing && isOnline(existing) && !holderIsGone(existing, heldKey) && !o.takeOver) throw o.refusal(existing);
    const value = JSON.stringify(o.record());
    try {
      await (entry ? o.kv.update(o.key, value, entry.revision) : o.kv.create(o.key, value));
      heldHere.add(heldKey);
      return;
    } catch (err) {
      // Someone wrote the key between our read and write: look again.
      if (!/wrong last sequence|exists/i.test((err as Error).message)) throw err;
    }
  }
  throw o.refusal(null);
}

/** This process no longer holds the key (signed off, or crashed in-process). */
export function releasePresence(bucket: string, key: string): void {
  heldHere.delete(`${bucket}/${key}`);
}

/** What the lifecycle does with an instance's presence: claim it, beat, sign off at a graceful stop, forget it at a crash. */
export interface InstanceClaim {
  claim(): Promise<void>;
  beat(): Promise<void>;
  signOff(): Promise<void>;
  cancel(): void;
}

/** Heartbeat of a service instance's presence record; offline after two missed ones. */
export const PRESENCE_INTERVAL_MS = 5_000;

/** A service instance's record in `pizzeria_instances` (the kitchen's workers use WorkerRegistration instead). */
export class ServicePresence implements InstanceClaim {
  private readonly record: InstanceRecord;
  private readonly key: string;

  constructor(
    private readonly kv: KV,
    service: ServiceName,
    instance: string,
    heartbeatIntervalMs = PRESENCE_INTERVAL_MS,
  ) {
    const now = new Date().toISOString();
    this.key = `${service}.${instance}`;
    this.record = { service, instance, state: "online", heartbeat_interval_ms: heartbeatIntervalMs, last_seen: now, started_at: now, hostname: hostname(), pid: process.pid };
  }

  claim(): Promise<void> {
    const { service, instance } = this.record;
    return claimPresence<InstanceRecord>({
      kv: this.kv,
      bucket: BUCKETS.instances,
      key: this.key,
      record: () => ({ ...this.record, last_seen: new Date().toISOString() }),
      refusal: (existing) => new InstanceOnlineError(service, instance, existing ? describeHolder(existing) : "another instance claiming it at the same time", existing?.last_seen ?? "just now"),
    });
  }

  beat(): Promise<void> {
    return this.write();
  }

  async signOff(): Promise<void> {
    this.record.state = "offline";
    releasePresence(BUCKETS.instances, this.key);
    await this.write();
  }

  cancel(): void {
    releasePresence(BUCKETS.instances, this.key);
  }

  private async write(): Promise<void> {
    this.record.last_seen = new Date().toISOString();
    try {
      await this.kv.put(this.key, JSON.stringify(this.record));
    } catch {
      // The broker may be down; the next heartbeat tries again. Being seen late is the honest signal.
    }
  }
}
