/**
 * Per-second series as text: a sparkline of unicode blocks and, under it, the fault windows that
 * overlapped each second. One column per second, oldest left.
 */
import { faultKindRow } from "../sim/scenario/fault-kinds.js";
import type { FaultRecord, SecondSample } from "../sim/telemetry/run-events.js";

export const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/** `null` = no sample for that second (a blank column). Scaled to `max` (default: the largest value). */
export function sparkline(values: readonly (number | null)[], max?: number): string {
  const top = max ?? values.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  let out = "";
  for (const v of values) {
    if (v === null) out += " ";
    else if (top <= 0 || v <= 0) out += BLOCKS[0];
    else out += BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.ceil((v / top) * BLOCKS.length) - 1))];
  }
  return out;
}

/**
 * The values of `key` for the `width` seconds ending at `lastT` (inclusive), from a history
 * sorted by `t`; seconds without a sample are null.
 */
export function seriesWindow(
  history: readonly SecondSample[],
  key: "placed" | "paid" | "cooking" | "ready" | "completed" | "cancelled" | "accepted" | "sent",
  lastT: number,
  width: number,
): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(width).fill(null);
  const firstT = lastT - width + 1;
  // The history is short (a ring of a couple of minutes): walk it from the newest end.
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i];
    if (s.t < firstT) break;
    if (s.t <= lastT) out[s.t - firstT] = s[key];
  }
  return out;
}

/** A glyph per fault kind (its mark in the fault table), printed where its window starts. */
export function faultGlyph(kind: string): string {
  return faultKindRow(kind)?.dashboard.mark ?? "N"; // not a fault of the table (a resume): the network mark, as ever
}

/**
 * The fault windows under a sparkline covering seconds `lastT - width + 1 .. lastT`: the kind's
 * glyph in the second a fault started, `─` for every later second it was still active. An open
 * fault (endedAtMs null) lasts until `nowMs`. Faults that failed to inject are left out.
 */
export function faultMarks(faults: readonly FaultRecord[], lastT: number, width: number, nowMs: number): string {
  const cells: string[] = new Array<string>(width).fill(" ");
  const firstT = lastT - width + 1;
  for (const f of faults) {
    if (f.error) continue;
    const startT = Math.floor(f.startedAtMs / 1000);
    const endMs = f.endedAtMs ?? nowMs;
    const endT = Math.max(startT, Math.ceil(endMs / 1000) - 1);
    for (let t = Math.max(startT, firstT); t <= Math.min(endT, lastT); t++) {
      const i = t - firstT;
      if (t === startT) cells[i] = faultGlyph(f.kind);
      else if (cells[i] === " ") cells[i] = "─";
    }
  }
  return cells.join("");
}

/** A progress bar across the run with phase boundaries: `███│██░░░│░░░`. */
export function progressBar(elapsedMs: number, totalMs: number, boundariesMs: readonly number[], width: number): string {
  if (width <= 0) return "";
  const total = totalMs > 0 ? totalMs : 1;
  const filled = Math.max(0, Math.min(width, Math.round((elapsedMs / total) * width)));
  const cells: string[] = [];
  for (let i = 0; i < width; i++) cells.push(i < filled ? "█" : "░");
  for (const b of boundariesMs) {
    if (b <= 0 || b >= total) continue;
    const i = Math.round((b / total) * width);
    if (i > 0 && i < width) cells[i] = i < filled ? "┃" : "│";
  }
  return cells.join("");
}
