import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";

/**
 * Copy a child's stdout and stderr into a file (appending) and keep the last `keepBytes` of it
 * in memory. The file is closed on the child's `close` event, not on `exit`: a child's pipes can
 * still deliver data after it has exited (a grandchild holding them, or data still buffered),
 * and writing to a stream already ended is an unhandled ERR_STREAM_WRITE_AFTER_END.
 * `done` resolves once everything the child wrote is in the file.
 */
export function captureChildOutput(child: ChildProcess, file: string | undefined, keepBytes = 4_000): { recent(): string; done: Promise<void> } {
  const log = file ? createWriteStream(file, { flags: "a" }) : null;
  // A log that cannot be written (disk full, directory gone) must not end the harness.
  log?.on("error", () => undefined);
  let recent = "";
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString()).slice(-keepBytes);
    if (log && !log.writableEnded) log.write(chunk);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const done = new Promise<void>((resolve) => {
    child.once("close", () => {
      if (!log) return resolve();
      log.end(() => resolve());
    });
  });
  return { recent: () => recent, done };
}
