/**
 * The printed-lines pass: what each notification subscriber printed (its output: stdout as a
 * process, the file the harness gives it in-process), not what its own table says it announced.
 * Every status change must be printed exactly once per subscriber (the notifications pass, fed
 * the printed lines), and each line must state the change as the stream has it: the same from and
 * the same by. A line that is not the seed's line is `wrong` too.
 */
import type { Finding, PrintedLine } from "../checker-types.js";
import { checkNotifications } from "./notifications.js";
import { historyOf, type ReplayedOrders } from "./order-state.js";

export interface PrintedPass {
  missing: Finding[];
  duplicated: Finding[];
  wrong: Finding[];
  lines: number;
}

/** The seed's line: `Notification for order ORD_20241216_001: Status changed from 'received' to 'cooking' by chef_mario.` */
const LINE = /^Notification for order (\S+): Status changed from '([^']*)' to '([^']*)' by (\S+)\.$/;

/** One printed line, parsed (or kept as it was when it is not the seed's line). */
export function parsePrintedLine(line: string): PrintedLine {
  const m = LINE.exec(line);
  return m ? { orderNumber: m[1], from: m[2], to: m[3], by: m[4] } : { line };
}

/** Every line of a subscriber's output, parsed; blank lines (a trailing newline) are not lines. */
export function parsePrintedText(text: string): PrintedLine[] {
  const out: PrintedLine[] = [];
  for (const line of text.split("\n")) if (line.trim().length > 0) out.push(parsePrintedLine(line.replace(/\r$/, "")));
  return out;
}

export function checkPrinted(printed: Record<string, readonly PrintedLine[]>, replayed: ReplayedOrders): PrintedPass {
  const wrong: Finding[] = [];
  const said: Record<string, Array<[string, string]>> = {};
  let lines = 0;
  for (const [subscriber, list] of Object.entries(printed)) {
    const source = `${subscriber} (printed)`;
    const pairs: Array<[string, string]> = [];
    for (const p of list) {
      lines++;
      if ("line" in p) {
        wrong.push({ subscriber, source, reason: `${subscriber} printed a line that is not a notification: ${JSON.stringify(p.line.slice(0, 200))}` });
        continue;
      }
      pairs.push([p.orderNumber, p.to]);
      const st = replayed.get(p.orderNumber);
      // The event it announces: the first one that moved the order to that status.
      const e = st?.events.find((x) => x.from !== null && x.to === p.to);
      if (!st || !e) continue; // not a change on the stream: the notifications pass reports it
      const misstated: string[] = [];
      if (e.from !== p.from) misstated.push(`from '${p.from}' (the stream: '${e.from}')`);
      if (e.by !== p.by) misstated.push(`by ${p.by} (the stream: ${e.by})`);
      if (misstated.length > 0) {
        wrong.push({ orderNumber: p.orderNumber, subscriber, source, reason: `${subscriber} printed the change to ${p.to} ${misstated.join(" and ")}`, history: historyOf(st) });
      }
    }
    said[`${subscriber} (printed)`] = pairs;
  }
  const { missing, duplicated } = checkNotifications(said, replayed);
  for (const f of [...missing, ...duplicated]) {
    f.source = f.subscriber;
    f.subscriber = f.subscriber?.replace(/ \(printed\)$/, "");
  }
  return { missing, duplicated, wrong, lines };
}
