/**
 * The chaos-step grammar of a scenario file: `{ at, fault: <kind>, target, for, ... }` or the
 * shorthand `{ at, kill: <target> }`. Which keys a step takes, which it needs and what their
 * values may be all come from the fault table (fault-kinds.ts); targets are resolved against the
 * roster by the same resolver `Chaos` uses.
 */
import { formatDuration } from "./duration.js";
import { FAULT_KIND_ROWS, FAULT_KINDS, SHORTHAND_FAULTS, type FaultKind, type FaultParam, type TargetPool } from "./fault-kinds.js";
import { resolveTarget, rosterInstances } from "./fault-targets.js";
import { DURATION_HINT, given, type PathSeg, type Reader } from "./reader.js";
import type { Roster } from "./roster.js";

export interface ChaosStep {
  /** Offset from the start of the load, ms. */
  at: number;
  kind: FaultKind;
  /** Canonical `<service>/<instance>`, `broker`, `broker/leader`, `broker/<n>`; null = all instances concerned (or none). */
  target: string | null;
  /** How long the fault lasts (pause, network, payment_outage, slow_kitchen). */
  forMs?: number;
  /** stop/kill: start the instance again this long after. */
  restartAfterMs?: number;
  /** Kind-specific settings; durations are in ms under keys ending in `Ms` (latencyMs, jitterMs, timeoutMs, delayMs). */
  params: Record<string, number | string>;
  /** Where the step came from in the file, e.g. `chaos[1]`. */
  source: string;
}

const KIND_KEYS: readonly string[] = ["fault", ...SHORTHAND_FAULTS];
const RESTARTABLE = FAULT_KINDS.filter((k) => FAULT_KIND_ROWS[k].restartAfter);
const MAX_RESTART_AFTER_MS = 3_600_000;

export function readChaos(r: Reader, value: unknown, roster: Roster, durationMs: number): ChaosStep[] {
  const raw = r.list(value, ["chaos"], { max: 1000, of: "chaos steps" });
  const steps = raw.map((item, i) => readStep(r, item, i, roster, durationMs));
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.i - b.i).map(({ s }) => s);
}

function targetText(of: TargetPool): string {
  if (of === "instance or broker") return "a target such as broker or kitchen/<worker>";
  return of === "instance" ? "a service instance such as order/order-1" : `an instance of ${of}`;
}

function paramText(p: FaultParam): string {
  return p.type === "duration" ? DURATION_HINT : p.type === "integer" ? "an integer" : "a number";
}

function readStep(r: Reader, item: unknown, i: number, roster: Roster, durationMs: number): ChaosStep {
  const path: PathSeg[] = ["chaos", i];
  const kindText = `a chaos step with one of the keys ${KIND_KEYS.join(", ")}`;
  if (!item || typeof item !== "object" || Array.isArray(item)) r.fail(path, kindText, item);
  const s = item as Record<string, unknown>;
  const kindKeys = Object.keys(s).filter((k) => KIND_KEYS.includes(k));
  if (kindKeys.length === 0) r.fail(path, kindText, s);
  if (kindKeys.length > 1) r.fail([...path, kindKeys[1]], `only one of ${KIND_KEYS.join(", ")} per step (this one has ${kindKeys[0]})`, s[kindKeys[1]]);
  const kindKey = kindKeys[0];
  const kind: FaultKind = kindKey === "fault" ? r.oneOf(s.fault, [...path, "fault"], FAULT_KINDS) : (kindKey as FaultKind);
  const row = FAULT_KIND_ROWS[kind];

  if (given(s.restartAfter) && !row.restartAfter) r.fail([...path, "restartAfter"], `restartAfter only on a ${RESTARTABLE.join(" or ")} step`, s.restartAfter, `restartAfter on a ${kind} step`);
  const allowed = [
    "at",
    kindKey,
    ...(kindKey === "fault" && row.target.need !== "none" ? ["target"] : []),
    ...(row.for !== "none" ? ["for"] : []),
    ...(row.restartAfter ? ["restartAfter"] : []),
    ...row.params.map((p) => p.key),
  ];
  r.mapping(s, path, allowed, `a ${kind} step`);

  r.required(s.at, [...path, "at"], DURATION_HINT);
  const at = r.duration(s.at, [...path, "at"]);
  if (at > durationMs) r.fail([...path, "at"], `a time within the run (at most ${formatDuration(durationMs)})`, s.at);

  const targetKey = kindKey === "fault" ? "target" : kindKey;
  let target: string | null = null;
  if (row.target.need !== "none") {
    const rawTarget = s[targetKey];
    if (row.target.need === "required" || given(rawTarget)) {
      const what = targetText(row.target.of);
      r.required(rawTarget, [...path, targetKey], what);
      const text = r.string(rawTarget, [...path, targetKey], what);
      const resolved = resolveTarget(text.trim(), rosterInstances(roster), row.target.of);
      if ("expected" in resolved) r.fail([...path, targetKey], resolved.expected, rawTarget);
      target = resolved.target;
    }
  }

  const step: ChaosStep = { at, kind, target, params: {}, source: `chaos[${i}]` };
  if (row.for === "required") r.required(s.for, [...path, "for"], `a duration (how long the ${kind} lasts)`);
  if (row.for !== "none" && given(s.for)) step.forMs = r.duration(s.for, [...path, "for"], { min: 0, above: true });
  if (row.restartAfter && given(s.restartAfter)) step.restartAfterMs = r.duration(s.restartAfter, [...path, "restartAfter"], { max: MAX_RESTART_AFTER_MS });

  for (const p of row.params) {
    const v = s[p.key];
    const ppath = [...path, p.key];
    if (!given(v)) {
      if (p.default === undefined) r.required(undefined, ppath, paramText(p));
      else step.params[p.out] = p.default;
      continue;
    }
    const range = { min: p.min, max: p.max, above: p.above };
    step.params[p.out] = p.type === "duration" ? r.duration(v, ppath, range) : p.type === "integer" ? r.integer(v, ppath, range) : r.number(v, ppath, range);
  }
  // The one rule between two params of a kind: a slice never shrinks to nothing.
  if (kind === "slicer" && (step.params.sizeVariation as number) >= (step.params.averageSize as number)) {
    r.fail([...path, "sizeVariation"], `an integer below averageSize (${step.params.averageSize})`, s.sizeVariation);
  }
  return step;
}
