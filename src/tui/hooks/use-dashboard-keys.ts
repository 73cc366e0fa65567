import { useCallback, useRef } from "react";
import { useApp, useInput, useStdin, type Key } from "ink";
import { dashboardFaultKeys } from "../../sim/scenario/fault-kinds.js";
import type { FaultRecord, RunControl } from "../../sim/telemetry/run-events.js";
import type { RunStore } from "../run-store.js";
import { moveSelection, type ProcessTarget } from "../targets.js";

export interface DashboardKeysOptions {
  store: RunStore;
  control: RunControl;
  targets: readonly ProcessTarget[];
  selected: string | null;
  setSelected: (target: string | null) => void;
  toggleHelp: (open?: boolean) => void;
  onQuit?: () => void;
}

/** The fault keys, from the fault table. */
const FAULT_KEYS = new Map(dashboardFaultKeys().map((k) => [k.key, k]));

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The dashboard's keys. Input is only read when the stdin supports raw mode (a TTY): with a pipe
 * the dashboard still renders, it just takes no keys. Nothing a key does can throw out of here: a
 * failed command becomes an error line in the event log.
 */
export function useDashboardKeys(options: DashboardKeysOptions): void {
  const { isRawModeSupported } = useStdin();
  const { exit } = useApp();
  // Read the latest props from a ref, so the input handler (and ink's listener) stays the same.
  const ref = useRef(options);
  ref.current = options;

  const handler = useCallback(
    (input: string, key: Key) => {
      const { store, control, targets, selected, setSelected, toggleHelp, onQuit } = ref.current;
      const note = (level: "info" | "warn" | "error", text: string) => store.dispatch({ type: "note", level, text });
      const state = store.getState();

      if (input === "q" || (key.ctrl && input === "c")) {
        if (state.report || state.finishing) {
          exit();
          return;
        }
        store.dispatch({ type: "finishing" });
        note("info", "finishing: load stopped, then drain, check and report (q again to leave now)");
        try {
          control.finish();
        } catch (err) {
          note("error", `finish failed: ${message(err)}`);
        }
        onQuit?.();
        return;
      }
      if (input === "?") {
        toggleHelp();
        return;
      }
      if (key.escape) {
        toggleHelp(false);
        return;
      }
      if (key.upArrow || key.downArrow) {
        setSelected(moveSelection(targets, selected, key.downArrow ? 1 : -1));
        return;
      }
      if (state.report) return;

      const inject = (kind: string, target: string) => {
        note("info", `→ ${kind} ${target}`);
        let pending: Promise<FaultRecord>;
        try {
          pending = control.inject({ kind, target });
        } catch (err) {
          note("error", `${kind} ${target} rejected: ${message(err)}`);
          return;
        }
        Promise.resolve(pending).then(
          (record) => {
            // The engine emits the record as a `fault` event too; the store keeps one per id.
            if (record && typeof record.id === "string") store.dispatch({ type: "fault", fault: record });
          },
          (err: unknown) => note("error", `${kind} ${target} rejected: ${message(err)}`),
        );
      };

      if (input === " ") {
        try {
          if (state.loadPaused) {
            control.resumeLoad();
            store.dispatch({ type: "load-paused", paused: false });
            note("info", "load resumed");
          } else {
            control.pauseLoad();
            store.dispatch({ type: "load-paused", paused: true });
            note("info", "load paused (space to resume)");
          }
        } catch (err) {
          note("error", `pause/resume failed: ${message(err)}`);
        }
        return;
      }
      const faultKey = FAULT_KEYS.get(input);
      if (faultKey?.on === "broker") {
        inject(faultKey.kind, "broker");
        return;
      }
      if (faultKey) {
        const target = targets.find((t) => t.target === selected);
        if (!target) {
          note("warn", "select a worker or service first (↑/↓)");
          return;
        }
        inject(target.state === "paused" && faultKey.whenPaused ? faultKey.whenPaused : faultKey.kind, target.target);
      }
    },
    [exit],
  );

  useInput(handler, { isActive: isRawModeSupported === true });
}
