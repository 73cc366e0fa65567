import { Box, Text } from "ink";
import type { ServiceState, ServiceView } from "../../sim/telemetry/run-events.js";
import { fit } from "../format.js";
import { windowStart } from "../layout.js";
import { serviceTarget } from "../targets.js";
import type { Tone } from "../theme.js";
import { usePaint } from "../color-context.js";

export const SERVICE_TONE: Record<ServiceState, Tone> = {
  starting: "accent",
  up: "ok",
  stopping: "warn",
  stopped: "bad",
  crashed: "bad",
  failed: "bad",
  paused: "warn",
  restarting: "accent",
};

export interface ServicesProps {
  services: readonly ServiceView[];
  rows: number;
  selected: string | null;
  width: number;
}

/** Rows for the panel: the kitchen folded into one summary row, the others one row per instance. */
export function serviceRows(services: readonly ServiceView[]): { kitchen: ServiceView[]; others: ServiceView[] } {
  return {
    kitchen: services.filter((s) => s.service === "kitchen"),
    others: services.filter((s) => s.service !== "kitchen"),
  };
}

/** `payment-1` when the instance is named after its service, else `payment/eu-1`. */
export function serviceLabel(s: Pick<ServiceView, "service" | "instance">): string {
  return s.instance.startsWith(s.service) ? s.instance : serviceTarget(s.service, s.instance);
}

/** Instances per service, up or down, restarts. The kitchen is one row (its workers have their panel). */
export function Services({ services, rows, selected, width }: ServicesProps) {
  const paint = usePaint();
  const STATE = 11;
  const RESTARTS = 3;
  const NAME = Math.max(6, width - STATE - RESTARTS);
  const { kitchen, others } = serviceRows(services);
  const slots = Math.max(1, rows - (kitchen.length > 0 ? 1 : 0));
  const selectedIndex = others.findIndex((s) => serviceTarget(s.service, s.instance) === selected);
  const from = windowStart(others.length, slots, selectedIndex);
  const shown = others.slice(from, from + slots);
  const hidden = others.length - shown.length;
  const kitchenUp = kitchen.filter((s) => s.state === "up").length;
  const kitchenRestarts = kitchen.reduce((n, s) => n + s.restarts, 0);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {paint(fit(hidden > 0 ? `SERVICES +${hidden}` : "SERVICES", NAME), "strong") + paint(fit("state", STATE) + fit("↻", RESTARTS, "right"), "dim")}
      </Text>
      {services.length === 0 ? <Text>{paint("  none yet", "dim")}</Text> : null}
      {kitchen.length > 0 && rows > 0 ? (
        <Text wrap="truncate">
          {fit(` kitchen ×${kitchen.length}`, NAME) +
            paint(fit(`${kitchenUp}/${kitchen.length} up`, STATE), kitchenUp === kitchen.length ? "ok" : "bad") +
            paint(fit(String(kitchenRestarts), RESTARTS, "right"), kitchenRestarts > 0 ? "warn" : "dim")}
        </Text>
      ) : null}
      {shown.map((s) => {
        const target = serviceTarget(s.service, s.instance);
        const isSelected = target === selected;
        return (
          <Text key={s.id} wrap="truncate">
            {paint((isSelected ? "›" : " ") + fit(serviceLabel(s), NAME - 1), isSelected ? "strong" : null, isSelected) +
              paint(fit(s.state, STATE), SERVICE_TONE[s.state] ?? null) +
              paint(fit(String(s.restarts), RESTARTS, "right"), s.restarts > 0 ? "warn" : "dim")}
          </Text>
        );
      })}
    </Box>
  );
}
