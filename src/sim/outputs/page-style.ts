/** The HTML page's own styles (uPlot's come from its package). */
export const PAGE_STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; background: #f8fafc; color: #111827; }
main { max-width: 1400px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 0 0 8px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
.row { display: flex; gap: 12px; flex-wrap: wrap; }
.row > .panel { flex: 1 1 420px; }
.panel { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 12px; margin-bottom: 12px; overflow-x: auto; }
.chart { position: relative; margin: 8px 0 16px; }
.verdict { font-size: 20px; font-weight: 700; margin: 0 0 8px; }
.verdict.pass { color: #15803d; } .verdict.fail { color: #b91c1c; } .verdict.live { color: #2563eb; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 2px 10px 2px 0; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
table.kv thead { display: none; }
table.thresholds td:last-child { font-weight: 600; }
.none { color: #6b7280; }
.fault-lane { position: absolute; top: 0; height: 100%; background: rgba(220, 38, 38, 0.12); border-left: 2px solid rgba(220, 38, 38, 0.7); pointer-events: auto; }
.fault-lane.run-1 { background: rgba(147, 51, 234, 0.12); border-left-color: rgba(147, 51, 234, 0.7); }
.fault-lane span { position: absolute; top: 2px; left: 3px; font-size: 11px; color: #7f1d1d; white-space: nowrap; }
.states-legend { font-size: 12px; color: #374151; margin-top: 4px; }
.states-legend span { margin-right: 12px; }
.states-legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; border: 1px solid #d1d5db; }
button { margin: 0 6px 6px 0; padding: 4px 10px; }
select { margin: 0 6px 6px 0; }
`;
