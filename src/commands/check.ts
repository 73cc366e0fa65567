import type { Argv, CommandModule } from "yargs";
import { COOK_TIME_MS, ORDER_TYPES } from "../services/shared/contracts.js";
import { plannedCount } from "../sim/load/arrivals.js";
import { formatDuration as fmtDuration } from "../sim/scenario/duration.js";
import { loadScenario, type ChaosStep, type Scenario, type Thresholds } from "../sim/scenario/scenario.js";
import { describeJourney } from "../sim/scenario/journeys.js";
import { limitOf, THRESHOLDS, type ThresholdUnit } from "../sim/scenario/thresholds.js";
import { runCommand } from "./common.js";

const formatDuration = (ms: number) => (ms === 0 ? "0s" : fmtDuration(ms));
const num = (n: number) => String(+n.toFixed(3));
const pct = (n: number) => `${+(n * 100).toFixed(1)}%`;

function describeStep(step: ChaosStep): string {
  const parts = [`${formatDuration(step.at).padStart(6)}  ${step.kind}${step.target ? ` ${step.target}` : ""}`];
  if (step.forMs !== undefined) parts.push(`for ${formatDuration(step.forMs)}`);
  if (step.restartAfterMs !== undefined) parts.push(`restart after ${formatDuration(step.restartAfterMs)}`);
  const params = Object.entries(step.params).map(([k, v]) => (k.endsWith("Ms") && typeof v === "number" ? `${k.slice(0, -2)} ${formatDuration(v)}` : `${k} ${v}`));
  if (params.length) parts.push(params.join(", "));
  return parts.join(", ");
}

const UNIT_TEXT: Record<ThresholdUnit, (limit: number) => string> = {
  count: String,
  ms: formatDuration,
  ratio: pct,
  "orders/s": (n) => `${num(n)} orders/s`,
};

/** Each limit the scenario sets, as its row in the threshold table says it. */
function describeThresholds(t: Thresholds): string[] {
  return THRESHOLDS.flatMap((row) => {
    const limit = limitOf(t, row);
    return limit === undefined ? [] : [`${row.checkLabel ?? row.name} ${row.bound === "at most" ? "<=" : ">="} ${UNIT_TEXT[row.unit](limit)}`];
  });
}

/** Mean cooking time of the order mix, ms; null when cooking is instant. */
function meanCookMs(s: Scenario): number | null {
  if (s.cookTimeMs !== undefined) return s.cookTimeMs > 0 ? s.cookTimeMs : null;
  return ORDER_TYPES.reduce((sum, t) => sum + s.orders.types[t] * (COOK_TIME_MS[t] / s.timeScale), 0);
}

/** The summary `pizzeria check` prints: what the scenario will do, without running it. */
export function describeScenario(s: Scenario): string {
  const out: string[] = [];
  out.push(`scenario ${s.name} (${s.file})`);
  if (s.description) out.push(`  ${s.description.trim().replace(/\s*\n\s*/g, " ")}`);
  out.push(`  seed ${s.seed}, mode ${s.mode}, broker ${s.cluster > 1 ? `a ${s.cluster}-node cluster (streams R${Math.min(3, s.cluster)})` : "one server"}, duration ${formatDuration(s.durationMs)}, drain timeout ${formatDuration(s.drainTimeoutMs)}${s.requestTimeoutMs !== undefined ? `, request timeout ${formatDuration(s.requestTimeoutMs)}` : ""}`);
  const cook = s.cookTimeMs !== undefined ? `fixed cook time ${formatDuration(s.cookTimeMs)}` : `time scale ${num(s.timeScale)} (cook ${ORDER_TYPES.map((t) => formatDuration(COOK_TIME_MS[t] / s.timeScale)).join("/")})`;
  out.push(`  ${cook}, heartbeat ${formatDuration(s.heartbeatIntervalMs)}`);

  out.push("load");
  s.load.forEach((p, i) => {
    const span = `${formatDuration(p.startMs)}-${formatDuration(p.startMs + p.durationMs)}`;
    const rate = p.rampTo !== p.rate ? `${num(p.rate)} -> ${num(p.rampTo)}/s` : `${num(p.rate)}/s`;
    out.push(`  ${i + 1}. ${span.padEnd(12)} ${rate.padEnd(16)} ${p.arrival.padEnd(8)} ~${Math.round(plannedCount([p]))} ${s.journeys ? "journeys" : "orders"}`);
  });
  const planned = plannedCount(s.load);
  const poisson = s.load.some((p) => p.arrival === "poisson");
  out.push(`  planned ${s.journeys ? "journeys (started per second; each checkout an order)" : "orders"}: ${poisson ? "~" : ""}${Math.round(planned)}`);
  if (s.journeys) out.push("journeys", ...s.journeys.map((j) => `  ${describeJourney(j)}`));
  const mix = ORDER_TYPES.map((t) => `${t} ${pct(s.orders.types[t])}`).join(", ");
  out.push(`  ${s.journeys ? "mix (a checkout without its own order_type)" : "mix"}: ${mix}; ${s.orders.items.min}-${s.orders.items.max} items; invalid ${pct(s.orders.invalid)}${s.orders.viaCart ? `; through carts ${pct(s.orders.viaCart)} of the valid` : ""}`);

  const r = s.roster;
  out.push("services");
  out.push(`  order         x${r.order.instances}${r.order.maxConcurrent !== undefined ? `, maxConcurrent ${r.order.maxConcurrent}` : ""}`);
  const prov = r.payment.provider ?? {};
  const payExtras = [
    prov.failureRate !== undefined ? `failureRate ${num(prov.failureRate)}` : "",
    prov.latencyMs !== undefined ? `latency ${formatDuration(prov.latencyMs)}` : "",
    r.payment.concurrency !== undefined ? `concurrency ${r.payment.concurrency}` : "",
  ].filter(Boolean);
  out.push(`  payment       x${r.payment.instances}${payExtras.length ? `, ${payExtras.join(", ")}` : ""}`);
  const shares = s.orders.restaurants;
  for (const d of r.restaurant.restaurants ?? []) {
    const answer = d.acceptance === "manual" ? "manual (the harness's staff answer)" : "auto";
    out.push(`  restaurant    ${d.id} (${d.name}): ${d.open ? "open" : "closed"}, ${answer}, rejects ${pct(d.reject_rate)}${shares ? `, ${pct(shares[d.id] ?? 0)} of the orders` : ""}; ${d.menu.pizzas.length} pizzas`);
  }
  out.push(`  kitchen       ${r.kitchen.length} worker${r.kitchen.length === 1 ? "" : "s"}`);
  for (const w of r.kitchen) out.push(`    ${w.name.padEnd(16)} ${(w.orderTypes ?? ORDER_TYPES).join(", ")}${w.prefetch !== undefined ? `; prefetch ${w.prefetch}` : ""}${w.restaurant ? `; at ${w.restaurant}` : ""}`);
  const cookMs = meanCookMs(s);
  out.push(`    capacity ${cookMs === null ? "bounded by the pipeline (instant cooking)" : `~${num(r.kitchen.length / (cookMs / 1000))} orders/s (${r.kitchen.length} x 1 / ${formatDuration(cookMs)} mean cook)`}`);
  out.push(`  tracking      x${r.tracking.instances}`);
  out.push(`  notification  x${r.notification.instances}`);
  out.push(`  customer      x${r.customer.instances}`);

  out.push(s.chaos.length ? "chaos" : "chaos: none");
  for (const step of s.chaos) out.push(`  ${describeStep(step)}`);
  const thresholds = describeThresholds(s.expect);
  out.push(thresholds.length ? `expect: ${thresholds.join("; ")}` : "expect: nothing (no thresholds)");
  return out.join("\n");
}

interface CheckArgs {
  file: string;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <file>",
  describe: "Load and validate a scenario file without running it; print what it would do",
  builder: (y: Argv) =>
    y
      .positional("file", { type: "string", describe: "Scenario YAML file", normalize: true, demandOption: true })
      .example("$0 check scenarios/lunch-rush.yaml", "exit 0 and a summary, or exit 2 and the first error") as unknown as Argv<CheckArgs>,
  handler: (args) =>
    runCommand(async () => {
      process.stdout.write(`${describeScenario(loadScenario(args.file))}\n`);
      return 0;
    }),
};
