import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Box, Text, useStdout } from "ink";
import type { RunControl } from "../../sim/telemetry/run-events.js";
import { useDashboardKeys } from "../hooks/use-dashboard-keys.js";
import { useRunState } from "../hooks/use-run-state.js";
import { useTerminalSize, type TerminalSize, type TerminalSizeStore } from "../hooks/use-terminal-size.js";
import { scrollScreenAway } from "../ink-stream.js";
import { computeLayout } from "../layout.js";
import type { RunViewState } from "../run-state.js";
import type { RunStore } from "../run-store.js";
import { processTargets } from "../targets.js";
import { EventLog } from "./EventLog.js";
import { Footer } from "./Footer.js";
import { Header, viewState } from "./Header.js";
import { Help } from "./Help.js";
import { Journeys } from "./Journeys.js";
import { Kitchen, kitchenLines } from "./Kitchen.js";
import { Latency } from "./Latency.js";
import { Notifications } from "./Notifications.js";
import { Queues } from "./Queues.js";
import { serviceRows, Services } from "./Services.js";
import { Throughput } from "./Throughput.js";

// One selector per slice: a notification (the busiest event) changes none of these, so it
// re-renders only the ticker, not the whole view.
const selectStart = (s: RunViewState) => s.start;
const selectTick = (s: RunViewState) => s.tick;
const selectHistory = (s: RunViewState) => s.history;
const selectFaults = (s: RunViewState) => s.faults;
const selectLog = (s: RunViewState) => s.log;
const selectQueueTrend = (s: RunViewState) => s.queueTrend;
const selectFinishing = (s: RunViewState) => s.finishing;
const selectLoadPaused = (s: RunViewState) => s.loadPaused;
const selectDone = (s: RunViewState) => s.report !== null;

export interface LiveViewProps {
  store: RunStore;
  control: RunControl;
  title: string;
  onQuit?: () => void;
  size?: Partial<TerminalSize>;
  /** Where the terminal's size comes from (default: Ink's stdout). */
  terminal?: TerminalSizeStore;
}

/** How long the terminal's size must hold still before the frame is redrawn from the top. */
export const RESIZE_SETTLE_MS = 150;

/**
 * Once the terminal has changed size (and held still), scroll the screen into the scrollback and
 * let Ink draw the frame again from the top (Ink's write() clears its frame, writes, then redraws
 * the whole frame). Without it, rows the terminal moved stay on screen above the new frame: a
 * shorter terminal pushes the frame's top into the scrollback, and some (tmux, for one) pull those
 * rows back when it grows again. What was on the screen above the frame stays in the scrollback.
 */
function useRedrawOnResize(columns: number, rows: number, done: boolean): void {
  const { write } = useStdout();
  const previous = useRef<string | null>(null);
  useEffect(() => {
    const size = `${columns}x${rows}`;
    const resized = previous.current !== null && previous.current !== size;
    previous.current = size;
    if (!resized || done) return;
    // A newer size cancels this one (the cleanup below): one redraw once the resizing stops.
    const timer = setTimeout(() => write(scrollScreenAway(rows)), RESIZE_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [columns, rows, done, write]);
}

/**
 * Everything that changes while the run goes: re-rendered on each event (Ink throttles the
 * output to maxFps). Gone once the report is in; the summary is printed above it by <FinalSummary>.
 */
export function LiveView({ store, control, title, onQuit, size, terminal }: LiveViewProps) {
  const start = useRunState(store, selectStart);
  const tick = useRunState(store, selectTick);
  const history = useRunState(store, selectHistory);
  const faults = useRunState(store, selectFaults);
  const log = useRunState(store, selectLog);
  const queueTrend = useRunState(store, selectQueueTrend);
  const finishing = useRunState(store, selectFinishing);
  const loadPaused = useRunState(store, selectLoadPaused);
  const done = useRunState(store, selectDone);
  const { columns, rows } = useTerminalSize(size, terminal);
  const [selected, setSelected] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const toggleHelp = useCallback((open?: boolean) => setHelp((h) => open ?? !h), []);
  const targets = useMemo(() => processTargets(tick), [tick]);
  useDashboardKeys({ store, control, targets, selected, setSelected, toggleHelp, onQuit });
  useRedrawOnResize(columns, rows, done);

  if (done) return null;

  const thresholds = start?.scenario.thresholds ?? {};
  const services = tick?.services ?? [];
  const svc = serviceRows(services);
  const layout = computeLayout({
    columns,
    rows,
    // Grouped by restaurant, the kitchen has a line per restaurant besides its workers'.
    workers: tick ? kitchenLines(tick.workers, tick.restaurants).length : 0,
    queues: tick?.queues.length ?? 0,
    services: svc.others.length + (svc.kitchen.length > 0 ? 1 : 0),
    journeys: tick?.journeys?.kinds.length ?? 0,
  });
  const vs = viewState(start, tick, finishing);
  const throughput = (
    <Throughput
      tick={tick}
      history={history}
      faults={faults}
      thresholds={thresholds}
      layout={layout}
      width={layout.leftWidth}
    />
  );
  const kitchen = layout.showKitchen ? (
    <Kitchen workers={tick?.workers ?? []} rows={layout.workerRows} selected={selected} width={layout.leftWidth} restaurants={tick?.restaurants} />
  ) : null;
  const journeys = layout.journeyRows > 0 && tick?.journeys ? <Journeys journeys={tick.journeys} rows={layout.journeyRows} width={layout.leftWidth} /> : null;
  const latency = layout.showLatency ? <Latency latency={tick?.latency ?? null} thresholds={thresholds} width={layout.rightWidth} /> : null;
  const queues = layout.showQueues ? (
    <Queues queues={tick?.queues ?? []} trend={queueTrend} rows={layout.queueRows} width={layout.rightWidth} />
  ) : null;
  const servicesPanel = layout.showServices ? (
    <Services services={services} rows={layout.serviceRows} selected={selected} width={layout.rightWidth} />
  ) : null;
  const gap = layout.gaps ? <Text> </Text> : null;
  const logHeight = layout.showLog ? 1 + layout.logRows : 0;

  return (
    <Box flexDirection="column" width={layout.width} height={Math.min(layout.height, layout.budget)}>
      <Header title={title} start={start} tick={tick} state={vs} width={layout.width} />
      {help ? (
        <Help width={layout.width} rows={layout.middleHeight + logHeight + (layout.gaps && layout.showLog ? 1 : 0)} />
      ) : (
        <>
          {layout.wide ? (
            <Box width={layout.width} height={layout.middleHeight}>
              <Box flexDirection="column" width={layout.leftWidth} flexShrink={0}>
                {throughput}
                {kitchen}
                {journeys}
              </Box>
              <Box width={1} flexShrink={0} />
              <Box flexDirection="column" width={layout.rightWidth} flexShrink={0}>
                {latency}
                {queues}
                {servicesPanel}
              </Box>
            </Box>
          ) : (
            <Box flexDirection="column" width={layout.width} height={layout.middleHeight}>
              {throughput}
              {latency}
              {kitchen}
              {journeys}
              {queues}
              {servicesPanel}
            </Box>
          )}
          {layout.showLog && layout.gaps ? gap : null}
          {layout.showLog ? <EventLog lines={log} rows={layout.logRows} width={layout.width} /> : null}
        </>
      )}
      {layout.notifications ? <Notifications store={store} /> : null}
      {layout.footer ? <Footer selected={selected} loadPaused={loadPaused} finishing={finishing} width={layout.width} /> : null}
    </Box>
  );
}
