/**
 * The HTML page's panels other than charts (header, thresholds, faults and their recovery, the
 * checker's findings, dead letters, workers, the live page's buttons) and its entry point. Like
 * page-charts.ts, these run in the browser: inlined by source, no imports, only page functions.
 */
declare const document: any;
declare const window: any;
declare const EventSource: any;
declare function drawCharts(host: any, runs: any[]): void;

/** Text made safe for innerHTML. */
function esc(v: any): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function panel(host: any, name: string, title: string, html: string): any {
  const el = document.createElement("section");
  el.className = "panel";
  el.dataset.panel = name;
  el.innerHTML = `<h2>${esc(title)}</h2>${html}`;
  host.appendChild(el);
  return el;
}

function table(head: string[], rows: any[][], cls = ""): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The header of each run: what ran, on what, and the verdict; then its thresholds and totals. */
function headerPanels(host: any, runs: any[]): void {
  const row = document.createElement("div");
  row.className = "row";
  host.appendChild(row);
  for (const r of runs) {
    const verdictClass = r.verdict === "VALID" && r.passed ? "pass" : r.verdict === "RUNNING" ? "live" : "fail";
    const passed = r.thresholds.filter((t: any) => t.passed).length;
    // A run without its report (live, or cut short) has its thresholds' limits but no judgement.
    const judged = r.verdict === "VALID" || r.verdict === "INVALID";
    const status = (t: any) => (judged ? (t.passed ? "PASS" : "MISS") : "not judged");
    const html = `<p class="verdict ${verdictClass}" data-verdict="${esc(r.verdict)}">${esc(r.verdict)}${r.passed === null ? "" : r.passed ? " · PASSED" : " · FAILED"}</p>
      ${table(["", ""], r.header, "kv")}
      <h3>thresholds: ${judged ? `${passed} passed, ${r.thresholds.length - passed} missed` : `${r.thresholds.length} set, judged at the end`}</h3>
      ${table(["threshold", "limit", "actual", ""], r.thresholds.map((t: any) => [t.name, t.limit, t.actual ?? "n/a", status(t)]), "thresholds")}
      <h3>orders</h3>${table(["", ""], r.totals, "kv totals")}`;
    panel(row, "header", `${runs.length > 1 ? `${r.label}: ` : ""}${r.scenario}`, html);
  }
}

function ms(v: any): string {
  return v === null || v === undefined ? "never" : `${(v / 1000).toFixed(1)} s`;
}

/** Every fault with its window and how the system came back (Jepsen's lanes, in words). */
function faultsPanel(host: any, runs: any[]): void {
  const rows = runs.flatMap((r: any) =>
    r.faults.map((f: any) => [
      ...(runs.length > 1 ? [r.label] : []),
      f.kind,
      f.target ?? "",
      f.source,
      `${(f.startedAtMs / 1000).toFixed(1)} s`,
      f.endedAtMs === null ? "open" : `${(f.endedAtMs / 1000).toFixed(1)} s`,
      f.error ? `not injected: ${f.error}` : f.detail,
      f.recovery ? f.recovery.baselinePerSecond : "",
      f.recovery ? ms(f.recovery.throughputRecoveredAfterMs) : "",
      f.recovery ? ms(f.recovery.backlogDrainedAfterMs) : "",
      f.recovery ? f.recovery.peakInFlight : "",
      f.recovery ? f.recovery.touchedOrders : "",
      f.recovery ? `${f.recovery.findings.lost} lost, ${f.recovery.findings.duplicated} duplicated, ${f.recovery.findings.invalid} invalid` : "",
    ]),
  );
  const head = [...(runs.length > 1 ? ["run"] : []), "fault", "target", "source", "from", "to", "detail", "baseline/s", "throughput back after", "backlog drained after", "peak in flight", "orders touched", "findings among them"];
  panel(host, "faults", "Faults and recovery", table(head, rows, "faults"));
}

/** The checker's findings with the orders named, per kind that has any. */
function findingsPanel(host: any, runs: any[]): void {
  const html = runs
    .map((r: any) => {
      const found = r.findings.filter((f: any) => f.count > 0);
      const title = runs.length > 1 ? `<h3>${esc(r.label)}</h3>` : "";
      if (found.length === 0) return `${title}<p class="none" data-findings="0">${r.verdict === "RUNNING" ? "the checker runs at the end" : "the checker found nothing"}</p>`;
      return `${title}${found
        .map((f: any) => `<h3 class="finding" data-kind="${esc(f.name)}">${esc(f.name)}: ${f.count}${f.count > f.items.length ? ` (first ${f.items.length})` : ""}</h3>${table(
          ["order", "reason", "history", "source"],
          f.items.map((i: any) => [i.orderNumber ?? i.requestId ?? i.consumer ?? i.instance ?? i.subscriber ?? "", i.reason, (i.history ?? []).join(" > "), i.source ?? ""]),
          "findings",
        )}`)
        .join("")}`;
    })
    .join("");
  panel(host, "findings", "The checker's findings", html);
}

function deadLettersPanel(host: any, runs: any[]): void {
  const html = runs
    .map((r: any) => `${runs.length > 1 ? `<h3>${esc(r.label)}</h3>` : ""}<p data-dead-letters="${r.deadLetters.count}">${r.deadLetters.count} dead letters</p>${table(["consumer", "subject", "reason", "at"], r.deadLetters.samples.map((d: any) => [d.consumer, d.subject, d.reason, d.at]), "dead-letters")}`)
    .join("");
  panel(host, "deadLetters", "Dead letters", html);
}

function workersPanel(host: any, runs: any[]): void {
  const rows = runs.flatMap((r: any) => r.workers.map((w: any) => [...(runs.length > 1 ? [r.label] : []), w.name, w.orderTypes.join(", ") || "all", w.ordersCooked, `${Math.round(w.utilisation * 100)}%`, w.state]));
  panel(host, "workers", "Kitchen workers", table([...(runs.length > 1 ? ["run"] : []), "worker", "order types", "cooked", "busy", "state at the end"], rows, "workers"));
}

/** Each journey kind: how many walked and how they ended, how long they took, and each step's p95. */
function journeysPanel(host: any, runs: any[]): void {
  const withJourneys = runs.filter((r: any) => r.journeys);
  if (withJourneys.length === 0) return;
  const steps = ["browse", "signup", "login", "add", "remove", "checkout", "track"];
  const p95 = (v: any) => (v === null || v === undefined ? "-" : `${Math.round(v)} ms`);
  const rows = withJourneys.flatMap((r: any) =>
    r.journeys.kinds.map((k: any) => [
      ...(runs.length > 1 ? [r.label] : []),
      k.name, k.started, k.completed, k.abandoned, k.failed,
      p95(k.duration?.p95), p95(k.checkoutToCompleted?.p95),
      steps.filter((s) => k.steps[s]).map((s) => `${s} ${p95(k.steps[s].latency.p95)}${k.steps[s].errors ? ` (${k.steps[s].errors} errors)` : ""}`).join(", "),
    ]),
  );
  const head = [...(runs.length > 1 ? ["run"] : []), "journey", "started", "completed", "abandoned", "failed", "duration p95", "checkout to completed p95", "steps (p95)"];
  panel(host, "journeys", "Customer journeys", table(head, rows, "journeys"));
}

/** The live page's buttons: the dashboard's keys, through the same RunControl. */
function controlsPanel(host: any, config: any, run: any): void {
  const el = panel(host, "controls", "Control the run", "");
  const say = document.createElement("p");
  say.className = "control-result";
  // `body()` is read on the click: a fault on the selected target takes the selection of that moment.
  const button = (label: string, action: string, body: () => any) => {
    const b = document.createElement("button");
    b.textContent = label;
    b.dataset.action = action;
    b.onclick = async () => {
      const sent = body();
      const res = await fetch("/control", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(sent) });
      say.textContent = `${label}${sent.target ? ` ${sent.target}` : ""}: ${((await res.json()) as any).message}`;
    };
    el.appendChild(b);
  };
  button("pause load", "pause", () => ({ action: "pause" }));
  button("resume load", "resume", () => ({ action: "resume" }));
  button("finish", "finish", () => ({ action: "finish" }));
  const select = document.createElement("select");
  select.innerHTML = (run.targets ?? []).map((t: any) => `<option value="${esc(t.target)}">${esc(t.target)} (${esc(t.state)})</option>`).join("");
  if (window.__selected) select.value = window.__selected;
  select.onchange = () => (window.__selected = select.value);
  el.appendChild(select);
  for (const k of config.faultKeys) button(k.label, `inject:${k.kind}`, () => ({ action: "inject", kind: k.kind, target: k.on === "broker" ? "broker" : select.value }));
  el.appendChild(say);
}

/** Two runs' figures side by side, regressions marked. */
function comparisonPanel(host: any, config: any, runs: any[]): void {
  const rows = config.comparison.map((r: any) => [r.figure, r.a ?? "n/a", r.b ?? "n/a", r.changePercent === null ? "" : `${r.changePercent > 0 ? "+" : ""}${r.changePercent}%`, `${r.better} is better`, r.regressed ? `REGRESSED (${r.regressed})` : ""]);
  panel(host, "comparison", `${runs[0].label} (baseline) vs ${runs[1].label}`, table(["figure", runs[0].label, runs[1].label, "change", "", ""], rows, "comparison"));
}

/** Draws the whole page for these runs (one, or two compared). */
function renderRuns(config: any, runs: any[]): void {
  const host = document.getElementById("app");
  // A live redraw keeps the reader where they were (emptying the page would scroll it to the top).
  const scrolled = window.scrollY;
  host.innerHTML = "";
  const title = document.createElement("h1");
  title.textContent = config.title;
  host.appendChild(title);
  headerPanels(host, runs);
  if (config.comparison) comparisonPanel(host, config, runs);
  if (config.live) controlsPanel(host, config, runs[0]);
  const charts = panel(host, "charts", "Over time (shaded: faults)", "");
  drawCharts(charts, runs);
  faultsPanel(host, runs);
  findingsPanel(host, runs);
  deadLettersPanel(host, runs);
  workersPanel(host, runs);
  journeysPanel(host, runs);
  window.scrollTo(0, scrolled);
  window.__rendered = (window.__rendered ?? 0) + 1;
}

/** The page's entry: draw the inlined runs; when live, redraw on every update the server sends. */
function startPage(config: any): void {
  renderRuns(config, config.runs);
  if (!config.live) return;
  const events = new EventSource("/events");
  events.addEventListener("page", (e: any) => {
    const page = JSON.parse(e.data);
    window.__updates = (window.__updates ?? 0) + 1;
    renderRuns(config, [page]);
  });
  events.addEventListener("done", () => {
    window.__done = true;
    events.close();
  });
}

/** The page functions html-page.ts inlines, in this order (startPage last: it is called). */
export const PANEL_FUNCTIONS: ReadonlyArray<(...args: never[]) => unknown> = [esc, panel, table, headerPanels, ms, faultsPanel, findingsPanel, deadLettersPanel, workersPanel, journeysPanel, controlsPanel, comparisonPanel, renderRuns, startPage];
