import { useEffect, useState, useSyncExternalStore } from "react";
import { useStdout } from "ink";

export interface TerminalSize {
  columns: number;
  rows: number;
}

export const DEFAULT_SIZE: TerminalSize = { columns: 80, rows: 24 };

type SizedStream = Pick<NodeJS.WriteStream, "columns" | "rows" | "on" | "off">;

function read(stdout: SizedStream): TerminalSize {
  return {
    columns: stdout.columns > 0 ? stdout.columns : DEFAULT_SIZE.columns,
    rows: stdout.rows > 0 ? stdout.rows : DEFAULT_SIZE.rows,
  };
}

/** The terminal's size as an external store: it follows `resize` from the moment it is created. */
export interface TerminalSizeStore {
  get(): TerminalSize;
  subscribe(listener: () => void): () => void;
  dispose(): void;
}

/**
 * renderDashboard() reads the size from the terminal's stream with this (Ink's stream hides the
 * height, see ink-stream.ts); a re-render follows each change.
 */
export function createTerminalSizeStore(stdout: SizedStream): TerminalSizeStore {
  let size = read(stdout);
  const listeners = new Set<() => void>();
  const onResize = () => {
    const next = read(stdout);
    if (next.columns === size.columns && next.rows === size.rows) return;
    size = next;
    for (const l of [...listeners]) l();
  };
  stdout.on("resize", onResize);
  return {
    get: () => size,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      stdout.off("resize", onResize);
      listeners.clear();
    },
  };
}

/**
 * The terminal's size, following `resize`: from `store` when given, else from Ink's stdout;
 * `override` wins (tests, fixed-size embedding).
 */
export function useTerminalSize(override?: Partial<TerminalSize>, store?: TerminalSizeStore): TerminalSize {
  const { stdout } = useStdout();
  // Without a store of the caller's, one over Ink's stdout (kept for the component's life).
  const [own] = useState(() => (store ? null : createTerminalSizeStore(stdout)));
  useEffect(() => () => own?.dispose(), [own]);
  const source = store ?? own!;
  const size = useSyncExternalStore(source.subscribe, source.get, source.get);
  return { columns: override?.columns ?? size.columns, rows: override?.rows ?? size.rows };
}
