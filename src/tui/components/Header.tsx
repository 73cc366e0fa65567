import { Box, Text } from "ink";
import type { RunStart, RunState, RunTick } from "../../sim/telemetry/run-events.js";
import { formatBroker, formatClock, formatRate } from "../format.js";
import { progressBar } from "../sparkline.js";
import { usePaint } from "../color-context.js";
import type { Tone } from "../theme.js";

export type ViewState = RunState | "waiting" | "finishing";

const STATE_TONE: Record<ViewState, Tone> = {
  waiting: "dim",
  starting: "dim",
  running: "ok",
  paused: "warn",
  finishing: "info",
  draining: "info",
  checking: "accent",
  done: "strong",
};

export function viewState(start: RunStart | null, tick: RunTick | null, finishing: boolean): ViewState {
  if (!start && !tick) return "waiting";
  const state = tick?.state ?? "starting";
  if (finishing && (state === "running" || state === "paused")) return "finishing";
  return state;
}

export interface HeaderProps {
  title: string;
  start: RunStart | null;
  tick: RunTick | null;
  state: ViewState;
  width: number;
}

export function Header({ title, start, tick, state, width }: HeaderProps) {
  const paint = usePaint();
  const scenario = start?.scenario;
  const narrow = width < 60;
  const right = ` ● ${state.toUpperCase()}${tick && !narrow ? `  target ${formatRate(tick.targetRate)}` : ""}`;
  const elapsed = tick?.elapsedMs ?? 0;
  const total = scenario?.durationMs ?? 0;
  const phases = scenario?.phases ?? [];
  const phaseIndex = tick?.phaseIndex ?? -1;
  const phaseText =
    phases.length === 0
      ? ""
      : phaseIndex >= 0 && phaseIndex < phases.length
        ? ` phase ${phaseIndex + 1}/${phases.length}`
        : elapsed > 0
          ? " tail"
          : "";
  const clock = `${formatClock(elapsed)}/${formatClock(total)} `;
  const openEnded = !!scenario && total === 0 && phases.length === 0;
  const order = start?.endpoints?.order[0];
  const tracking = start?.endpoints?.tracking[0];
  const endpoints = `${order ? `  order ${order}/orders` : ""}${tracking ? `  tracking ${tracking}` : ""}`;
  const planned = start && width >= 80 ? `  ${start.plannedOrders} planned` : "";
  const barWidth = Math.max(4, width - clock.length - phaseText.length - planned.length - 1);
  const bar = progressBar(
    elapsed,
    total,
    phases.map((p) => p.startMs),
    barWidth,
  );
  const what = scenario
    ? `${narrow ? "" : " ▸ "}${paint(scenario.name, "info")}  ${start?.mode ?? ""}  broker ${start ? formatBroker(start.broker) : ""}`
    : "  waiting for the run to start…";
  return (
    <Box flexDirection="column" width={width}>
      <Box width={width}>
        <Box flexGrow={1} flexShrink={1}>
          <Text wrap="truncate">{(narrow && scenario ? "" : paint(title, "strong")) + what}</Text>
        </Box>
        <Box flexShrink={0}>
          <Text>{paint(right, STATE_TONE[state])}</Text>
        </Box>
      </Box>
      <Text wrap="truncate">
        {openEnded
          ? // `up`: no scripted load to show progress through; where to send orders instead.
            `${formatClock(elapsed)} ${paint("elapsed", "dim")}${endpoints}`
          : clock + paint(bar, STATE_TONE[state]) + phaseText + paint(planned, "dim")}
      </Text>
    </Box>
  );
}
