/**
 * The reading half of the scenario loader: typed getters over the parsed YAML that stop at the
 * first bad value with a `ScenarioError` naming the file, the key path, what was expected and
 * what was found; and the chaos-step grammar (fault kinds, their params, target resolution).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import { SERVICE_NAMES, type ServiceName } from "../../services/shared/contracts.js";
import { ConfigError } from "../../services/shared/errors.js";
import { printable, quoted } from "../../services/shared/printable.js";
import { formatDuration, parseDuration } from "./duration.js";
import type { Roster } from "./roster.js";

export type PathSeg = string | number;

export interface ScenarioErrorInit {
  file: string;
  path: string;
  expected: string;
  found: string;
  line?: number;
  column?: number;
}

/** A scenario file that cannot run; a ConfigError, so the CLI exits with code 2. */
export class ScenarioError extends ConfigError {
  readonly file: string;
  /** Key path such as `load[1].rampTo`; `(syntax)` for YAML errors, `(file)` when unreadable, `(root)` for the document itself. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
  /** 1-based position of the offending node when known. */
  readonly line?: number;
  readonly column?: number;

  constructor(init: ScenarioErrorInit, options?: { cause?: unknown }) {
    // The message is one line whatever the file holds: what came from it is shown escaped.
    const [path, expected, found] = [printable(init.path), printable(init.expected), printable(init.found)];
    super(`${printable(init.file)}: ${path}: expected ${expected}, found ${found}`, options);
    this.file = init.file;
    this.path = path;
    this.expected = expected;
    this.found = found;
    this.line = init.line;
    this.column = init.column;
  }
}

/** A key as it reads in a path: as it is when plain, else quoted and escaped (`"a\nb"`, `"a.b"`, `""`), so a path cannot be spoofed. */
export function renderKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : quoted(key);
}

export function renderPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? renderKey(seg) : `.${renderKey(seg)}`;
  return out === "" ? "(root)" : out;
}

/** A YAML mapping; not a list, nor what a tag such as !!timestamp, !!set or !!omap makes (a Date, Set, Map). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const TAGGED: Array<[new (...args: never[]) => object, string]> = [[Date, "a !!timestamp"], [Set, "a !!set"], [Map, "a !!omap or !!pairs"], [Uint8Array, "!!binary data"]];

/** JSON-ish rendering of a found value, short enough for one line and escaped; `nothing` when missing. */
export function renderFound(value: unknown): string {
  if (value === undefined) return "nothing";
  const tagged = TAGGED.find(([type]) => value instanceof type);
  if (tagged) return tagged[1];
  let text: string;
  try {
    text = typeof value === "number" && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    // An alias can make a value refer to itself, or nest it past what JSON.stringify can recurse
    // through; String() would not help (it throws for a mapping with a `toString` key).
    text = `${Array.isArray(value) ? "a list" : "a mapping"} that refers to itself or is nested too deeply to show`;
  }
  return printable(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** min is excluded: "above min". */
  above?: boolean;
}

function rangeText(kind: string, r: NumberRange): string {
  if (r.min !== undefined && r.max !== undefined && !r.above) return `${kind} from ${r.min} to ${r.max}`;
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(r.above ? `above ${r.min}` : `>= ${r.min}`);
  if (r.max !== undefined) parts.push(`at most ${r.max}`);
  return parts.length ? `${kind} ${parts.join(" and ")}` : kind;
}

function inRange(n: number, r: NumberRange): boolean {
  if (r.min !== undefined && (r.above ? !(n > r.min) : !(n >= r.min))) return false;
  if (r.max !== undefined && !(n <= r.max)) return false;
  return true;
}

export const DURATION_HINT = "a duration such as 500ms, 10s or 2m";

/** Null (a key written with no value) counts as absent for optional keys. */
export const given = (v: unknown): boolean => v !== undefined && v !== null;

export class Reader {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  /** Where a path points in the source: the key itself when `atKey`, else its value. */
  private locate(path: readonly PathSeg[], atKey: boolean): { line?: number; column?: number } {
    if (!this.doc || !this.lines) return {};
    // A missing key points at the nearest mapping that should hold it.
    let node: unknown = this.doc.contents;
    let keyNode: unknown = null;
    for (const seg of path) {
      keyNode = null;
      let child: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
        keyNode = pair?.key ?? null;
        child = pair?.value;
      } else if (isSeq(node) && typeof seg === "number") {
        child = node.items[seg];
      }
      if (child === undefined || child === null) {
        if (keyNode) node = keyNode;
        break;
      }
      node = child;
    }
    const target = (atKey && keyNode ? keyNode : node) as Node | null;
    const offset = target?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  fail(path: readonly PathSeg[], expected: string, value: unknown, found?: string, atKey = false): never {
    throw new ScenarioError({ file: this.file, path: renderPath(path), expected, found: found ?? renderFound(value), ...this.locate(path, atKey) });
  }

  /** A mapping whose keys are all in `allowed` (the first stranger, in file order, is the error). */
  mapping(value: unknown, path: readonly PathSeg[], allowed: readonly string[], what = "a mapping"): Record<string, unknown> {
    if (!isPlainObject(value)) this.fail(path, `${what} with keys ${allowed.join(", ")}`, value);
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail([...path, key], `one of the keys ${allowed.join(", ")}`, obj[key], `unknown key ${quoted(key)}`, true);
    }
    return obj;
  }

  list(value: unknown, path: readonly PathSeg[], r: { min?: number; max?: number; of: string }): unknown[] {
    const what = r.min && r.max ? `a list of ${r.min} to ${r.max} ${r.of}` : r.min ? `a list of at least ${r.min} ${r.of}` : `a list of ${r.of}`;
    if (!Array.isArray(value)) this.fail(path, what, value);
    if ((r.min !== undefined && value.length < r.min) || (r.max !== undefined && value.length > r.max)) this.fail(path, what, value);
    return value;
  }

  required(value: unknown, path: readonly PathSeg[], expected: string): void {
    if (value === undefined) this.fail(path, expected, undefined);
  }

  string(value: unknown, path: readonly PathSeg[], expected = "a string", pattern?: RegExp): string {
    if (typeof value !== "string" || (pattern && !pattern.test(value))) this.fail(path, expected, value);
    return value;
  }

  number(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    if (typeof value !== "number" || !Number.isFinite(value) || !inRange(value, r)) this.fail(path, rangeText("a number", r), value);
    return value;
  }

  integer(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || !inRange(value, r)) this.fail(path, rangeText("an integer", r), value);
    return value;
  }

  /** A duration in ms: `250ms`, `5s`, `1.5m` or a bare number of milliseconds. */
  duration(value: unknown, path: readonly PathSeg[], r: NumberRange = {}): number {
    const ms = typeof value === "boolean" ? null : parseDuration(value, "ms");
    if (ms === null) this.fail(path, DURATION_HINT, value);
    if (!inRange(ms, r)) {
      const parts: string[] = [];
      if (r.min !== undefined) parts.push(r.above ? `above ${formatDuration(r.min)}` : `of at least ${formatDuration(r.min)}`);
      if (r.max !== undefined) parts.push(`${parts.length ? "" : "of "}at most ${formatDuration(r.max)}`);
      this.fail(path, `a duration ${parts.join(" and ")}`, value);
    }
    return ms;
  }

  oneOf<T extends string>(value: unknown, path: readonly PathSeg[], choices: readonly T[]): T {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) this.fail(path, `one of ${choices.join(", ")}`, value);
    return value as T;
  }
}

// ---------------------------------------------------------------------------------------------
// Chaos steps
// ---------------------------------------------------------------------------------------------

export const FAULT_KINDS = [
  "stop", "kill", "restart", "pause",
  "latency", "bandwidth", "timeout", "reset_peer", "slicer", "partition",
  "payment_outage", "slow_kitchen", "poison",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const NETWORK_FAULTS: readonly FaultKind[] = ["latency", "bandwidth", "timeout", "reset_peer", "slicer", "partition"];
/** Kinds that may be written as `{ at, <kind>: <target> }`. */
export const SHORTHAND_FAULTS = ["stop", "kill", "restart", "pause"] as const;

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

interface ParamSpec {
  key: string;
  type: "duration" | "number" | "integer";
  out: string;
  min?: number;
  max?: number;
  above?: boolean;
  default?: number;
}

interface FaultSpec {
  /** "any": an instance or the broker; "instance": a service instance; a service name: one of its instances. */
  target: { need: "required" | "optional" | "none"; of: "any" | "instance" | ServiceName };
  forMs: "required" | "optional" | "none";
  params: ParamSpec[];
}

const DUR = (key: string, extra: Partial<ParamSpec> = {}): ParamSpec => ({ key, type: "duration", out: `${key}Ms`, max: 600_000, ...extra });
const net = (params: ParamSpec[]): FaultSpec => ({ target: { need: "required", of: "instance" }, forMs: "required", params });
const FAULTS: Record<FaultKind, FaultSpec> = {
  stop: { target: { need: "required", of: "any" }, forMs: "none", params: [] },
  kill: { target: { need: "required", of: "any" }, forMs: "none", params: [] },
  restart: { target: { need: "required", of: "any" }, forMs: "none", params: [] },
  pause: { target: { need: "required", of: "any" }, forMs: "required", params: [] },
  latency: net([DUR("latency"), DUR("jitter", { default: 0 })]),
  bandwidth: net([{ key: "rate", type: "number", out: "rate", min: 0, above: true, max: 1e9 }]),
  timeout: net([DUR("timeout", { default: 0 })]),
  reset_peer: net([DUR("timeout", { default: 0 })]),
  slicer: net([
    { key: "averageSize", type: "integer", out: "averageSize", min: 1, max: 1_048_576 },
    { key: "sizeVariation", type: "integer", out: "sizeVariation", min: 0, max: 1_048_576, default: 0 },
    DUR("delay", { default: 0 }),
  ]),
  partition: net([]),
  payment_outage: { target: { need: "optional", of: "payment" }, forMs: "required", params: [] },
  slow_kitchen: { target: { need: "optional", of: "kitchen" }, forMs: "optional", params: [{ key: "factor", type: "number", out: "factor", min: 1, above: true, max: 1000 }] },
  poison: { target: { need: "none", of: "any" }, forMs: "none", params: [{ key: "count", type: "integer", out: "count", min: 1, max: 10_000, default: 1 }] },
};
const KIND_KEYS = ["fault", ...SHORTHAND_FAULTS] as const;

/** Every instance of the roster as `<service>/<instance>`, in launch-independent, stable order. */
export function rosterInstances(roster: Roster): string[] {
  const numbered = (svc: ServiceName, n: number) => Array.from({ length: n }, (_, i) => `${svc}/${svc}-${i + 1}`);
  return [
    ...numbered("order", roster.order.instances),
    ...numbered("payment", roster.payment.instances),
    ...roster.kitchen.map((w) => `kitchen/${w.name}`),
    ...numbered("tracking", roster.tracking.instances),
    ...numbered("notification", roster.notification.instances),
  ];
}

/** Canonical target, or the `expected` text of the error. */
function resolveTarget(raw: string, roster: Roster, of: FaultSpec["target"]["of"]): { target: string } | { expected: string } {
  const all = rosterInstances(roster);
  const pool = of === "any" || of === "instance" ? all : all.filter((t) => t.startsWith(`${of}/`));
  const list = () => `one of the targets ${[...(of === "any" ? ["broker"] : []), ...pool].join(", ")}`;
  if (raw === "broker" || raw.startsWith("broker/")) {
    if (of !== "any") return { expected: `${of === "instance" ? "a service instance (network faults cannot target the broker)" : `an instance of ${of}`}: ${list()}` };
    const rest = raw.slice("broker/".length);
    if (raw === "broker" || rest === "leader" || /^[1-9]\d?$/.test(rest)) return { target: raw };
    return { expected: `broker, broker/leader or broker/<node number>` };
  }
  const [svc, inst, ...more] = raw.split("/");
  if (more.length === 0 && inst === undefined && (SERVICE_NAMES as readonly string[]).includes(svc)) {
    const instances = pool.filter((t) => t.startsWith(`${svc}/`));
    if (instances.length === 1) return { target: instances[0] };
    if (instances.length > 1) return { expected: `one instance of ${svc}, which has ${instances.length}: ${instances.join(", ")}` };
    return { expected: list() };
  }
  if (more.length === 0 && inst !== undefined) {
    const canonical = svc !== "kitchen" && /^\d+$/.test(inst) ? `${svc}/${svc}-${Number(inst)}` : `${svc}/${inst}`;
    if (pool.includes(canonical)) return { target: canonical };
  }
  return { expected: list() };
}

export function readChaos(r: Reader, value: unknown, roster: Roster, durationMs: number): ChaosStep[] {
  const raw = r.list(value, ["chaos"], { max: 1000, of: "chaos steps" });
  const steps = raw.map((item, i) => readStep(r, item, i, roster, durationMs));
  return steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.at - b.s.at || a.i - b.i).map(({ s }) => s);
}

function readStep(r: Reader, item: unknown, i: number, roster: Roster, durationMs: number): ChaosStep {
  const path: PathSeg[] = ["chaos", i];
  const kindText = `a chaos step with one of the keys ${KIND_KEYS.join(", ")}`;
  if (!item || typeof item !== "object" || Array.isArray(item)) r.fail(path, kindText, item);
  const s = item as Record<string, unknown>;
  const kindKeys = Object.keys(s).filter((k) => (KIND_KEYS as readonly string[]).includes(k));
  if (kindKeys.length === 0) r.fail(path, kindText, s);
  if (kindKeys.length > 1) r.fail([...path, kindKeys[1]], `only one of ${KIND_KEYS.join(", ")} per step (this one has ${kindKeys[0]})`, s[kindKeys[1]]);
  const kindKey = kindKeys[0];
  const kind: FaultKind = kindKey === "fault" ? r.oneOf(s.fault, [...path, "fault"], FAULT_KINDS) : (kindKey as FaultKind);
  const spec = FAULTS[kind];
  const stopOrKill = kind === "stop" || kind === "kill";

  if (given(s.restartAfter) && !stopOrKill) r.fail([...path, "restartAfter"], "restartAfter only on a stop or kill step", s.restartAfter, `restartAfter on a ${kind} step`);
  const allowed = [
    "at",
    kindKey,
    ...(kindKey === "fault" && spec.target.need !== "none" ? ["target"] : []),
    ...(spec.forMs !== "none" ? ["for"] : []),
    ...(stopOrKill ? ["restartAfter"] : []),
    ...spec.params.map((p) => p.key),
  ];
  r.mapping(s, path, allowed, `a ${kind} step`);

  r.required(s.at, [...path, "at"], "a duration such as 500ms, 10s or 2m");
  const at = r.duration(s.at, [...path, "at"]);
  if (at > durationMs) r.fail([...path, "at"], `a time within the run (at most ${formatDuration(durationMs)})`, s.at);

  const targetKey = kindKey === "fault" ? "target" : kindKey;
  let target: string | null = null;
  if (spec.target.need !== "none") {
    const rawTarget = s[targetKey];
    if (spec.target.need === "required" || given(rawTarget)) {
      const what = spec.target.of === "any" ? "a target such as broker or kitchen/<worker>" : spec.target.of === "instance" ? "a service instance such as order/order-1" : `an instance of ${spec.target.of}`;
      r.required(rawTarget, [...path, targetKey], what);
      const text = r.string(rawTarget, [...path, targetKey], what);
      const resolved = resolveTarget(text.trim(), roster, spec.target.of);
      if ("expected" in resolved) r.fail([...path, targetKey], resolved.expected, rawTarget);
      target = resolved.target;
    }
  }

  const step: ChaosStep = { at, kind, target, params: {}, source: `chaos[${i}]` };
  if (spec.forMs === "required") r.required(s.for, [...path, "for"], `a duration (how long the ${kind} lasts)`);
  if (spec.forMs !== "none" && given(s.for)) step.forMs = r.duration(s.for, [...path, "for"], { min: 0, above: true });
  if (stopOrKill && given(s.restartAfter)) step.restartAfterMs = r.duration(s.restartAfter, [...path, "restartAfter"], { max: 3_600_000 });

  for (const p of spec.params) {
    const v = s[p.key];
    const ppath = [...path, p.key];
    if (!given(v)) {
      if (p.default === undefined) r.required(undefined, ppath, p.type === "duration" ? "a duration such as 500ms, 10s or 2m" : p.type === "integer" ? "an integer" : "a number");
      else step.params[p.out] = p.default;
      continue;
    }
    const range = { min: p.min, max: p.max, above: p.above };
    step.params[p.out] = p.type === "duration" ? r.duration(v, ppath, range) : p.type === "integer" ? r.integer(v, ppath, range) : r.number(v, ppath, range);
  }
  if (kind === "slicer" && (step.params.sizeVariation as number) >= (step.params.averageSize as number)) {
    r.fail([...path, "sizeVariation"], `an integer below averageSize (${step.params.averageSize})`, s.sizeVariation);
  }
  return step;
}

