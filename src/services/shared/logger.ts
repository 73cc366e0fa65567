import { hostname } from "node:os";
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

export interface LoggerOptions {
  service: string;
  /** Instance name (worker name, order-1, ...), added to every line. */
  instance?: string;
  /** A file to append JSON lines to; stderr when absent (a service run alone). */
  file?: string;
  level?: string;
}

export interface ServiceLogger {
  log: Logger;
  /** Flush what is buffered and release the file. */
  close(): void;
}

/**
 * JSON lines with the seed's fields: timestamp, level, service, action, message, hostname,
 * request_id, and error {msg, stack}. Callers pass `action` (snake_case) on every line.
 */
export function createLogger(options: LoggerOptions): ServiceLogger {
  // A log file is written in chunks (8 KB, or what a quarter of a second brought): a service logs
  // every step, and a write per line (a libuv thread hop and a syscall each) cost the busy services
  // a noticeable share of their CPU under load. stderr (a service run alone) stays line by line.
  const dest = options.file
    ? flushAfterWrites(pino.destination({ dest: options.file, mkdir: true, sync: false, minLength: 8 * 1024 }), FLUSH_AFTER_MS)
    : pino.destination({ fd: 2, sync: true });
  const log = pino(
    {
      level: options.level ?? process.env.PIZZERIA_LOG_LEVEL ?? "info",
      messageKey: "message",
      errorKey: "error",
      base: { service: options.service, ...(options.instance ? { instance: options.instance } : {}), hostname: hostname() },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest as DestinationStream,
  );
  return {
    log,
    close() {
      try {
        dest.flushSync();
      } catch {
        // A destination that never opened has nothing to flush.
      }
      if (options.file) {
        dest.end();
        // What a crashed (aborted) service still had in flight may log on its way out: dropped, where
        // the ended stream would throw "SonicBoom destroyed" into whatever was running.
        dest.write = () => true;
      }
    },
  };
}

const FLUSH_AFTER_MS = 250;

/**
 * Flush a buffered destination `ms` after the first write it has not flushed yet: lines reach the
 * file within `ms`, and a process with nothing to log does nothing. (sonic-boom's own
 * `periodicFlush` is a timer that flushes every period whether or not anything was written: four
 * wake-ups a second and a write of nothing through libuv's thread pool each, in every service,
 * idle or not.)
 */
export function flushAfterWrites<D extends { write(chunk: string): boolean; flush(cb?: (err?: Error) => void): void }>(dest: D, ms: number): D {
  let timer: NodeJS.Timeout | null = null;
  const write = dest.write.bind(dest);
  dest.write = (chunk: string) => {
    const ok = write(chunk);
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        try {
          dest.flush();
        } catch {
          // Closed meanwhile (close() flushed it).
        }
      }, ms);
      timer.unref();
    }
    return ok;
  };
  return dest;
}

/** A logger that drops everything: for code paths that must not write (tests of pure logic). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
