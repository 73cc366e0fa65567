/**
 * Small text formatters shared by the dashboard, the summary and the plain reporter. Everything
 * here is pure and returns plain text (no ANSI); every glyph used is one column wide.
 */
import type { BrokerDescription } from "../sim/telemetry/run-events.js";
import type { OrderType } from "../services/shared/contracts.js";
import { ORDER_TYPES } from "../services/shared/contracts.js";

/** A duration in milliseconds, at most 5 columns: `12ms`, `1.23s`, `12.3s`, `123s`, `12m`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0) ms = 0;
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 9_995) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 99_950) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 999_500) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

/** Elapsed time as a clock: `01:05`, or `1:01:05` past an hour. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Whole seconds, right-aligned in 3 columns: `[  7s]`, `[ 12s]`, `[123s]`. */
export function formatStamp(ms: number): string {
  return `[${String(Math.max(0, Math.floor(ms / 1000))).padStart(3, " ")}s]`;
}

export function formatRate(perSecond: number): string {
  return `${perSecond.toFixed(1)}/s`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.1 ? 1 : 0)}%`;
}

/** Pad or cut a string to exactly `width` columns (cut strings end in `…`). */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  if (width <= 0) return "";
  if (text.length > width) return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
  return align === "left" ? text.padEnd(width, " ") : text.padStart(width, " ");
}

export function truncate(text: string, width: number): string {
  return text.length > width ? fit(text, width) : text;
}

const TYPE_SHORT: Record<OrderType, string> = { dine_in: "dine", takeout: "take", delivery: "deliv" };

/** A worker's specialisation, short: `all`, `dine`, `take,deliv`. */
export function formatOrderTypes(types: readonly OrderType[]): string {
  if (types.length === 0) return "–";
  if (ORDER_TYPES.every((t) => types.includes(t))) return "all";
  return types.map((t) => TYPE_SHORT[t] ?? t).join(",");
}

/** `local nats://127.0.0.1:4222`, `cluster ×3`, `nats://host:4222`. */
export function formatBroker(broker: BrokerDescription): string {
  const first = broker.urls[0] ?? "";
  const where = broker.kind === "cluster" ? `cluster ×${broker.urls.length}` : broker.kind === "local" ? (first ? `local ${first}` : "local") : first + (broker.urls.length > 1 ? ` +${broker.urls.length - 1}` : "");
  // Which server the figures were measured on matters as much as where it was.
  return broker.version && broker.version !== "unknown" ? `${where} (nats-server ${broker.version})` : where;
}

/** Remove ANSI escape sequences (for measuring and for tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007/g, "");
}
