import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dashboardFaultKeys } from "../scenario/fault-kinds.js";
import { CHART_FUNCTIONS } from "./page-charts.js";
import type { RunPage } from "./page-data.js";
import { PANEL_FUNCTIONS } from "./page-panels.js";
import { PAGE_STYLE } from "./page-style.js";

/** The page's settings besides its runs: whether it is live (served, updated over SSE, with buttons). */
export interface PageConfig {
  title: string;
  runs: RunPage[];
  live?: boolean;
  /** Two runs compared: the table of their figures (the page draws it as a panel). */
  comparison?: Array<{ figure: string; better: string; a: number | null; b: number | null; changePercent: number | null; regressed: string | null }>;
}

let uplotAssets: { js: string; css: string } | null = null;

/** uPlot's minified script and stylesheet, read from the installed package (inlined into every page: no network). */
function uplot(): { js: string; css: string } {
  if (uplotAssets) return uplotAssets;
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const css = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  uplotAssets = { js, css };
  return uplotAssets;
}

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page functions' own source, in order (see page-charts.ts: they run in the browser). */
function pageScript(): string {
  return [...CHART_FUNCTIONS, ...PANEL_FUNCTIONS].map((f) => f.toString()).join("\n\n");
}

/**
 * One self-contained HTML page: uPlot, the styles, the page's script and the data all inlined;
 * it asks the network for nothing (a Content-Security-Policy says so to the browser too), so it
 * opens from a file, offline, years later. A live page may talk back to the server that served it.
 */
export function renderHtml(config: PageConfig): string {
  const { js, css } = uplot();
  const data = { ...config, faultKeys: config.live ? dashboardFaultKeys().map(({ key, on, label, kind }) => ({ key, on, label, kind })) : [] };
  const connect = config.live ? "'self'" : "'none'";
  const csp = `default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src ${connect}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.title)}</title>
<style>${css}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main id="app"></main>
<script>${js}</script>
<script id="run-data" type="application/json">${scriptJson(data)}</script>
<script>
${pageScript()}

startPage(JSON.parse(document.getElementById("run-data").textContent));
</script>
</body>
</html>
`;
}
