/**
 * What the checker needs of a run, kept on disk instead of in the harness's memory: every message
 * of the ORDERS stream (the timeline's `order_event` lines, in the order the tap saw them) and
 * every request's outcome (`requests.ndjson`, in the order they were answered, then the orders
 * others placed, adopted by `up`). The harness's memory then does not grow with the orders a run
 * finishes; the check reads both back at the end, and sees exactly what it was given before.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { StreamRecord } from "../check/checker-types.js";
import type { RequestAnswer } from "../check/fault-refusals.js";
import type { RequestOutcome } from "../load/load-runner.js";
import { checkOrderEvent } from "../../services/shared/events.js";
import { decodeTapped, type TappedEvent } from "./event-tap.js";
import { TimelineFile } from "./timeline-file.js";

/** The outcome of one request as the checker takes it (check/fault-refusals.ts makes its request record of it). */
export type RequestLine = RequestAnswer;

/** What is kept in memory until the file has it: each record with the chunk of the file it went into. */
class Held<T> {
  private items: Array<{ chunk: number; item: T }> = [];

  add(chunk: number, item: T): void {
    this.items.push({ chunk, item });
  }

  /** The file has every chunk up to `chunk`: what went into them need not be held. */
  written(chunk: number): void {
    let i = 0;
    while (i < this.items.length && this.items[i].chunk <= chunk) i++;
    if (i > 0) this.items = this.items.slice(i);
  }

  get all(): T[] {
    return this.items.map((x) => x.item);
  }
}

export class RunRecorder {
  /** ORDERS messages written to the timeline so far. */
  private events = 0;
  private failure: string | null = null;
  // Records the file does not have yet (a chunk not yet written, or a file that refused writes: a
  // full disk). Normally a fifth of a second of them; everything from a failure on.
  private readonly heldStream = new Held<StreamRecord>();
  private readonly heldRequests = new Held<RequestLine>();

  /** The run's timeline (timeline.ndjson), which this records the stream on beside everything else the harness writes there. */
  readonly timeline: TimelineFile;
  private readonly requests: TimelineFile;
  private readonly timelinePath: string;
  private readonly requestsPath: string;

  /** `onError` hears that a file cannot be written (the check will then miss what was not). */
  constructor(runDir: string, onError: (err: Error, path: string) => void) {
    const unwritable = (err: Error, path: string) => {
      this.failure ??= err.message;
      onError(err, path);
    };
    this.timelinePath = join(runDir, "timeline.ndjson");
    this.requestsPath = join(runDir, "requests.ndjson");
    this.timeline = new TimelineFile(this.timelinePath, unwritable);
    this.requests = new TimelineFile(this.requestsPath, unwritable);
    this.timeline.onWritten((chunk) => this.heldStream.written(chunk));
    this.requests.onWritten((chunk) => this.heldRequests.written(chunk));
  }

  /** An ORDERS message, on the timeline: a valid event spliced in as it came (already JSON: not stringified again, thousands a second). */
  orderEvent(raw: { seq: number; subject: string; data: string }, tapped: TappedEvent, atMs: number): void {
    this.events++;
    this.heldStream.add(this.timeline.pendingChunk, tapped);
    this.timeline.writeJson("order_event", `{"seq":${raw.seq},"atMs":${Math.round(atMs)},"subject":${JSON.stringify(raw.subject)},"event":${tapped.event ? raw.data : JSON.stringify(raw.data)}}`);
  }

  request(r: RequestLine): void {
    this.heldRequests.add(this.requests.pendingChunk, r);
    this.requests.writeJson("request", JSON.stringify(r));
  }

  /** A request's outcome, as the checker takes it. */
  outcome(o: RequestOutcome): void {
    this.request({
      requestId: o.requestId,
      valid: o.valid,
      status: o.status,
      ...(o.orderNumber ? { orderNumber: o.orderNumber } : {}),
      ...(o.body ? { body: o.body } : {}),
      ...(o.cart ? { cart: o.cart } : {}),
      // The times only where the answer may be an injected fault's (a full disk's 503).
      ...(o.refusal !== undefined ? { refusal: o.refusal, scheduledMs: o.scheduledMs, latencyMs: o.latencyMs, sentMs: o.sentMs } : {}),
    });
  }

  /** An order someone else placed (`up`): checked as if a 201 of ours had made it. */
  adopted(requestId: string, orderNumber: string): void {
    this.request({ requestId, valid: true, status: 201, orderNumber });
  }

  /** How many ORDERS messages are recorded: `readStream(n)` gives the stream as it stood then. */
  get streamLength(): number {
    return this.events;
  }

  /** The stream's first `streamLength` messages and every request, read back; what could not be written is told to `complain`. */
  async readBack(streamLength: number, complain: (message: string) => void): Promise<{ stream: StreamRecord[]; requests: RequestLine[] }> {
    const stream = await this.readStream(streamLength);
    const requests = await this.readRequests();
    if (this.failure !== null) complain(`the run directory did not take all of the stream and the requests (${this.failure}): the check reads what it has, and what the harness held in memory since`);
    return { stream, requests };
  }

  /** The first `count` ORDERS messages recorded, as the checker takes them. */
  async readStream(count: number): Promise<StreamRecord[]> {
    const out: StreamRecord[] = [];
    for await (const r of this.streamRecords(count)) out.push(r);
    return out;
  }

  /**
   * The same one message at a time, for the online check (check/online-check.ts), which reads it
   * twice: what the file has, then what the harness still holds that the file does not (a full disk).
   */
  async *streamRecords(count: number): AsyncGenerator<StreamRecord> {
    await this.timeline.flushed();
    if (count === 0) return;
    const held = this.heldStream.all;
    const inFile = new Set<number>(); // of the held ones (a fifth of a second's, or what a full disk refused)
    const heldSeqs = new Set(held.map((r) => r.seq));
    let n = 0;
    for await (const line of lines(this.timelinePath)) {
      if (!line.includes('"type":"order_event"')) continue;
      const data = parsed<{ seq: number; subject: string; event: unknown }>(line);
      if (!data) continue;
      if (heldSeqs.has(data.seq)) inFile.add(data.seq);
      yield readEvent(data);
      if (++n >= count) return;
    }
    for (const r of held) {
      if (inFile.has(r.seq) || n >= count) continue;
      n++;
      yield r;
    }
  }

  /** Every request read back, and the stream's first `streamLength` messages as a source the check reads as it goes; what could not be written is told to `complain`. */
  async readForCheck(streamLength: number, complain: (message: string) => void): Promise<{ requests: RequestLine[]; stream: () => AsyncGenerator<StreamRecord> }> {
    const requests = await this.readRequests();
    if (this.failure !== null) complain(`the run directory did not take all of the stream and the requests (${this.failure}): the check reads what it has, and what the harness held in memory since`);
    return { requests, stream: () => this.streamRecords(streamLength) };
  }

  /** Every request recorded, as the checker takes them. */
  async readRequests(): Promise<RequestLine[]> {
    await this.requests.flushed();
    const out: RequestLine[] = [];
    for await (const line of lines(this.requestsPath)) {
      const r = parsed<RequestLine>(line);
      if (r) out.push(r);
    }
    const seen = new Set(out.map((r) => r.requestId));
    for (const r of this.heldRequests.all) if (!seen.has(r.requestId)) out.push(r);
    return out;
  }

  async end(): Promise<void> {
    await this.timeline.end();
    await this.requests.end();
  }
}

/** A recorded ORDERS message decoded as the tap decoded it: a poison message was recorded as its text. */
function readEvent(d: { seq: number; subject: string; event: unknown }): StreamRecord {
  if (typeof d.event === "string") return decodeTapped({ seq: d.seq, subject: d.subject, data: d.event });
  try {
    return { seq: d.seq, subject: d.subject, event: checkOrderEvent(d.event) };
  } catch {
    return { seq: d.seq, subject: d.subject, event: null };
  }
}

/** A timeline line's data; null for a line a full disk cut short. */
function parsed<T>(line: string): T | null {
  if (line.length === 0) return null;
  try {
    return (JSON.parse(line) as { data: T }).data;
  } catch {
    return null;
  }
}

async function* lines(path: string): AsyncGenerator<string> {
  // Only a file: a timeline that is a device (/dev/full in a test of a full disk) reads forever.
  if (!existsSync(path) || !statSync(path).isFile()) return;
  const input = createReadStream(path, { encoding: "utf8" });
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) yield line;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  } finally {
    input.destroy();
  }
}
