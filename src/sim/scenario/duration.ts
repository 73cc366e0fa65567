/**
 * Durations as people write them: `250ms`, `5s`, `1.5s`, `2m`, `24h`. A bare number means
 * `bareUnit` (milliseconds unless a flag documents otherwise, such as the seed's heartbeat seconds).
 */
export function parseDuration(value: unknown, bareUnit: "ms" | "s" = "ms"): number | null {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * (bareUnit === "s" ? 1000 : 1) : null;
  if (typeof value !== "string") return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? bareUnit;
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"]);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
