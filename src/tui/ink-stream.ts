/**
 * The stream the dashboard gives Ink: the terminal's stdout with three corrections, so Ink 6.8's
 * incremental rendering (redraw only the lines that changed: no flicker) draws cleanly.
 *
 * 1. Ink's incremental redraw starts one row too low. Ink draws the live region under the cursor
 *    and ends each frame with a newline, so the cursor rests on the row below it: V rows under the
 *    first row of a V-line frame. To redraw, log-update (node_modules/ink/build/log-update.js,
 *    createIncremental) moves up first; when the new frame is at least as tall as the previous one
 *    it moves up `previousVisible - 1` rows, the distance that is right only for a frame drawn
 *    without its trailing newline (one that fills the screen). So each such redraw begins one row
 *    low: unchanged lines are skipped with ESC[E, changed ones land on the row below their old
 *    copy, and the old copy stays. On screen: the header, the progress bar, the THROUGHPUT line,
 *    worker rows, the footer repeated with old values above new ones, the region creeping down.
 *    Three <Text> lines on a fake TTY show it: after "A\nB\nC\n" the next frame begins ESC[2A,
 *    which lands on "B". (Its shrinking branch, eraseLines then cursorUp(visibleCount), and its
 *    full redraws are right.) 6.8.0 is the last Ink 6; Ink 7 and later need Node 22.
 *    Fix: every frame log-update draws is one write(). The stream counts how far below the frame's
 *    first row each write leaves the cursor (a row per "\n" and per ESC[E) and, when the next
 *    write is an incremental redraw (it begins with a bare cursor-up followed by ESC[1G or ESC[E,
 *    as no other write of Ink's does), puts that distance in its cursor-up. Where Ink is right the
 *    distances agree and nothing changes, so a fixed Ink makes this a no-op.
 *
 * 2. Ink never learns the terminal's height (`rows` reads undefined). Ink uses it only to treat a
 *    frame at least as tall as the screen apart: it draws it without its last newline and then
 *    repaints by clearing the whole terminal, scrollback included (ESC[2J ESC[3J). The layout
 *    keeps the live region shorter than the screen, but right after the terminal gets shorter the
 *    last frame was drawn for the old height, and Ink wiped the user's scrollback on every such
 *    resize. Without a height Ink redraws in place (a cursor-up stops at the top row, which is
 *    where the new frame starts). The view reads the height from the real stream
 *    (createTerminalSizeStore).
 *
 * 3. Ink's own `resize` listeners on this stream run a turn late (setImmediate). Ink redraws at
 *    once on a resize, with the tree still laid out for the old size; a turn later React has laid
 *    the view out for the new one.
 *
 * Assumed, as the dashboard does: no visible cursor (useCursor), so log-update writes no cursor
 * prefix, and nothing else writes to the terminal while Ink draws.
 */

const ESC = "\u001B";
/** log-update's incremental redraw: cursor up, then the first line (ESC[1G = column 1) or ESC[E (next line). */
const INCREMENTAL_START = /^\u001B\[(-?\d+)A(?=\u001B\[1G|\u001B\[E)/;
/** Writes that only switch a mode (synchronized output, cursor visibility): they move nothing. */
const MODE_ONLY = /^(?:\u001B\[\?\d+[hl])+$/;
const CLEAR_TERMINAL = `${ESC}[2J`;

/** Rows a write moves the cursor down: one per newline and per ESC[E (cursor next line). */
export function rowsAdvanced(chunk: string): number {
  let rows = 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk.charCodeAt(i);
    if (c === 10) rows++;
    else if (c === 27 && chunk.charCodeAt(i + 1) === 91 && chunk.charCodeAt(i + 2) === 69) rows++;
  }
  return rows;
}

export interface CursorCorrector {
  /** The write to send instead of `chunk` (the same string when nothing needs correcting). */
  correct(chunk: string): string;
  /** How far below the live frame's first row the cursor is, as far as it knows (null: unknown). */
  readonly rowsBelowTop: number | null;
  /** How many writes it changed. */
  readonly corrections: number;
}

/** Correction 1 above, on its own: feed it every string written to the terminal, in order. */
export function createCursorCorrector(): CursorCorrector {
  let rowsBelowTop: number | null = null;
  let corrections = 0;
  return {
    correct(chunk: string): string {
      if (chunk === "" || MODE_ONLY.test(chunk)) return chunk;
      // Ink's clear-the-terminal repaint: what it writes and what it then assumes differ by a row,
      // and its next move happens to be right. Trust it once.
      if (chunk.startsWith(CLEAR_TERMINAL)) {
        rowsBelowTop = null;
        return chunk;
      }
      let out = chunk;
      const m = INCREMENTAL_START.exec(chunk);
      if (m && rowsBelowTop !== null && Number(m[1]) !== rowsBelowTop) {
        corrections++;
        // ESC[0A would still move a row up: leave the move out instead.
        out = (rowsBelowTop > 0 ? `${ESC}[${rowsBelowTop}A` : "") + chunk.slice(m[0].length);
      }
      rowsBelowTop = rowsAdvanced(out);
      return out;
    },
    get rowsBelowTop() {
      return rowsBelowTop;
    },
    get corrections() {
      return corrections;
    },
  };
}

type Listener = (...args: unknown[]) => void;

/**
 * `stdout` as Ink should see it: the same stream (columns, TTY, events, everything else read
 * through) with the three corrections above.
 */
export function createInkStream<S extends NodeJS.WriteStream>(stdout: S): S {
  const corrector = createCursorCorrector();
  const original = stdout.write as (chunk: unknown, ...rest: unknown[]) => boolean;
  const write = (chunk: unknown, ...rest: unknown[]): boolean =>
    original.call(stdout, typeof chunk === "string" ? corrector.correct(chunk) : chunk, ...rest);

  const emitter: NodeJS.EventEmitter = stdout;
  const deferred = new Map<Listener, Listener>();
  const on = (event: string | symbol, listener: Listener): S => {
    if (event !== "resize") {
      emitter.on(event, listener);
      return proxy;
    }
    const later: Listener = (...args) => void setImmediate(() => listener(...args));
    deferred.set(listener, later);
    emitter.on(event, later);
    return proxy;
  };
  const off = (event: string | symbol, listener: Listener): S => {
    emitter.off(event, (event === "resize" ? deferred.get(listener) : undefined) ?? listener);
    if (event === "resize") deferred.delete(listener);
    return proxy;
  };

  const proxy: S = new Proxy(stdout, {
    get(target, prop) {
      if (prop === "write") return write;
      if (prop === "rows") return undefined;
      if (prop === "on" || prop === "addListener") return on;
      if (prop === "off" || prop === "removeListener") return off;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return proxy;
}

/**
 * Scroll everything on a `rows`-row screen into the scrollback and put the cursor top left: a
 * blank screen with nothing on it lost (ESC[2J loses it in xterm, pushes it in tmux and VTE).
 */
export function scrollScreenAway(rows: number): string {
  const n = Math.max(1, Math.floor(rows));
  return `${ESC}[${n};1H${"\n".repeat(n)}${ESC}[H`;
}
