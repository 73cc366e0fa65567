import { createWriteStream, type WriteStream } from "node:fs";

/**
 * The run's timeline, `timeline.ndjson`: one JSON line per thing the harness saw (every order
 * event, fault, tick, log line), read afterwards by the bench and by replays. Lines are gathered
 * and written in chunks (200 ms after the first line of a chunk, or at 64 KB): a write per event,
 * several thousand a second under load, was a tenth of the harness's CPU, and the harness shares
 * the machine with the system it measures. The timer is armed by a write, not kept running: an
 * idle harness has nothing to flush five times a second.
 */
export class TimelineFile {
  private readonly stream: WriteStream;
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private failed = false;
  /** Chunks handed to the file so far (see `pendingChunk` and `onWritten`). */
  private chunks = 0;
  private readonly written: Array<(chunk: number) => void> = [];

  /** `onError` hears once that the file cannot be written (disk full, directory gone); the run goes on without it. */
  constructor(path: string, onError?: (err: Error, path: string) => void) {
    this.stream = createWriteStream(path);
    this.stream.on("error", (err) => {
      if (this.failed) return;
      this.failed = true;
      this.lines = [];
      onError?.(err, path);
    });
  }

  /** The chunk the next line goes into: once `onWritten` hears of it, that line is in the file. */
  get pendingChunk(): number {
    return this.chunks + 1;
  }

  /** `listener` hears each chunk the file took (in order); a file that failed hears no more. */
  onWritten(listener: (chunk: number) => void): void {
    this.written.push(listener);
  }

  write(type: string, data: unknown): void {
    this.writeJson(type, JSON.stringify(data));
  }

  /** `json` is `data` already serialised (e.g. a message body that is JSON), spliced in as it is. */
  writeJson(type: string, json: string): void {
    const line = `{"t":${Date.now()},"type":${JSON.stringify(type)},"data":${json}}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= 64 * 1024) this.flush();
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), 200);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.failed) this.lines = [];
    if (this.lines.length === 0) return;
    const chunk = ++this.chunks;
    this.stream.write(this.lines.join(""), (err) => {
      if (!err) for (const listener of this.written) listener(chunk);
    });
    this.lines = [];
    this.bytes = 0;
  }

  /** Write what is gathered; resolves once it is in the file (a reader then sees every line written so far). */
  flushed(): Promise<void> {
    this.flush();
    if (this.failed || this.stream.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => this.stream.write("", () => resolve()));
  }

  /** Write what is gathered and close the file. */
  end(): Promise<void> {
    this.flush();
    if (this.stream.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => this.stream.end(resolve));
  }
}
