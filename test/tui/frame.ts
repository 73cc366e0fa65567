import { stripAnsi } from "../../src/tui/format.js";

/** Let React commit what the emitted events scheduled (useSyncExternalStore updates land in a microtask). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A frame's lines without ANSI codes. */
export function plainLines(frame: string | undefined): string[] {
  return stripAnsi(frame ?? "").split("\n");
}

/** The line of a frame that contains `text` (ANSI removed), or undefined. */
export function lineWith(frame: string | undefined, text: string): string | undefined {
  return plainLines(frame).find((l) => l.includes(text));
}

/** Widest line, in columns (every glyph the dashboard prints is one column wide). */
export function frameWidth(frame: string | undefined): number {
  return Math.max(0, ...plainLines(frame).map((l) => [...l].length));
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001B\[[0-9;]*m/;

/** The SGR codes in effect where `text` starts in a coloured frame (e.g. ["31", "1"]). */
export function stylesAt(frame: string, text: string): string[] {
  const at = frame.indexOf(text);
  if (at < 0) throw new Error(`"${text}" not in frame`);
  const before = frame.slice(0, at);
  // Walk the SGR sequences up to `text`, keeping what is still open.
  const open = new Map<string, string>();
  // eslint-disable-next-line no-control-regex
  for (const m of before.matchAll(/\u001B\[([0-9;]*)m/g)) {
    for (const code of m[1].split(";")) {
      const n = Number(code || "0");
      if (n === 0) open.clear();
      else if (n === 39) open.delete("fg");
      else if (n === 22) open.delete("bold");
      else if (n === 27) open.delete("inverse");
      else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) open.set("fg", String(n));
      else if (n === 1 || n === 2) open.set("bold", String(n));
      else if (n === 7) open.set("inverse", "7");
    }
  }
  return [...open.values()];
}
