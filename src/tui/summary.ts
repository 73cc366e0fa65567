/**
 * The end-of-run summary as plain text (k6-style): what ran, the verdict, totals, throughput,
 * latency, workers, faults, and every threshold passed or missed. Shared by the dashboard (which
 * prints it in <Static>, so it stays after the dashboard is gone) and the non-TTY printer.
 * Lines stay under 90 columns (paths and finding reasons aside).
 */
import { describeCauses } from "../sim/load/error-causes.js";
import { thresholdRow, type ThresholdUnit } from "../sim/scenario/thresholds.js";
import type { LatencySummary, RunReport, ThresholdResult } from "../sim/telemetry/run-events.js";
import { fit, formatBroker, formatMs, formatOrderTypes, formatPercent, formatRate } from "./format.js";
import { makePainter, type Painter } from "./theme.js";
import { journeyLines } from "./journey-summary.js";

export interface SummaryOptions {
  /** ANSI colours (default off; never with NO_COLOR set). */
  color?: boolean;
  /** Findings listed per kind (default 3). */
  findings?: number;
}

const VERDICT_COUNTS = [
  ["lost", "lost"],
  ["duplicated", "duplicated"],
  ["invalid", "invalid"],
  ["unexpected", "unexpected"],
  ["notificationsMissing", "notifications missing"],
  ["notificationsDuplicated", "notifications duplicated"],
  ["rejectedNot4xx", "rejected without a 4xx"],
  // Issue 13: what a run may not leave unexplained (named only when there are some).
  ["unfinished", "unfinished"],
  ["serverErrors", "server errors"],
  ["deadLettered", "dead-lettered"],
  ["poisonUnhandled", "poison unhandled"],
  ["subscribersSilent", "subscribers silent"],
  ["orderInstancesSilent", "order instances silent"],
  ["readModelsStale", "read models stale"],
  ["readModelsWrong", "read models wrong"],
  ["printedMissing", "printed missing"],
  ["printedDuplicated", "printed twice"],
  ["printedWrong", "printed wrong"],
  ["chargedTwice", "charged twice"],
  ["chargedUnknown", "charged unknown"],
  ["chargeWrong", "charge wrong"],
  ["refundUnmatched", "refund unmatched"],
  ["payloadsWrong", "payloads wrong"],
  ["cookedElsewhere", "cooked elsewhere"],
  ["refundsWrong", "refunds wrong"],
  ["checkoutsUnmatched", "checkouts unmatched"],
  ["checkoutsMispriced", "checkouts mispriced"],
  ["customerViewsWrong", "customer views wrong"],
  ["reportsWrong", "reports wrong"],
] as const;

/** Example order numbers a kind of finding lists (enough to look a few up, few enough to read). */
const EXAMPLES = 10;

const formatCount = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));
const UNIT_FORMATS: Record<ThresholdUnit, (value: number) => string> = { count: formatCount, ms: formatMs, ratio: formatPercent, "orders/s": formatRate };

/** How a threshold's numbers read, by its unit in the threshold table: latencies in ms/s, rates in %, throughput in /s, counts bare. */
export function formatThresholdValue(name: string, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "–";
  const row = thresholdRow(name);
  return row ? UNIT_FORMATS[row.unit](value) : formatCount(value);
}

export function formatThreshold(t: ThresholdResult, paint: Painter = (s) => s): string {
  const mark = t.passed ? paint("✓ pass", "ok") : paint("✗ MISS", "bad");
  const op = thresholdRow(t.name)?.bound === "at least" ? "≥" : "≤";
  const actual = formatThresholdValue(t.name, t.actual);
  const limit = formatThresholdValue(t.name, t.limit);
  return `  ${mark}  ${fit(t.name, 22)} ${fit(actual, 8, "right")}  (${op} ${limit})`;
}

function latencyRow(label: string, s: LatencySummary): string {
  const cell = (v: number) => fit(s.count > 0 ? formatMs(v) : "–", 7, "right");
  return `  ${fit(label, 11)}${fit(String(s.count), 8, "right")}${cell(s.p50)}${cell(s.p95)}${cell(s.p99)}${cell(s.max)}${cell(s.mean)}`;
}

/**
 * "101 of 500 requests failed (98 refused, 3 timed out)", or null when none did: said next to the
 * verdict and the pass, which are about correctness and thresholds and would otherwise read clean.
 */
export function failedRequestsNote(report: RunReport, withCauses = true): string | null {
  const { errors, sent } = report.orders;
  if (errors === 0) return null;
  const causes = report.errors ? describeCauses(report.errors.byCause) : "";
  return `${errors} of ${sent} requests failed${withCauses && causes ? ` (${causes})` : ""}`;
}

/** `prefix` and the failed-requests note, with its causes when they fit in 90 columns; null when nothing failed. */
function failedRequestsFitting(report: RunReport, prefix: string): string | null {
  const full = failedRequestsNote(report);
  if (full === null) return null;
  return [...`${prefix}${full}`].length <= 90 ? `${prefix}${full}` : `${prefix}${failedRequestsNote(report, false)}`;
}

/** The errors by cause, then the Retry-After the 503s carried; none when nothing failed. */
function errorsLines(report: RunReport): string[] {
  if (!report.errors || report.errors.count === 0) return [];
  const retry = Object.entries(report.errors.retryAfter)
    .map(([value, n]) => (value === "none" ? `${n} without Retry-After` : `Retry-After ${value} s on ${n}`))
    .join(", ");
  return [`errors      ${describeCauses(report.errors.byCause)}`, ...(retry ? [`            503s: ${retry}`] : [])];
}

export function verdictLine(report: RunReport, paint: Painter = (s) => s): string {
  const v = report.verdict;
  const problems = VERDICT_COUNTS.slice(4)
    .filter(([key]) => v[key] > 0)
    .map(([key, label]) => `${label} ${v[key]}`);
  if (!v.drained) problems.push("not drained");
  const head = v.valid ? paint("VALID", "ok") : paint("INVALID", "bad");
  const detail = VERDICT_COUNTS.slice(0, 4)
    .map(([key, label]) => `${label} ${v[key]}`)
    .join(", ");
  return `verdict     ${head}  ${detail}${problems.length > 0 ? `; ${problems.join(", ")}` : ""}`;
}

/** The read models, printed lines, ledger and payloads: what was compared and what disagreed. */
function moreChecksLines(v: RunReport["verdict"]): string[] {
  const c = v.collected;
  return [
    `            read models ${c.readModelOrders} orders: stale ${v.readModelsStale}, wrong ${v.readModelsWrong}  payloads wrong ${v.payloadsWrong}`,
    `            printed ${c.printedLines} lines: missing ${v.printedMissing}, twice ${v.printedDuplicated}, wrong ${v.printedWrong}`,
    `            ledger ${c.ledgerEntries}: charged twice ${v.chargedTwice}, unknown ${v.chargedUnknown}, wrong ${v.chargeWrong}; refunds unmatched ${v.refundUnmatched}`,
    `            restaurants: cooked elsewhere ${v.cookedElsewhere}, refunds wrong ${v.refundsWrong}  reports wrong ${v.reportsWrong ?? 0}`,
    ...(c.checkouts !== undefined ? [`            checkouts ${c.checkouts}: unmatched ${v.checkoutsUnmatched}, mispriced ${v.checkoutsMispriced}; customer views wrong ${v.customerViewsWrong}`] : []),
  ];
}

export function formatSummary(report: RunReport, options: SummaryOptions = {}): string {
  const paint = makePainter(options.color ?? false);
  const perKind = options.findings ?? 3;
  const o = report.orders;
  const lines: string[] = [];
  const rule = "─".repeat(72);

  lines.push(paint(rule, "dim"));
  lines.push(
    `${paint(`${report.scenario}`, "strong")} (seed ${report.seed})  ${report.mode}  broker ${formatBroker(report.broker)}  ${formatMs(report.durationMs)}`,
  );
  if (report.mutant) lines.push(paint(`mutant      ${report.mutant} (a deliberate bug, PIZZERIA_MUTANT: test-only)`, "warn"));
  if (report.file) lines.push(paint(`file ${report.file}`, "dim"));
  lines.push(paint(`run dir ${report.runDir}`, "dim"));
  // Every run directory has the pictures too (the HTML output writes it when the run ends).
  lines.push(paint(`report  ${report.runDir.replace(/\/$/, "")}/report.html`, "dim"));
  lines.push("");
  lines.push(verdictLine(report, paint));
  const failedNote = failedRequestsFitting(report, "            but ");
  if (failedNote) lines.push(paint(failedNote, "warn"));
  lines.push(
    `checks      notifications missing ${report.verdict.notificationsMissing} / duplicated ${report.verdict.notificationsDuplicated}  rejected not 4xx ${report.verdict.rejectedNot4xx}  dead letters ${report.deadLetters}`,
  );
  lines.push(...moreChecksLines(report.verdict));
  lines.push("");
  lines.push(
    `orders      planned ${o.planned}  sent ${o.sent}  accepted ${o.accepted}  rejected ${o.rejected}  errors ${o.errors}  late ${o.late}${o.placedElsewhere > 0 ? `  placed elsewhere ${o.placedElsewhere}` : ""}`,
  );
  lines.push(`            completed ${o.completed}  cancelled ${o.cancelled}  indeterminate ${o.indeterminate}`);
  for (const r of report.restaurants ?? []) {
    lines.push(`restaurant  ${r.id}: placed ${r.placed}  accepted ${r.accepted}  rejected ${r.rejected}  refunded ${r.refunded}  completed ${r.completed} (${formatRate(r.completedPerSecond)})  cancelled ${r.cancelled}`);
  }
  for (const l of errorsLines(report)) lines.push(paint(l, "warn"));
  lines.push(
    `throughput  accepted ${formatRate(report.throughput.acceptedPerSecond)}  completed ${formatRate(report.throughput.completedPerSecond)}`,
  );
  const d = report.drain;
  lines.push(
    `drain       ${d.drained ? paint(`drained in ${formatMs(d.ms)}`, "ok") : paint(`NOT drained after ${formatMs(d.ms)}`, "bad")} (timeout ${formatMs(d.timeoutMs)})`,
  );
  lines.push("");
  lines.push(paint(`latency     ${fit("count", 8, "right")}${["p50", "p95", "p99", "max", "mean"].map((h) => fit(h, 7, "right")).join("")}`, "strong"));
  // From the scheduled time: accept to any answer (the headline), accept 201 to 201s only, to
  // failure for the requests that got none. Older reports have only the first.
  lines.push(latencyRow("accept", report.latency.accept));
  if (report.latency.accept201) lines.push(latencyRow("accept 201", report.latency.accept201));
  if (report.latency.failed && report.latency.failed.count > 0) lines.push(latencyRow("to failure", report.latency.failed));
  lines.push(latencyRow("ready", report.latency.ready));
  lines.push(latencyRow("end-to-end", report.latency.endToEnd));
  lines.push(...journeyLines(report, paint));

  if (report.workers.length > 0) {
    lines.push("");
    lines.push(paint(`workers     ${fit("name", 14)}${fit("types", 16)}${fit("cooked", 7, "right")}${fit("busy", 8, "right")}${fit("util", 6, "right")}  state`, "strong"));
    for (const w of report.workers) {
      lines.push(
        `            ${fit(w.name, 14)}${fit(formatOrderTypes(w.orderTypes), 16)}${fit(String(w.ordersCooked), 7, "right")}${fit(formatMs(w.busyMs), 8, "right")}${fit(formatPercent(w.utilisation), 6, "right")}  ${w.state}`,
      );
    }
  }

  lines.push("");
  if (report.faults.length === 0) lines.push("faults      none");
  else {
    lines.push(paint(`faults      ${report.faults.length}`, "strong"));
    for (const f of report.faults) {
      const span = f.endedAtMs !== null ? formatMs(f.endedAtMs - f.startedAtMs) : "open";
      const what = `${f.kind} ${f.target ?? "(all)"}`;
      const tail = f.error ? paint(`failed: ${f.error}`, "bad") : `${span}${f.inFlightAtStart !== undefined ? `, ${f.inFlightAtStart} in flight` : ""}`;
      lines.push(`  ${fit(formatMs(f.startedAtMs), 6, "right")}  ${fit(what, 28)} ${fit(f.source, 8)} ${tail}`);
      if (f.recovery && !f.error) lines.push(paint(`          ${recoveryLine(f.recovery)}`, "dim"));
    }
  }

  const kinds = Object.entries(report.verdict.findings).filter(([, list]) => list.length > 0);
  if (kinds.length > 0 && perKind > 0) {
    lines.push("");
    lines.push(paint("findings", "strong"));
    for (const [kind, list] of kinds) {
      for (const f of list.slice(0, perKind)) {
        const who = whoOf(f);
        lines.push(`  ${paint(fit(kind, 12), "bad")} ${who ? `${who}: ` : ""}${f.reason}`);
      }
      const counted = (report.verdict as unknown as Record<string, unknown>)[kind];
      const total = typeof counted === "number" ? Math.max(counted, list.length) : list.length;
      const shown = Math.min(perKind, list.length);
      if (total > shown) for (const l of exampleLines(list, total - shown)) lines.push(paint(l, "dim"));
    }
  }

  lines.push("");
  if (report.thresholds.length === 0) lines.push("thresholds  none set");
  else {
    const missed = report.thresholds.filter((t) => !t.passed).length;
    lines.push(
      `thresholds  ${report.thresholds.length - missed} passed, ${missed} missed`,
    );
    for (const t of report.thresholds) lines.push(formatThreshold(t, paint));
  }
  lines.push("");
  const outcome = `${report.passed ? "PASSED" : "FAILED"} (exit ${report.exitCode})`;
  // The last line says it too (a reader of CI logs sees that one first).
  const outcomeNote = failedRequestsFitting(report, `${outcome} — ${report.passed ? "but " : ""}`);
  lines.push(paint(outcome, report.passed ? "ok" : "bad") + (outcomeNote ? paint(outcomeNote.slice(outcome.length), "warn") : ""));
  lines.push(paint(rule, "dim"));
  return lines.join("\n");
}

type Finding = RunReport["verdict"]["findings"][string][number];

function whoOf(f: Finding): string {
  return f.orderNumber ?? f.requestId ?? f.subscriber ?? f.instance ?? f.consumer ?? "";
}

/** "… N more", then up to ten example order numbers (or request ids) of the kind, wrapped under 90 columns. */
function exampleLines(list: readonly Finding[], more: number): string[] {
  const examples = [...new Set(list.map(whoOf).filter((w) => w !== ""))].slice(0, EXAMPLES);
  const indent = `  ${fit("", 12)} `;
  const lines = [`${indent}… ${more} more${examples.length > 0 ? "; e.g." : ""}`];
  let line = indent;
  for (const [i, who] of examples.entries()) {
    const piece = `${who}${i < examples.length - 1 ? "," : ""}`;
    if (line.length > indent.length && line.length + 1 + piece.length > 88) {
      lines.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${piece}` : piece;
  }
  if (line.length > indent.length) lines.push(line);
  return lines;
}

/** How a fault's aftermath went, in one line: throughput back, backlog drained, what the checker found. */
export function recoveryLine(r: NonNullable<RunReport["faults"][number]["recovery"]>): string {
  const back = r.throughputRecoveredAfterMs === null ? (r.baselinePerSecond > 0 ? "throughput not back" : "no rate before it") : `throughput back in ${formatMs(r.throughputRecoveredAfterMs)}`;
  const drained = r.backlogDrainedAfterMs === null ? "backlog not drained" : `backlog drained in ${formatMs(r.backlogDrainedAfterMs)} (peak ${r.peakInFlight})`;
  const found = r.findings.lost + r.findings.duplicated + r.findings.invalid;
  return `${back}; ${drained}; ${r.touchedOrders} orders touched, ${found === 0 ? "all fine" : `${r.findings.lost} lost, ${r.findings.duplicated} duplicated, ${r.findings.invalid} invalid`}`;
}
