import { HtmlReportOutput } from "./html-report.js";
import { attachOutputs, type AttachedOutputs, type RunEvents, type RunOutput } from "./output.js";

export type { RunOutput } from "./output.js";

/** A run's outputs: report.html in its run directory, always, then those it was given. */
export function openRunOutputs(events: RunEvents, extra: readonly RunOutput[] | undefined, onError: (message: string) => void): Promise<AttachedOutputs> {
  return attachOutputs(events, [new HtmlReportOutput(), ...(extra ?? [])], onError);
}
