/**
 * Colour policy. chalk 5 (and so Ink) decides colour from the stream and FORCE_COLOR only; it does
 * not read NO_COLOR. This module adds it: `colorEnabled()` is false whenever NO_COLOR is set to a
 * non-empty value (https://no-color.org), whatever else says.
 */
import chalk, { Chalk, type ChalkInstance } from "chalk";

export type Tone = "ok" | "warn" | "bad" | "info" | "accent" | "dim" | "strong";

export function noColorRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env["NO_COLOR"] === "string" && env["NO_COLOR"] !== "";
}

/** Colour by default: off with NO_COLOR, else what chalk detected for stdout (TTY / FORCE_COLOR). */
export function colorEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !noColorRequested(env) && chalk.level > 0;
}

/** Ink `<Text>` props for a tone. */
export interface ToneStyle {
  color?: string;
  dimColor?: boolean;
  bold?: boolean;
}

export const TONE_STYLE: Record<Tone, ToneStyle> = {
  ok: { color: "green" },
  warn: { color: "yellow" },
  bad: { color: "red", bold: true },
  info: { color: "cyan" },
  accent: { color: "magenta" },
  dim: { dimColor: true },
  strong: { bold: true },
};

/**
 * A string painter: `paint("x", "bad")`; `inverse` is reverse video (the dashboard's selected
 * row). With `color` false (or NO_COLOR set) it returns the text untouched, so plain output never
 * carries ANSI.
 */
export type Painter = (text: string, tone: Tone | null | undefined, inverse?: boolean) => string;

export function makePainter(color: boolean | undefined, env: NodeJS.ProcessEnv = process.env): Painter {
  const on = (color ?? colorEnabled(env)) && !noColorRequested(env);
  if (!on) return (text) => text;
  const c: ChalkInstance = new Chalk({ level: chalk.level > 0 ? chalk.level : 1 });
  return (text, tone, inverse) => {
    if (!tone) return inverse ? c.inverse(text) : text;
    const style = TONE_STYLE[tone];
    let painter: ChalkInstance = c;
    if (style.color === "green") painter = painter.green;
    else if (style.color === "yellow") painter = painter.yellow;
    else if (style.color === "red") painter = painter.red;
    else if (style.color === "cyan") painter = painter.cyan;
    else if (style.color === "magenta") painter = painter.magenta;
    if (style.dimColor) painter = painter.dim;
    if (style.bold) painter = painter.bold;
    if (inverse) painter = painter.inverse;
    return painter(text);
  };
}
