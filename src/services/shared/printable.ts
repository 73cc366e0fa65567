/**
 * Text from outside (scenario keys and values, request paths) shown inside a one-line message.
 * Anything that would break the line or change how the rest of it reads is shown as a JSON-style
 * escape instead of being acted on: control characters (C0, DEL, C1), the line and paragraph
 * separators, format characters (bidirectional overrides such as U+202E, zero-width characters,
 * the BOM, tag characters) and lone surrogates.
 */

// In `u` mode a paired surrogate is one code point, so \p{Cs} matches only the lone halves.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const ANY_UNSAFE = new RegExp(UNSAFE.source, "u");
const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f" };

function escapeChar(ch: string): string {
  if (SHORT[ch]) return SHORT[ch];
  // An astral format character (a tag character, U+E0001...) is written as its surrogate pair, as JSON does.
  let out = "";
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/** `text` with every character that could break or spoof a one-line message escaped; other text (backslashes included) as it is. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` as a JSON string literal with the unsafe characters JSON leaves alone escaped too: `"a\nb"`, `"\u202e"`. */
export function quoted(text: string): string {
  return printable(JSON.stringify(text));
}

/** Whether a message part can be printed as it is. */
export function isPrintable(text: string): boolean {
  return !ANY_UNSAFE.test(text);
}
