/**
 * Which panels fit the terminal, and how many rows each gets. Pure, so it is tested without Ink.
 *
 * Wide (>= WIDE_COLUMNS): a left column (throughput, kitchen) beside a right one (latency, queues,
 * services), the event log under both. Narrow: one column, panels stacked. The live region is kept
 * at least one row shorter than the terminal (Ink redraws the whole screen otherwise) and one
 * column narrower: a line that ends in the last column leaves the cursor waiting to wrap, where
 * the erase-to-end-of-line Ink appends to each redrawn line clears that column in some terminals
 * (xterm, VTE), and a terminal made narrower re-wraps it. When it does not fit, panels shrink,
 * then drop, in a fixed order (log first shrinks, notifications and the spacing line go, lists are
 * capped, services and queues go, the kitchen and the log go last).
 */

export const WIDE_COLUMNS = 90;
export const RIGHT_WIDTH = 31;
export const SPARK_LABEL = 8;
export const MAX_SPARK = 60;

export interface LayoutInput {
  columns: number;
  rows: number;
  workers: number;
  queues: number;
  services: number;
  /** Journey kinds (runs with `journeys:`; absent or 0: no journeys panel). */
  journeys?: number;
}

export interface DashboardLayout {
  width: number;
  /** Rows the live region may take. */
  budget: number;
  wide: boolean;
  leftWidth: number;
  rightWidth: number;
  sparkWidth: number;
  /** 2 = placed and completed, 1 = completed only, 0 = none. */
  sparkLines: 0 | 1 | 2;
  faultLine: boolean;
  stageTotals: boolean;
  showLatency: boolean;
  /** Worker rows shown (0 with showKitchen false = panel dropped). */
  showKitchen: boolean;
  workerRows: number;
  /** Journey kinds shown in the journeys panel (0: no panel). */
  journeyRows: number;
  showQueues: boolean;
  queueRows: number;
  showServices: boolean;
  serviceRows: number;
  showLog: boolean;
  logRows: number;
  notifications: boolean;
  footer: boolean;
  /** A blank line above the event log. */
  gaps: boolean;
  /** Rows of the middle block (both columns side by side when wide). */
  middleHeight: number;
  height: number;
}

export function throughputHeight(l: Pick<DashboardLayout, "stageTotals" | "sparkLines" | "faultLine">): number {
  return 3 + (l.stageTotals ? 1 : 0) + l.sparkLines + (l.faultLine ? 1 : 0);
}

function heights(l: DashboardLayout): { middle: number; total: number } {
  const thr = throughputHeight(l);
  // Header, accept (every answer), 201 only, time to failure, end to end.
  const lat = l.showLatency ? 5 : 0;
  const kit = (l.showKitchen ? 1 + Math.max(1, l.workerRows) : 0) + (l.journeyRows > 0 ? 1 + l.journeyRows : 0);
  const que = l.showQueues ? 1 + Math.max(1, l.queueRows) : 0;
  const svc = l.showServices ? 1 + Math.max(1, l.serviceRows) : 0;
  const middle = l.wide ? Math.max(thr + kit, lat + que + svc) : thr + lat + kit + que + svc;
  const log = l.showLog ? 1 + l.logRows : 0;
  // One blank line, between the panels and the event log (none under the header).
  const gaps = l.gaps && l.showLog ? 1 : 0;
  const total = 2 + middle + log + (l.notifications ? 1 : 0) + (l.footer ? 1 : 0) + gaps;
  return { middle, total };
}

type Step = (l: DashboardLayout) => void;

const STEPS: Step[] = [
  (l) => void (l.logRows = Math.min(l.logRows, 4)),
  (l) => void (l.notifications = false),
  (l) => void (l.gaps = false),
  (l) => void (l.logRows = Math.min(l.logRows, 3)),
  (l) => void (l.queueRows = Math.min(l.queueRows, 4)),
  (l) => void (l.serviceRows = Math.min(l.serviceRows, 3)),
  (l) => void (l.stageTotals = false),
  (l) => void (l.workerRows = Math.min(l.workerRows, 4)),
  (l) => void (l.journeyRows = Math.min(l.journeyRows, 3)),
  (l) => void (l.sparkLines = Math.min(l.sparkLines, 1) as 0 | 1),
  (l) => void (l.journeyRows = 0),
  (l) => void (l.showServices = false),
  (l) => void (l.showQueues = false),
  (l) => void (l.logRows = Math.min(l.logRows, 2)),
  (l) => void (l.workerRows = Math.min(l.workerRows, 2)),
  (l) => void (l.showLog = false),
  (l) => void (l.faultLine = false),
  (l) => void (l.showKitchen = false),
  (l) => void (l.footer = false),
  (l) => void (l.sparkLines = 0),
  (l) => void (l.showLatency = false),
];

export function computeLayout(input: LayoutInput): DashboardLayout {
  // The last column stays empty (see above).
  const width = Math.max(20, Math.floor(input.columns) - 1);
  const budget = Math.max(4, Math.floor(input.rows) - 1);
  const wide = width >= WIDE_COLUMNS;
  const rightWidth = wide ? RIGHT_WIDTH : width;
  const leftWidth = wide ? width - RIGHT_WIDTH - 1 : width;
  const l: DashboardLayout = {
    width,
    budget,
    wide,
    leftWidth,
    rightWidth,
    sparkWidth: Math.max(0, Math.min(MAX_SPARK, leftWidth - SPARK_LABEL)),
    sparkLines: 2,
    faultLine: true,
    stageTotals: true,
    showLatency: true,
    showKitchen: true,
    workerRows: Math.max(1, input.workers),
    journeyRows: Math.max(0, input.journeys ?? 0),
    showQueues: true,
    queueRows: Math.max(1, input.queues),
    showServices: true,
    serviceRows: Math.max(1, input.services),
    showLog: true,
    logRows: 6,
    notifications: true,
    footer: true,
    gaps: true,
    middleHeight: 0,
    height: 0,
  };
  let h = heights(l);
  for (const step of STEPS) {
    if (h.total <= budget) break;
    step(l);
    h = heights(l);
  }
  // Room to spare: give it to the log (up to 10 lines).
  if (l.showLog && h.total < budget) {
    l.logRows = Math.min(10, l.logRows + (budget - h.total));
    h = heights(l);
  }
  l.middleHeight = h.middle;
  l.height = h.total;
  return l;
}

/** The first index of a window of `size` rows over `count` items that keeps `selected` visible. */
export function windowStart(count: number, size: number, selected: number): number {
  if (count <= size || selected < 0) return 0;
  return Math.min(Math.max(0, selected - size + 1), count - size);
}
