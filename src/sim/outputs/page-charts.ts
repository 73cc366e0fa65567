/**
 * The HTML page's charts, drawn with uPlot in the browser. These functions run in the page, not in
 * Node: html-page.ts inlines their source (Function.prototype.toString), so each one may use only
 * its arguments, the browser's globals, uPlot and the other page functions, never an import.
 * Every time chart shares the same x (seconds of load) and has every fault of its runs as a lane.
 */
declare const document: any;
declare const uPlot: any;
declare const window: any;

/** Colours by position: each series and each run gets its own. */
function palette(i: number): string {
  const colours = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#dc2626", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
  return colours[i % colours.length];
}

/** Fault lanes over a uPlot chart: one absolutely placed div per fault (so a test can find it), kept in place on every redraw. */
function faultLanesPlugin(lanes: any[]): any {
  const els: any[] = [];
  const place = (u: any) => {
    lanes.forEach((f: any, i: number) => {
      if (!els[i]) return;
      const from = u.valToPos(f.fromS, "x");
      const to = Math.max(from + 2, u.valToPos(f.toS, "x"));
      els[i].style.left = `${from}px`;
      els[i].style.width = `${to - from}px`;
    });
  };
  return {
    hooks: {
      init: (u: any) => {
        for (const f of lanes) {
          const el = document.createElement("div");
          el.className = `fault-lane run-${f.run}`;
          el.dataset.faultId = f.id;
          el.dataset.fromS = String(f.fromS);
          el.dataset.toS = String(f.toS);
          el.title = f.title;
          const label = document.createElement("span");
          label.textContent = f.label;
          el.appendChild(label);
          u.over.appendChild(el);
          els.push(el);
        }
      },
      ready: place,
      setSize: place,
      setScale: (u: any, key: string) => key === "x" && place(u),
    },
  };
}

/** The lanes of every run's faults; a fault still open ends at the end of the chart. */
function lanesOf(runs: any[]): any[] {
  return runs.flatMap((r: any, run: number) =>
    r.faults
      .filter((f: any) => !f.error)
      .map((f: any) => ({
        run,
        id: f.id,
        fromS: f.startedAtMs / 1000,
        toS: (f.endedAtMs ?? r.endMs) / 1000,
        label: `${runs.length > 1 ? `${r.label}: ` : ""}${f.kind}${f.target ? ` ${f.target}` : ""}`,
        title: faultTitle(f),
      })),
  );
}

function faultTitle(f: any): string {
  const rec = f.recovery;
  const ms = (v: any) => (v === null || v === undefined ? "never" : `${(v / 1000).toFixed(1)} s`);
  const lines = [`${f.kind} ${f.target ?? ""} (${f.source}) ${(f.startedAtMs / 1000).toFixed(1)} s - ${f.endedAtMs === null ? "open" : `${(f.endedAtMs / 1000).toFixed(1)} s`}`, f.detail];
  if (rec) lines.push(`throughput back after ${ms(rec.throughputRecoveredAfterMs)}; backlog drained after ${ms(rec.backlogDrainedAfterMs)}; peak in flight ${rec.peakInFlight}`);
  return lines.join("\n");
}

/** Columns of several runs on one x: the union of their seconds, each run's values where it has them. */
function alignColumns(xsPerRun: number[][], columns: Array<{ run: number; values: any[] }>): any[] {
  const xs = [...new Set(xsPerRun.flat())].sort((a, b) => a - b);
  const at = xsPerRun.map((runXs) => new Map(runXs.map((x, i) => [x, i])));
  return [xs, ...columns.map((c) => xs.map((x) => (at[c.run].has(x) ? c.values[at[c.run].get(x)!] : null)))];
}

/** One time chart: series [{run, label, values, dash?}] against each run's x, with the fault lanes. */
function timeChart(host: any, opts: { name: string; title: string; unit: string; runs: any[]; xs: number[][]; series: any[]; endS: number }): any {
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = opts.name;
  host.appendChild(box);
  const data = alignColumns(opts.xs, opts.series);
  const width = Math.max(320, (host.clientWidth || 900) - 8);
  const u = new uPlot(
    {
      title: opts.title,
      width,
      height: 230,
      scales: { x: { time: false, range: [0, Math.max(1, opts.endS)] } },
      axes: [{ label: "seconds of load" }, { label: opts.unit, size: 60 }],
      series: [{ label: "s" }, ...opts.series.map((s: any, i: number) => ({ label: s.label, stroke: s.colour ?? palette(i), width: 1.5, dash: s.dash, spanGaps: false, points: { show: false } }))],
      plugins: [faultLanesPlugin(lanesOf(opts.runs))],
    },
    data,
    box,
  );
  window.__charts[opts.name] = u;
  return u;
}

/** A histogram of one latency per run, as bars (uPlot's bars path). */
function histogramChart(host: any, name: string, title: string, runs: any[], pick: (r: any) => any): void {
  const hists = runs.map(pick);
  if (hists.every((h: any) => !h || h.counts.length === 0)) return;
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = name;
  host.appendChild(box);
  const xs = hists.map((h: any) => (h ? h.upToMs : []));
  const data = alignColumns(xs, hists.map((h: any, run: number) => ({ run, values: h ? h.counts : [] })));
  const bars = uPlot.paths.bars({ size: [0.8, 40] });
  const u = new uPlot(
    {
      title,
      width: Math.max(320, Math.floor((host.clientWidth || 900) / 2) - 12),
      height: 200,
      scales: { x: { time: false, distr: 3 } },
      axes: [{ label: "ms (log)" }, { label: "requests", size: 60 }],
      series: [{ label: "ms" }, ...runs.map((r: any, i: number) => ({ label: r.label, stroke: runColour(i), fill: `${runColour(i)}66`, paths: bars, points: { show: false } }))],
    },
    data,
    box,
  );
  window.__charts[name] = u;
}

/** The kitchen timeline: a row per worker, its states as pale bands and each order it cooked as a bar. */
function kitchenChart(host: any, run: any, endS: number): void {
  const k = run.kitchen;
  if (k.workers.length === 0) return;
  const box = document.createElement("div");
  box.className = "chart";
  box.dataset.chart = "kitchen";
  host.appendChild(box);
  const stateColour: Record<string, string> = { idle: "#f3f4f6", cooking: "#bbf7d0", paused: "#fde68a", killed: "#f87171", offline: "#9ca3af", restarting: "#bfdbfe", stopping: "#fed7aa" };
  const draw = (u: any) => {
    const ctx = u.ctx;
    const rowH = Math.max(4, (u.valToPos(0, "y", true) - u.valToPos(1, "y", true)) * 0.8);
    const rect = (row: number, fromMs: number, toMs: number, colour: string, h: number) => {
      const x0 = u.valToPos(fromMs / 1000, "x", true);
      const x1 = Math.max(x0 + 1, u.valToPos(toMs / 1000, "x", true));
      ctx.fillStyle = colour;
      ctx.fillRect(x0, u.valToPos(row, "y", true) - h / 2, x1 - x0, h);
    };
    for (const s of k.states) rect(s.worker, s.fromMs, s.toMs, stateColour[s.state] ?? "#f3f4f6", rowH);
    for (const [row, from, to] of k.cooks) rect(row, from, to ?? endS * 1000, "#15803d", rowH * 0.5);
  };
  const u = new uPlot(
    {
      title: "Kitchen: each worker's orders (bars) over its states (bands)",
      width: Math.max(320, (host.clientWidth || 900) - 8),
      height: 60 + 34 * k.workers.length,
      scales: { x: { time: false, range: [0, Math.max(1, endS)] }, y: { range: [-0.6, k.workers.length - 0.4] } },
      axes: [{ label: "seconds of load" }, { size: 110, splits: () => k.workers.map((_: any, i: number) => i), values: (_u: any, splits: number[]) => splits.map((i) => k.workers[i] ?? "") }],
      series: [{ label: "s" }, { label: "orders", stroke: "#15803d", points: { show: false } }],
      legend: { show: false },
      hooks: { draw: [draw] },
      plugins: [faultLanesPlugin(lanesOf([run]))],
    },
    [[0, endS], [null, null]],
    box,
  );
  const legend = document.createElement("div");
  legend.className = "states-legend";
  legend.innerHTML = Object.entries(stateColour)
    .map(([s, c]) => `<span><i style="background:${c}"></i>${s}</span>`)
    .join("") + `<span><i style="background:#15803d"></i>an order cooking</span>${k.dropped ? ` <em>(${k.dropped} orders past the first 20000 not drawn)</em>` : ""}`;
  box.appendChild(legend);
  window.__charts.kitchen = u;
}

/** Each run's own colour when runs are overlaid (the series of one run differ by their dashes). */
function runColour(run: number): string {
  return ["#2563eb", "#ea580c", "#16a34a", "#9333ea"][run % 4];
}

/** One run's page: every time chart of the run, each series in its own colour. */
function singleRunCharts(host: any, r: any, endS: number): void {
  const runs = [r];
  const xs = [r.seconds];
  const stages = [
    { run: 0, label: "offered", values: r.offered, dash: [2, 3], colour: "#6b7280" },
    { run: 0, label: "sent", values: r.sent },
    { run: 0, label: "failed requests", values: r.errors, colour: "#b91c1c" },
    ...r.stages.map((s: any) => ({ run: 0, label: s.name, values: s.values })),
  ];
  timeChart(host, { name: "stages", title: "Orders per second by stage, against the offered rate", unit: "orders/s", runs, xs, series: stages, endS });
  for (const [name, key, title] of latencyCharts()) {
    timeChart(host, { name, title, unit: "ms", runs, xs, series: ["p50", "p95", "p99"].map((p) => ({ run: 0, label: p, values: r[key][p] })), endS });
  }
  const queues = [
    { run: 0, label: "orders in flight", values: r.inFlight },
    ...r.queues.flatMap((q: any) => [
      { run: 0, label: `${q.consumer} pending`, values: q.pending },
      { run: 0, label: `${q.consumer} ack pending`, values: q.ackPending, dash: [1, 2] },
    ]),
  ];
  timeChart(host, { name: "queues", title: "Orders in flight; pending and ack-pending messages per consumer", unit: "messages", runs, xs: [r.tickSeconds], series: queues, endS });
}

/** The latency charts: chart name, the page's field, title. */
function latencyCharts(): string[][] {
  return [
    ["accept", "acceptLatency", "Accept latency (scheduled time to answer)"],
    ["endToEnd", "endToEndLatency", "End-to-end latency (scheduled time to completed)"],
  ];
}

/**
 * Two runs (or more) overlaid: every time chart of the one-run page, each run in its own colour and
 * each chart with every run's fault lanes. A chart per stage and per consumer (twenty lines of two
 * colours on one chart would be unreadable); the overview charts tell their lines apart by dashes.
 */
function comparedCharts(host: any, runs: any[], endS: number): void {
  const xs = runs.map((r: any) => r.seconds);
  const tickXs = runs.map((r: any) => r.tickSeconds);
  const line = (run: number, r: any, label: string, values: any[], dash?: number[]) => ({ run, label: `${r.label}: ${label}`, values, dash, colour: runColour(run) });
  const overview = runs.flatMap((r: any, run: number) => [
    line(run, r, "offered", r.offered, [2, 3]),
    line(run, r, "sent", r.sent, [8, 3]),
    line(run, r, "failed requests", r.errors, [1, 2]),
    ...r.stages.filter((s: any) => s.name === "placed" || s.name === "completed").map((s: any) => line(run, r, s.name, s.values, s.name === "placed" ? [4, 4] : undefined)),
  ]);
  timeChart(host, { name: "stages", title: "Orders per second: offered, sent, failed, placed and completed", unit: "orders/s", runs, xs, series: overview, endS });
  const stageNames = [...new Set(runs.flatMap((r: any) => r.stages.map((s: any) => s.name)))];
  for (const name of stageNames) {
    const series = runs.map((r: any, run: number) => line(run, r, name, r.stages.find((s: any) => s.name === name)?.values ?? r.seconds.map(() => null)));
    timeChart(host, { name: `stage:${name}`, title: `Orders per second: ${name}`, unit: "orders/s", runs, xs, series, endS });
  }
  const dashOf: Record<string, number[] | undefined> = { p50: [2, 3], p95: [6, 4], p99: undefined };
  for (const [name, key, title] of latencyCharts()) {
    const series = runs.flatMap((r: any, run: number) => ["p50", "p95", "p99"].map((p) => line(run, r, p, r[key][p], dashOf[p])));
    timeChart(host, { name, title: `${title}: p50 dotted, p95 dashed, p99 solid`, unit: "ms", runs, xs, series, endS });
  }
  const sum = (r: any, key: string) => r.tickSeconds.map((_: any, i: number) => r.queues.reduce((n: number, q: any) => n + q[key][i], 0));
  const queues = runs.flatMap((r: any, run: number) => [line(run, r, "orders in flight", r.inFlight), line(run, r, "pending, all consumers", sum(r, "pending"), [6, 4]), line(run, r, "ack pending, all consumers", sum(r, "ackPending"), [1, 2])]);
  timeChart(host, { name: "queues", title: "Orders in flight; pending and ack-pending messages of all consumers", unit: "messages", runs, xs: tickXs, series: queues, endS });
  const consumers = [...new Set(runs.flatMap((r: any) => r.queues.map((q: any) => q.consumer)))].sort();
  for (const consumer of consumers) {
    const series = runs.flatMap((r: any, run: number) => {
      const q = r.queues.find((x: any) => x.consumer === consumer);
      const none = r.tickSeconds.map(() => null);
      return [line(run, r, "pending", q ? q.pending : none), line(run, r, "ack pending", q ? q.ackPending : none, [1, 2])];
    });
    timeChart(host, { name: `queue:${consumer}`, title: `Consumer ${consumer}: pending (solid) and ack pending (dotted)`, unit: "messages", runs, xs: tickXs, series, endS });
  }
}

/** Every time chart of the page, for one run or several overlaid. */
function drawCharts(host: any, runs: any[]): void {
  window.__charts = {};
  const endS = Math.max(...runs.map((r: any) => r.endMs / 1000));
  if (runs.length > 1) comparedCharts(host, runs, endS);
  else singleRunCharts(host, runs[0], endS);
  const hist = document.createElement("div");
  hist.className = "row";
  host.appendChild(hist);
  histogramChart(hist, "acceptHistogram", "Accept latency distribution", runs, (r: any) => r.histograms.accept);
  histogramChart(hist, "endToEndHistogram", "End-to-end latency distribution", runs, (r: any) => r.histograms.endToEnd);
  if (runs.length === 1) kitchenChart(host, runs[0], endS);
}

/** The page functions html-page.ts inlines, in this order. */
export const CHART_FUNCTIONS: ReadonlyArray<(...args: never[]) => unknown> = [palette, runColour, faultLanesPlugin, lanesOf, faultTitle, alignColumns, timeChart, histogramChart, kitchenChart, latencyCharts, singleRunCharts, comparedCharts, drawCharts];
