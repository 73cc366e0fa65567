import { hostname } from "node:os";
import { pino, type Logger, type DestinationStream } from "pino";
import { currentRequestId } from "./log-context.js";
import { LogFile } from "./log-file.js";
import { serviceNotice } from "./notices.js";

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
  /** Flush what is buffered and release the file; resolves once the last line is written. */
  close(): Promise<void>;
}

/**
 * JSON lines with the seed's fields: timestamp, level, service, action, message, hostname,
 * request_id, and error {msg, stack}. Callers pass `action` (snake_case) on every line.
 */
export function createLogger(options: LoggerOptions): ServiceLogger {
  // A log file is written in chunks (8 KB, or what a quarter of a second brought): a service logs
  // every step, and a write per line (a libuv thread hop and a syscall each) cost the busy services
  // a noticeable share of their CPU under load. stderr (a service run alone) stays line by line.
  // A file that cannot be written (disk full) is said once and its lines dropped until it can
  // (LogFile); it never throws at a caller, never hangs an exit.
  const file = options.file;
  const dest = file
    ? new LogFile(file, { flushAfterMs: FLUSH_AFTER_MS, onTrouble: (t) => logTrouble(options, file, t) })
    : pino.destination({ fd: 2, sync: true });
  // stderr that cannot be written (a full disk it was redirected to): the lines are lost, the service goes on.
  if (!(dest instanceof LogFile)) dest.on("error", () => undefined);
  const log = pino(
    {
      level: options.level ?? process.env.PIZZERIA_LOG_LEVEL ?? "info",
      messageKey: "message",
      errorKey: "error",
      base: { service: options.service, ...(options.instance ? { instance: options.instance } : {}), hostname: hostname() },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      // The seed's levels are upper case (INFO, DEBUG, WARN, ERROR).
      formatters: { level: (label) => ({ level: label.toUpperCase() }) },
      // request_id of the request or order being handled (log-context.ts); a line's own wins.
      mixin: () => {
        const id = currentRequestId();
        return id ? { request_id: id } : {};
      },
    },
    dest as DestinationStream,
  );
  return {
    log,
    close() {
      // stderr is written line by line (sync): nothing waits. (Not its flushSync(): sonic-boom's
      // retries a failed write forever.) A closed LogFile drops what a crashed (aborted) service
      // still logs on its way out.
      return dest instanceof LogFile ? dest.end() : Promise.resolve();
    },
  };
}

const FLUSH_AFTER_MS = 250;

function logTrouble(options: LoggerOptions, file: string, t: { failing: true; error: string } | { failing: false; dropped: number }): void {
  const who = { service: options.service, instance: options.instance ?? options.service };
  if (t.failing) serviceNotice({ ...who, level: "error", message: `cannot write its log ${file}: ${t.error}; its log lines are dropped until it can (tried again every 5 s)` });
  else serviceNotice({ ...who, level: "info", message: `writes its log ${file} again (${t.dropped} lines were dropped)` });
}

/** A logger that drops everything: for code paths that must not write (tests of pure logic). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
