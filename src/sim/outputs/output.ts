import type { EventEmitter } from "node:events";
import type { RunEventMap, RunReport } from "../telemetry/run-events.js";

/** What an output may listen to: the run's typed events, nothing else of the run. */
export type RunEvents = Pick<EventEmitter<RunEventMap>, "on" | "off" | "once">;

/**
 * One place a run's figures go, k6 style (its outputs: json, csv, web dashboard): the run emits
 * and never draws; an output subscribes when the run begins and writes what it has when the run
 * ends. `stop` gets the final report, or null when the run failed before it had one (an output
 * then writes what it saw until then, as Gatling does from a partial log).
 */
export interface RunOutput {
  /** Says what it writes, for errors: "HTML report runs/x/report.html". */
  readonly description: string;
  start(events: RunEvents): void | Promise<void>;
  stop(report: RunReport | null): void | Promise<void>;
}

export interface AttachedOutputs {
  stop(report: RunReport | null): Promise<void>;
}

/**
 * Starts every output on the run's events; an output that fails (a file that cannot be written, a
 * port taken) is told through `onError` and never fails the run, whose verdict stands without it.
 */
export async function attachOutputs(events: RunEvents, outputs: readonly RunOutput[], onError: (message: string) => void): Promise<AttachedOutputs> {
  const started: RunOutput[] = [];
  for (const o of outputs) {
    try {
      await o.start(events);
      started.push(o);
    } catch (err) {
      onError(`${o.description}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    async stop(report) {
      for (const o of started) {
        try {
          await o.stop(report);
        } catch (err) {
          onError(`${o.description}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    },
  };
}
