/**
 * Progress on stderr while a bench runs: a line per step, and on a terminal a live status line
 * that the next line replaces. stdout stays free for the result table.
 */
export interface Progress {
  /** A finished step: printed as its own line. */
  step(line: string): void;
  /** The current state of a running step: one line, overwritten (only on a terminal). */
  status(line: string): void;
  /** Clear the status line. */
  done(): void;
}

export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  const live = stream.isTTY === true;
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\x1b[2K");
    shown = false;
  };
  return {
    step(line) {
      clear();
      stream.write(`${line}\n`);
    },
    status(line) {
      if (!live) return;
      const width = Math.max(20, (stream.columns ?? 100) - 1);
      stream.write(`\r\x1b[2K${line.slice(0, width)}`);
      shown = true;
    },
    done: clear,
  };
}

export function silentProgress(): Progress {
  return { step: () => undefined, status: () => undefined, done: () => undefined };
}

/** `[#####.....] 50%`: a small text bar. */
export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${"#".repeat(full)}${".".repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}
