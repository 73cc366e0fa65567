/**
 * The live Ink dashboard of a run. It only listens to the run's events and calls its RunControl:
 * it starts nothing itself.
 *
 *   const ui = renderDashboard(run, { onQuit });
 *   await ui.waitUntilExit(); // after `done` (the summary stays printed), or a second `q`
 */
import { useEffect, useState } from "react";
import { render } from "ink";
import { ColorContext } from "./color-context.js";
import { FinalSummary } from "./components/FinalSummary.js";
import { LiveView } from "./components/LiveView.js";
import type { TerminalSize } from "./hooks/use-terminal-size.js";
import type { DashboardSource } from "./run-source.js";
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
}

export function Dashboard({ source, title = "pizzeria", onQuit, exitOnDone = true, color, size, store }: DashboardProps) {
  // Created (and subscribed) during the first render, so events emitted right after render() count.
  const [runStore] = useState(() => store ?? createRunStore(source));
  useEffect(
    () => () => {
      if (!store) runStore.dispose();
    },
    [runStore, store],
  );
  const colored = color ?? colorEnabled();
  return (
    <ColorContext.Provider value={colored}>
      <FinalSummary store={runStore} color={colored} exitOnDone={exitOnDone} />
      <LiveView store={runStore} control={source} title={title} onQuit={onQuit} size={size} />
    </ColorContext.Provider>
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
  const instance = render(
    <Dashboard
      source={source}
      store={store}
      title={options.title}
      onQuit={options.onQuit}
      exitOnDone={options.exitOnDone}
      color={options.color}
    />,
    {
      // Ink spreads these over its defaults: leave a stream out rather than pass undefined.
      ...(options.stdout ? { stdout: options.stdout } : {}),
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.stderr ? { stderr: options.stderr } : {}),
      maxFps: 10,
      incrementalRendering: process.env.PZ_INC !== "0",
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  const exited = instance.waitUntilExit().finally(() => store.dispose());
  return {
    waitUntilExit: () => exited.then(() => undefined),
    unmount: () => instance.unmount(),
  };
}
