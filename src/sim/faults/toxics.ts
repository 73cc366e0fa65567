/**
 * Toxics for the loopback TCP proxy (net-proxy.ts), after Toxiproxy's: what they are,
 * how they are validated, and the per-direction pipe that applies them to one connection.
 *
 * A connection has two {@link ToxicLink}s, one per direction. Each reads its source socket,
 * stamps every chunk with the time it may leave (latency), queues it in order, and a single
 * worker delivers the queue: bandwidth (token bucket) → slicer → write to the destination,
 * waiting for 'drain'. The toxics are read afresh for every chunk, so adding or removing one
 * acts on connections already open. Connection-wide toxics (timeout's close timer, reset_peer,
 * partition) are handled by the proxy itself.
 */
import type { Readable, Writable } from "node:stream";
import { ConfigError } from "../../services/shared/errors.js";
import { FAULT_KIND_ROWS, FAULT_KINDS, type ToxicField, type ToxicFieldCheck, type ToxicMapping } from "../scenario/fault-kinds.js";

export type ToxicType = "latency" | "bandwidth" | "timeout" | "reset_peer" | "slicer" | "partition";
/** upstream = client -> server, downstream = server -> client. */
export type Direction = "upstream" | "downstream" | "both";

export type ToxicSpec =
  | { type: "latency"; latencyMs: number; jitterMs?: number; direction?: Direction }
  | { type: "bandwidth"; rateKBps: number; direction?: Direction }
  /** Stop all data (dropped); close the connection after timeoutMs (0 = never: a blackhole). */
  | { type: "timeout"; timeoutMs: number; direction?: Direction }
  /** Reset (RST) connections after timeoutMs (default 0 = at once), and new ones as they come. */
  | { type: "reset_peer"; timeoutMs?: number }
  | { type: "slicer"; averageSize: number; sizeVariation?: number; delayUs?: number; direction?: Direction }
  /** Drop every open connection and kill new ones until removed. */
  | { type: "partition" };

/** The network rows of the fault table, by the toxic each adds. */
const TOXIC_MAPPINGS = new Map<string, ToxicMapping>(
  FAULT_KINDS.flatMap((kind) => {
    const toxic = FAULT_KIND_ROWS[kind].toxic;
    return toxic ? [[toxic.type, toxic] as const] : [];
  }),
);
export const TOXIC_TYPES = [...TOXIC_MAPPINGS.keys()] as readonly ToxicType[];
const DIRECTIONS: readonly Direction[] = ["upstream", "downstream", "both"];

/** A direction a link carries: never "both". */
export type Flow = "upstream" | "downstream";

/** The default direction of a directional toxic: both ways (Toxiproxy's is downstream). */
export const DEFAULT_DIRECTION: Direction = "both";

function check(ok: boolean, message: string): void {
  if (!ok) throw new ConfigError(`invalid toxic: ${message}`);
}

const FIELD_CHECKS: Record<ToxicFieldCheck, { ok(value: unknown): boolean; rule: string }> = {
  "at least 0": { ok: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0, rule: "a finite number >= 0" },
  "above 0": { ok: (v) => typeof v === "number" && Number.isFinite(v) && v > 0, rule: "a finite number > 0" },
  "integer from 1": { ok: (v) => typeof v === "number" && Number.isInteger(v) && v >= 1, rule: "an integer >= 1" },
};

function checkField(field: ToxicField, value: unknown): number {
  const { ok, rule } = FIELD_CHECKS[field.check];
  check(ok(value), `${field.field} must be ${rule} (got ${String(value)})${field.hint ? `; ${field.hint}` : ""}`);
  return value as number;
}

function direction(value: unknown): Direction {
  if (value === undefined) return DEFAULT_DIRECTION;
  check(DIRECTIONS.includes(value as Direction), `direction must be one of ${DIRECTIONS.join(", ")} (got ${String(value)})`);
  return value as Direction;
}

/**
 * Check a spec and fill in its defaults (direction "both", jitter 0, ...): a fresh object.
 * Throws ConfigError for anything that cannot work. The fields and their rules are the fault
 * table's (scenario/fault-kinds.ts).
 */
export function normalizeToxic(spec: ToxicSpec): ToxicSpec {
  check(typeof spec === "object" && spec !== null, "a toxic must be an object");
  const mapping = TOXIC_MAPPINGS.get(spec.type);
  check(mapping !== undefined, `type must be one of ${TOXIC_TYPES.join(", ")} (got ${String((spec as { type?: unknown }).type)})`);
  const given = spec as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { type: spec.type };
  for (const field of mapping!.fields) out[field.field] = checkField(field, field.optional ? (given[field.field] ?? 0) : given[field.field]);
  if (mapping!.directional) out.direction = direction(given.direction);
  return out as unknown as ToxicSpec;
}

/** What one direction of every connection currently suffers, combined from all toxics on it. */
export interface FlowToxics {
  /** Each latency toxic on this flow; their delays add up. */
  latencies: Array<{ latencyMs: number; jitterMs: number }>;
  /** Bytes per second; the slowest bandwidth toxic wins; null = unlimited. */
  rateBps: number | null;
  /** The finest slicer (smallest averageSize) wins; null = no slicing. */
  slicer: { averageSize: number; sizeVariation: number; delayUs: number } | null;
  /** A timeout toxic is on this flow: data is dropped. */
  blocked: boolean;
}

function applies(dir: Direction | undefined, flow: Flow): boolean {
  const d = dir ?? DEFAULT_DIRECTION;
  return d === "both" || d === flow;
}

/** Combine the (normalized) toxics into what one flow suffers. */
export function flowToxics(toxics: Iterable<ToxicSpec>, flow: Flow): FlowToxics {
  const out: FlowToxics = { latencies: [], rateBps: null, slicer: null, blocked: false };
  for (const t of toxics) {
    switch (t.type) {
      case "latency":
        if (applies(t.direction, flow)) out.latencies.push({ latencyMs: t.latencyMs, jitterMs: t.jitterMs ?? 0 });
        break;
      case "bandwidth":
        if (applies(t.direction, flow)) {
          const bps = t.rateKBps * 1000; // Toxiproxy's KB is 1000 bytes
          out.rateBps = out.rateBps === null ? bps : Math.min(out.rateBps, bps);
        }
        break;
      case "slicer":
        if (applies(t.direction, flow) && (out.slicer === null || t.averageSize < out.slicer.averageSize)) {
          out.slicer = { averageSize: t.averageSize, sizeVariation: t.sizeVariation ?? 0, delayUs: t.delayUs ?? 0 };
        }
        break;
      case "timeout":
        if (applies(t.direction, flow)) out.blocked = true;
        break;
      case "reset_peer":
      case "partition":
        break;
    }
  }
  return out;
}

/** One chunk's delay: the sum over the latency toxics of latency ± uniform jitter, never negative. */
export function sampleDelay(latencies: FlowToxics["latencies"], random: () => number = Math.random): number {
  let delay = 0;
  for (const l of latencies) delay += l.latencyMs + (l.jitterMs > 0 ? (random() * 2 - 1) * l.jitterMs : 0);
  return Math.max(0, delay);
}

/** The size of the next slice: averageSize ± uniform sizeVariation, at least 1, at most what is left. */
export function sliceSize(slicer: NonNullable<FlowToxics["slicer"]>, left: number, random: () => number = Math.random): number {
  const variation = slicer.sizeVariation > 0 ? Math.round((random() * 2 - 1) * slicer.sizeVariation) : 0;
  return Math.min(left, Math.max(1, slicer.averageSize + variation));
}

/** Bandwidth pieces carry at most this much time's worth of bytes (Toxiproxy's 100 ms). */
export const BANDWIDTH_SLICE_MS = 100;

/**
 * How many due-but-undelivered bytes a link holds before it pauses its source. Bytes still inside
 * their latency delay do not count (they are "on the wire"), so that queue is bounded by
 * latency × input rate, and the input rate by the output rate.
 */
export const LINK_HIGH_WATER = 256 * 1024;

interface Entry {
  /** null = the source ended: end the destination once everything before it is out. */
  chunk: Buffer | null;
  /** When it may leave (Date.now() ms). */
  at: number;
}

export interface LinkHooks {
  /** The toxics this flow suffers now (read for every chunk). */
  toxics(): FlowToxics;
  /** Bytes written to the destination. */
  delivered(bytes: number): void;
  /** The source ended and everything, end included, was handed to the destination. */
  finished(): void;
}

/**
 * One direction of one proxied connection. Reads `source` (flowing mode, paused for
 * backpressure), delays, throttles and slices its data, writes it to `dest`. Never touches the
 * sockets' lifecycle except `dest.end()` after the source ended; errors are the proxy's business.
 */
export class ToxicLink {
  private readonly queue: Entry[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** The last chunk's departure time: later chunks never leave earlier (byte order). */
  private lastAt = 0;
  /** Bandwidth: when the next piece may be sent. */
  private bwNextAt = 0;
  private pausedByUs = false;
  private stopped = false;
  private ended = false;
  private waker: (() => void) | null = null;

  constructor(
    private readonly source: Readable,
    private readonly dest: Writable,
    private readonly hooks: LinkHooks,
  ) {}

  /** Start reading the source. */
  start(): void {
    this.source.on("data", (chunk: Buffer) => this.onData(chunk));
    this.source.on("end", () => this.onEnd());
    void this.run().catch(() => {
      // The worker only awaits timers and 'drain'; nothing should reject, but never leak a rejection.
      this.stop();
    });
  }

  /** The toxics changed (or the connection is going): re-evaluate whatever the worker waits for. */
  wake(): void {
    this.waker?.();
  }

  /** Stop: drop what is queued, deliver nothing more. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.wake();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Bytes received and not yet delivered. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  private onData(chunk: Buffer): void {
    if (this.stopped || this.ended) return;
    const toxics = this.hooks.toxics();
    if (toxics.blocked) return; // timeout / blackhole: dropped on the floor, as Toxiproxy does
    this.push(chunk, toxics);
  }

  private onEnd(): void {
    if (this.stopped || this.ended) return;
    this.ended = true;
    this.push(null, this.hooks.toxics());
  }

  private push(chunk: Buffer | null, toxics: FlowToxics): void {
    const now = Date.now();
    const at = Math.max(now + sampleDelay(toxics.latencies), this.lastAt);
    this.lastAt = at;
    this.queue.push({ chunk, at });
    if (chunk) this.queuedBytes += chunk.length;
    this.updateFlow(now);
    this.wake();
  }

  private peek(): Entry | undefined {
    return this.head < this.queue.length ? this.queue[this.head] : undefined;
  }

  private shift(): Entry | undefined {
    const entry = this.peek();
    if (!entry) return undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (entry.chunk) this.queuedBytes -= entry.chunk.length;
    return entry;
  }

  /** Pause the source while more than LINK_HIGH_WATER bytes are due and not yet delivered. */
  private updateFlow(now = Date.now()): void {
    const head = this.peek();
    const pause = !this.stopped && this.queuedBytes > LINK_HIGH_WATER && head !== undefined && head.at <= now;
    if (pause && !this.pausedByUs) {
      this.pausedByUs = true;
      this.source.pause();
    } else if (!pause && this.pausedByUs) {
      this.pausedByUs = false;
      if (!this.source.destroyed) this.source.resume();
    }
  }

  /** Wait for `ms` (null = until woken) and/or the destination's 'drain'; wake() ends any wait. */
  private wait(ms: number | null, drain = false): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (drain) {
          this.dest.off("drain", done);
          this.dest.off("close", done);
        }
        if (this.waker === done) this.waker = null;
        resolve();
      };
      if (ms !== null) timer = setTimeout(done, Math.max(0, ms));
      if (drain) {
        this.dest.once("drain", done);
        this.dest.once("close", done);
      }
      this.waker = done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const head = this.peek();
      if (!head) {
        this.updateFlow();
        await this.wait(null);
        continue;
      }
      const now = Date.now();
      if (head.at > now) {
        this.updateFlow(now);
        await this.wait(head.at - now);
        continue;
      }
      this.shift();
      this.updateFlow(now);
      if (head.chunk === null) {
        this.finish();
        return;
      }
      await this.deliver(head.chunk);
    }
  }

  private finish(): void {
    if (this.stopped) return;
    const dest = this.dest;
    if (dest.destroyed || dest.writableEnded) {
      this.hooks.finished();
      return;
    }
    let called = false;
    const once = () => {
      if (called) return;
      called = true;
      this.hooks.finished();
    };
    dest.once("close", once);
    dest.end(once);
  }

  /** Bandwidth: hand the chunk on in pieces of at most BANDWIDTH_SLICE_MS' worth, paced by a token bucket. */
  private async deliver(chunk: Buffer): Promise<void> {
    let rest = chunk;
    while (rest.length > 0 && !this.stopped) {
      const toxics = this.hooks.toxics();
      if (toxics.blocked) return; // a timeout added while this was queued: dropped
      let piece = rest;
      if (toxics.rateBps !== null) {
        const now = Date.now();
        if (this.bwNextAt > now) {
          await this.wait(this.bwNextAt - now); // woken early when toxics change: re-evaluate
          continue;
        }
        const max = Math.max(1, Math.floor((toxics.rateBps * BANDWIDTH_SLICE_MS) / 1000));
        piece = rest.subarray(0, max);
        this.bwNextAt = now + (piece.length * 1000) / toxics.rateBps;
      } else {
        this.bwNextAt = 0;
      }
      rest = rest.subarray(piece.length);
      await this.slice(piece);
    }
  }

  /** Slicer: write the piece in slices of averageSize ± sizeVariation, delayUs apart. */
  private async slice(piece: Buffer): Promise<void> {
    let offset = 0;
    while (offset < piece.length && !this.stopped) {
      const toxics = this.hooks.toxics();
      if (toxics.blocked) return;
      const slicer = toxics.slicer;
      const size = slicer ? sliceSize(slicer, piece.length - offset) : piece.length - offset;
      await this.write(piece.subarray(offset, offset + size));
      offset += size;
      if (slicer && offset < piece.length && !this.stopped) {
        // Timers have millisecond resolution: under 1 ms, yield to the event loop instead.
        if (slicer.delayUs >= 1000) await this.wait(slicer.delayUs / 1000);
        else if (slicer.delayUs > 0) await new Promise<void>((r) => setImmediate(r));
      }
    }
  }

  private async write(buf: Buffer): Promise<void> {
    const dest = this.dest;
    if (this.stopped || dest.destroyed || dest.writableEnded) return;
    dest.write(buf);
    this.hooks.delivered(buf.length);
    while (!this.stopped && !dest.destroyed && dest.writableNeedDrain) await this.wait(null, true);
  }
}
