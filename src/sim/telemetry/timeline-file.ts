import { createWriteStream, type WriteStream } from "node:fs";

/**
 * The run's timeline, `timeline.ndjson`: one JSON line per thing the harness saw (every order
 * event, fault, tick, log line), read afterwards by the bench and by replays. Lines are gathered
 * and written in chunks (every 200 ms or 64 KB): a write per event, several thousand a second
 * under load, was a tenth of the harness's CPU, and the harness shares the machine with the
 * system it measures.
 */
export class TimelineFile {
  private readonly stream: WriteStream;
  private lines: string[] = [];
  private bytes = 0;
  private readonly timer: NodeJS.Timeout;
  private failed = false;

  /** `onError` hears once that the file cannot be written (disk full, directory gone); the run goes on without it. */
  constructor(path: string, onError?: (err: Error) => void) {
    this.stream = createWriteStream(path);
    this.stream.on("error", (err) => {
      if (this.failed) return;
      this.failed = true;
      this.lines = [];
      onError?.(err);
    });
    this.timer = setInterval(() => this.flush(), 200);
    this.timer.unref();
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
  }

  flush(): void {
    if (this.failed) this.lines = [];
    if (this.lines.length === 0) return;
    this.stream.write(this.lines.join(""));
    this.lines = [];
    this.bytes = 0;
  }

  /** Write what is gathered and close the file. */
  end(): Promise<void> {
    clearInterval(this.timer);
    this.flush();
    if (this.stream.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => this.stream.end(resolve));
  }
}
