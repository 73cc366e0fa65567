/**
 * The `journeys:` key (issue 19): weighted named journeys, each a list of steps a virtual customer
 * walks (k6 scenarios, Artillery flows). When it is present the load phases give journeys started
 * per second; each journey then runs its steps at its own pace. Read and checked here, before
 * anything starts: an unknown step, weights that do not add up to 1, a negative think time, an
 * `add` before any restaurant is browsed, a `track` before the checkout... each is a ScenarioError
 * naming the key path, what was expected and what was found (exit 2).
 */
import { ORDER_TYPES, type OrderType } from "../../services/shared/contracts.js";
import { formatDuration, parseDuration } from "./duration.js";
import { given, type PathSeg, type Reader } from "./reader.js";

export const JOURNEY_STEP_KINDS = ["browse", "signup", "login", "add", "remove", "think", "checkout", "track", "abandon"] as const;
export type JourneyStepKind = (typeof JOURNEY_STEP_KINDS)[number];
export const TRACK_MODES = ["subscribe", "poll"] as const;
export type TrackMode = (typeof TRACK_MODES)[number];

export type JourneyStep =
  | { kind: "browse" }
  | { kind: "signup" }
  | { kind: "login" }
  /** Lines drawn from the browsed restaurant's menu, their count drawn from min..max. */
  | { kind: "add"; items: { min: number; max: number } }
  /** Lines taken out of the cart again (the last ones put in). */
  | { kind: "remove"; items: number }
  | { kind: "think"; ms: { min: number; max: number } }
  /** `orderTypes` null: the scenario's `orders.types` mix. */
  | { kind: "checkout"; orderTypes: Record<OrderType, number> | null }
  | { kind: "track"; mode: TrackMode }
  | { kind: "abandon" };

export interface JourneySpec {
  name: string;
  /** Share of the journeys started (the weights add up to 1). */
  weight: number;
  steps: JourneyStep[];
}

/** Steps that may be written as a bare word (their defaults); `add` and `think` need their figures. */
const BARE: Partial<Record<JourneyStepKind, JourneyStep>> = {
  browse: { kind: "browse" },
  signup: { kind: "signup" },
  login: { kind: "login" },
  remove: { kind: "remove", items: 1 },
  checkout: { kind: "checkout", orderTypes: null },
  track: { kind: "track", mode: "subscribe" },
  abandon: { kind: "abandon" },
};
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const STEP_EXPECTED = `a step: one of ${JOURNEY_STEP_KINDS.join(", ")} (add as { add: { items: n } }, think as { think: 2s })`;
const THINK_EXPECTED = "a think time of 0 or more: a duration such as 2s, or { min: 1s, max: 5s }";
const MAX_THINK_MS = 600_000;
const WEIGHT_TOLERANCE = 1e-6;

export function readJourneys(r: Reader, value: unknown): JourneySpec[] {
  const raw = r.list(value, ["journeys"], { min: 1, max: 50, of: "journeys" });
  const names = new Set<string>();
  const journeys = raw.map((item, i) => {
    const path: PathSeg[] = ["journeys", i];
    const j = r.mapping(item, path, ["name", "weight", "steps"], "a journey");
    r.required(j.name, [...path, "name"], "a journey name of 1-64 letters, digits, _ or -");
    const name = r.string(j.name, [...path, "name"], "a journey name of 1-64 letters, digits, _ or -", NAME_PATTERN);
    if (names.has(name)) r.fail([...path, "name"], `a journey name not used before (${[...names].join(", ")})`, name);
    names.add(name);
    r.required(j.weight, [...path, "weight"], "a weight above 0 (the journeys' weights add up to 1)");
    const weight = r.number(j.weight, [...path, "weight"], { min: 0, above: true, max: 1 });
    r.required(j.steps, [...path, "steps"], "a list of steps");
    const steps = r.list(j.steps, [...path, "steps"], { min: 1, max: 100, of: "steps" }).map((s, k) => readStep(r, s, [...path, "steps", k]));
    checkOrder(r, steps, [...path, "steps"]);
    return { name, weight, steps };
  });
  const sum = journeys.reduce((s, j) => s + j.weight, 0);
  if (Math.abs(sum - 1) > WEIGHT_TOLERANCE) {
    r.fail(["journeys"], "journey weights that add up to 1", undefined, `weights ${journeys.map((j) => j.weight).join(" + ")} = ${+sum.toFixed(6)}`);
  }
  return journeys;
}

function readStep(r: Reader, value: unknown, path: PathSeg[]): JourneyStep {
  if (typeof value === "string") {
    const bare = BARE[value as JourneyStepKind];
    if (bare) return { ...bare };
    if (value === "add") r.fail(path, "add with its items: { add: { items: n } } or { add: { items: { min: 1, max: 4 } } }", value);
    if (value === "think") r.fail(path, `think with its time: { think: 2s } (${THINK_EXPECTED})`, value);
    return r.fail(path, STEP_EXPECTED, value, `unknown step ${JSON.stringify(value)}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || Object.keys(value).length !== 1) r.fail(path, STEP_EXPECTED, value);
  const [key, arg] = Object.entries(value as Record<string, unknown>)[0];
  const at = [...path, key];
  switch (key) {
    case "add": {
      const a = r.mapping(arg, at, ["items"], "the lines to add");
      r.required(a.items, [...at, "items"], "a number of items from 1 to 20, or { min, max }");
      return { kind: "add", items: readCount(r, a.items, [...at, "items"]) };
    }
    case "remove": {
      const a = r.mapping(arg, at, ["items"], "the lines to remove");
      return { kind: "remove", items: given(a.items) ? r.integer(a.items, [...at, "items"], { min: 1, max: 20 }) : 1 };
    }
    case "think":
      return { kind: "think", ms: readThink(r, arg, at) };
    case "checkout": {
      if (!given(arg)) return { kind: "checkout", orderTypes: null };
      const a = r.mapping(arg, at, ["order_type"], "the checkout's settings");
      return { kind: "checkout", orderTypes: given(a.order_type) ? readTypeShares(r, a.order_type, [...at, "order_type"]) : null };
    }
    case "track":
      return { kind: "track", mode: given(arg) ? r.oneOf(arg, at, TRACK_MODES) : "subscribe" };
    default:
      if (key in BARE && !given(arg)) return { ...BARE[key as JourneyStepKind]! };
      return r.fail(path, STEP_EXPECTED, value, `unknown step ${JSON.stringify(key)}`);
  }
}

function readCount(r: Reader, value: unknown, path: PathSeg[]): { min: number; max: number } {
  if (typeof value === "number") {
    const n = r.integer(value, path, { min: 1, max: 20 });
    return { min: n, max: n };
  }
  const m = r.mapping(value, path, ["min", "max"], "a number of items from 1 to 20, or a range");
  r.required(m.min, [...path, "min"], "an integer from 1 to 20");
  const min = r.integer(m.min, [...path, "min"], { min: 1, max: 20 });
  r.required(m.max, [...path, "max"], `an integer from ${min} to 20`);
  return { min, max: r.integer(m.max, [...path, "max"], { min, max: 20 }) };
}

/** A think time: fixed (`2s`) or drawn from the seed between `min` and `max`. */
function readThink(r: Reader, value: unknown, path: PathSeg[]): { min: number; max: number } {
  const one = (v: unknown, p: PathSeg[]): number => {
    const negative = (typeof v === "number" && v < 0) || (typeof v === "string" && /^\s*-/.test(v));
    const ms = negative ? null : parseDuration(v, "ms");
    if (ms === null) return r.fail(p, THINK_EXPECTED, v, negative ? `a negative think time ${JSON.stringify(v)}` : undefined);
    if (ms > MAX_THINK_MS) r.fail(p, `a think time of at most ${formatDuration(MAX_THINK_MS)}`, v);
    return ms;
  };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const m = r.mapping(value, path, ["min", "max"], "a think time range");
    r.required(m.min, [...path, "min"], THINK_EXPECTED);
    r.required(m.max, [...path, "max"], THINK_EXPECTED);
    const min = one(m.min, [...path, "min"]);
    const max = one(m.max, [...path, "max"]);
    if (max < min) r.fail([...path, "max"], `a think time of at least the min (${formatDuration(min)})`, m.max);
    return { min, max };
  }
  const ms = one(value, path);
  return { min: ms, max: ms };
}

/** A checkout's order types, as shares that add up to 1. */
function readTypeShares(r: Reader, value: unknown, path: PathSeg[]): Record<OrderType, number> {
  const t = r.mapping(value, path, ORDER_TYPES, "a mapping of order types to shares");
  const shares = Object.fromEntries(ORDER_TYPES.map((k) => [k, given(t[k]) ? r.number(t[k], [...path, k], { min: 0, max: 1 }) : 0])) as Record<OrderType, number>;
  const sum = ORDER_TYPES.reduce((s, k) => s + shares[k], 0);
  if (Math.abs(sum - 1) > WEIGHT_TOLERANCE) r.fail(path, "order type shares that add up to 1", value, `shares adding up to ${+sum.toFixed(6)}`);
  return shares;
}

/**
 * What a step needs before it: a customer (signup or login) and a restaurant (browse) before the
 * first add; lines in the cart to remove or check out; the checkout before a track; nothing
 * after abandon; a cart with lines left neither checked out nor abandoned is refused too.
 */
function checkOrder(r: Reader, steps: readonly JourneyStep[], path: PathSeg[]): void {
  let customer = false;
  let restaurant = false;
  let lines = 0; // the fewest lines the cart can hold here (adds drawn at their min)
  let added = false;
  let checkedOut = false;
  let tracked = false;
  steps.forEach((step, k) => {
    const at = [...path, k];
    const refuse = (expected: string, found: string): never => r.fail(at, expected, undefined, found);
    if (k > 0 && steps[k - 1].kind === "abandon") refuse("nothing after abandon (the customer has left)", `${step.kind} after abandon`);
    switch (step.kind) {
      case "browse":
        if (added) refuse("no browse after the first add (a cart holds one restaurant's items)", "browse after add");
        restaurant = true;
        break;
      case "signup":
      case "login":
        if (customer) refuse("one signup or login per journey", `${step.kind} after a signup or login`);
        customer = true;
        break;
      case "add":
        if (!restaurant) refuse("a browse step before the first add (it chooses the restaurant whose menu the items come from)", "add with no restaurant chosen before it");
        if (!customer) refuse("a signup or login step before the first add (a cart is a customer's)", "add with no customer before it");
        if (checkedOut) refuse("no add after the checkout", "add after checkout");
        lines += step.items.min;
        added = true;
        if (lines > 20) refuse("at most 20 lines in a cart (an order holds 1-20 items)", `${lines} lines`);
        break;
      case "remove":
        if (checkedOut) refuse("no remove after the checkout", "remove after checkout");
        if (step.items > lines) refuse(`a remove of at most the ${lines} line${lines === 1 ? "" : "s"} surely in the cart before it`, `remove of ${step.items}`);
        lines -= step.items;
        break;
      case "checkout":
        if (checkedOut) refuse("one checkout per journey", "a second checkout");
        if (lines < 1) refuse("at least one line surely in the cart before the checkout (an add, fewer removes)", `checkout of a cart with ${lines} lines`);
        checkedOut = true;
        break;
      case "track":
        if (!checkedOut) refuse("a checkout before track (it follows the order the checkout made)", "track with no checkout before it");
        if (tracked) refuse("one track per journey", "a second track");
        tracked = true;
        break;
      case "abandon":
        if (checkedOut) refuse("no abandon after the checkout (the order is made)", "abandon after checkout");
        break;
      case "think":
        break;
    }
  });
  const last = steps[steps.length - 1];
  if (added && !checkedOut && last.kind !== "abandon") r.fail([...path, steps.length - 1], "a checkout or an abandon once items are in the cart", undefined, `the journey ends with ${last.kind}`);
}

/** Every order type a journey's checkout may use (`fallback`: the scenario's mix, for a checkout without its own). */
export function journeyOrderTypes(journeys: readonly JourneySpec[], fallback: Record<OrderType, number>): Record<OrderType, number> {
  const out = Object.fromEntries(ORDER_TYPES.map((t) => [t, 0])) as Record<OrderType, number>;
  for (const j of journeys) {
    for (const s of j.steps) {
      if (s.kind !== "checkout") continue;
      for (const t of ORDER_TYPES) out[t] += j.weight * (s.orderTypes ?? fallback)[t];
    }
  }
  return out;
}

/** One line per journey, as `pizzeria check` prints them. */
export function describeJourney(j: JourneySpec): string {
  const range = (a: number, b: number, f: (n: number) => string = String) => (a === b ? f(a) : `${f(a)}-${f(b)}`);
  const steps = j.steps.map((s) => {
    switch (s.kind) {
      case "add":
        return `add ${range(s.items.min, s.items.max)}`;
      case "remove":
        return `remove ${s.items}`;
      case "think":
        return `think ${range(s.ms.min, s.ms.max, (ms) => (ms === 0 ? "0s" : formatDuration(ms)))}`;
      case "checkout":
        return s.orderTypes ? `checkout (${ORDER_TYPES.filter((t) => s.orderTypes![t] > 0).map((t) => `${t} ${+(s.orderTypes![t] * 100).toFixed(1)}%`).join(", ")})` : "checkout";
      case "track":
        return `track by ${s.mode === "subscribe" ? "subscription" : "polling"}`;
      default:
        return s.kind;
    }
  });
  return `${j.name} ${+(j.weight * 100).toFixed(1)}%: ${steps.join(" > ")}`;
}
