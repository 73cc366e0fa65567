/**
 * Where the services run: all in the harness's own process, or each as its own child process.
 * One list, read by the scenario reader (`mode:`), the commands' `--mode` choices and the run.
 */
export const RUN_MODES = ["inprocess", "processes"] as const;
export type RunMode = (typeof RUN_MODES)[number];
