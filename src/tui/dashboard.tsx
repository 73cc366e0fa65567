/**
 * The live Ink dashboard of a run. It only listens to the run's events and calls its RunControl:
 * it starts nothing itself.
 *
 *   const ui = renderDashboard(run, { onQuit });
 *   await ui.waitUntilExit(); // after `done` (the summary stays printed), or a second `q`
 */
// First: it decides which React build the imports below load. (So no JSX in this file either:
// the compiler would put its react/jsx-runtime import above this one.)
import "./react-production.js";
import { createElement, useEffect, useState } from "react";
import { render } from "ink";
import { ColorContext } from "./color-context.js";
import { FinalSummary } from "./components/FinalSummary.js";
import { LiveView } from "./components/LiveView.js";
import { createTerminalSizeStore, type TerminalSize, type TerminalSizeStore } from "./hooks/use-terminal-size.js";
import type { DashboardSource } from "./run-source.js";
import { createInkStream } from "./ink-stream.js";
import { createRunStore, type RunStore } from "./run-store.js";
import { colorEnabled } from "./theme.js";

export type { DashboardSource, RunEventSource } from "./run-source.js";

export interface DashboardProps {
  source: DashboardSource;
  /** Header title (default "pizzeria"). */
  title?: string;
  /** Called on the first `q` / ctrl+c, after `source.finish()`. */
  onQuit?: () => void;
  /** Leave once the summary is printed (default true). */
  exitOnDone?: boolean;
  /** Colour (default: on unless NO_COLOR is set or the terminal has none). */
  color?: boolean;
  /** Fixed size instead of the terminal's. */
  size?: Partial<TerminalSize>;
  /** A store to read from (default: one created over `source`). */
  store?: RunStore;
  /** Where the terminal's size comes from (default: Ink's stdout). */
  terminal?: TerminalSizeStore;
}

export function Dashboard({ source, title = "pizzeria", onQuit, exitOnDone = true, color, size, store, terminal }: DashboardProps) {
  // Created (and subscribed) during the first render, so events emitted right after render() count.
  const [runStore] = useState(() => store ?? createRunStore(source));
  useEffect(
    () => () => {
      if (!store) runStore.dispose();
    },
    [runStore, store],
  );
  const colored = color ?? colorEnabled();
  return createElement(
    ColorContext.Provider,
    { value: colored },
    createElement(FinalSummary, { store: runStore, color: colored, exitOnDone }),
    createElement(LiveView, { store: runStore, control: source, title, onQuit, size, terminal }),
  );
}

export interface RenderDashboardOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  onQuit?: () => void;
  title?: string;
  exitOnDone?: boolean;
  color?: boolean;
}

export interface DashboardHandle {
  /** Resolves when the dashboard is gone (after `done`, a second `q`, or unmount()). */
  waitUntilExit(): Promise<void>;
  unmount(): void;
}

export function renderDashboard(source: DashboardSource, options: RenderDashboardOptions = {}): DashboardHandle {
  const store = createRunStore(source);
  const terminalOut = options.stdout ?? process.stdout;
  // The view reads the size from the terminal itself; Ink gets a corrected view of it, without
  // which its incremental redraws land a row too low (see ink-stream.ts).
  const terminal = createTerminalSizeStore(terminalOut);
  const stdout = createInkStream(terminalOut);
  const instance = render(
    createElement(Dashboard, {
      source,
      store,
      terminal,
      title: options.title,
      onQuit: options.onQuit,
      exitOnDone: options.exitOnDone,
      color: options.color,
    }),
    {
      stdout,
      // Ink spreads these over its defaults: leave a stream out rather than pass undefined.
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.stderr ? { stderr: options.stderr } : {}),
      maxFps: 10,
      incrementalRendering: true,
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  const exited = instance.waitUntilExit().finally(() => {
    store.dispose();
    terminal.dispose();
  });
  return {
    waitUntilExit: () => exited.then(() => undefined),
    unmount: () => instance.unmount(),
  };
}
