/**
 * What a service must say even when its log cannot take it: its disk is full, its log file cannot
 * be written. Said once per change, to whoever listens in this process (the harness, when it runs
 * the service in-process, shows it in the run's log), else on stderr as one `pizzeria: ` line
 * (a service run as its own process: the harness reads that line from its stderr).
 */
export interface ServiceNotice {
  service: string;
  instance: string;
  level: "info" | "warn" | "error";
  message: string;
}

type NoticeListener = (notice: ServiceNotice) => void;
const listeners = new Set<NoticeListener>();

/** Hear every notice of the services in this process; returns how to stop. */
export function onServiceNotice(listener: NoticeListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** The prefix of a notice line on stderr; `noticeFromLine` reads it back. */
const LINE = /^pizzeria: notice (info|warn|error) ([^/\s]+)\/(\S+): (.*)$/;

export function serviceNotice(notice: ServiceNotice): void {
  if (listeners.size > 0) {
    for (const listener of listeners) listener(notice);
    return;
  }
  try {
    process.stderr.write(`pizzeria: notice ${notice.level} ${notice.service}/${notice.instance}: ${notice.message}\n`);
  } catch {
    // stderr is gone too: nothing is left to tell
  }
}

/** A notice line a service process wrote on its stderr, or null for any other line. */
export function noticeFromLine(line: string): ServiceNotice | null {
  const m = LINE.exec(line.trim());
  return m ? { level: m[1] as ServiceNotice["level"], service: m[2], instance: m[3], message: m[4] } : null;
}
