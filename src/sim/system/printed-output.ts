import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A `print` for a service run in-process: its lines appended to `file`, the lines of one turn of
 * the event loop in one write (a subscriber prints a batch of events at once), as the CLI prints
 * them to stdout when it runs as a process. Synchronous appends: once the turn is over the lines
 * are in the file, whatever happens to the service afterwards (an in-process crash included).
 */
export function printToFile(file: string): (line: string) => void {
  mkdirSync(dirname(file), { recursive: true });
  let lines: string[] = [];
  const flush = () => {
    const text = lines.join("");
    lines = [];
    try {
      appendFileSync(file, text);
    } catch {
      // A disk that cannot take them: the checker finds the lines missing, which is what happened.
    }
  };
  return (line) => {
    if (lines.length === 0) setImmediate(flush);
    lines.push(`${line}\n`);
  };
}
