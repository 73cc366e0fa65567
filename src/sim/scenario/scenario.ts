/**
 * Scenario files: what load to offer, which services to run, which faults to inject when, and
 * which thresholds decide the verdict. `parseScenario` turns YAML text into a fully defaulted,
 * normalised `Scenario` (durations in ms, targets canonical, weights summing to 1) or throws a
 * `ScenarioError` (a ConfigError: exit code 2) at the first bad value, in a fixed order.
 */
import { readFileSync } from "node:fs";
import { INSTANCE_NAME_PATTERN, ORDER_TYPES, SERVICE_NAMES, type OrderType } from "../../services/shared/contracts.js";
import { errorMessage } from "../../services/shared/errors.js";
import { formatDuration } from "./duration.js";
import { readChaos, type ChaosStep } from "./chaos-steps.js";
import { given, Reader, ScenarioError, type PathSeg } from "./reader.js";
import { DEFAULT_ROSTER, UP_ROSTER, type Roster, type WorkerSpec } from "./roster.js";
import { readRestaurants, readShares, type ScenarioRestaurants } from "./restaurants.js";
import { DEFAULT_RESTAURANT_ID } from "../../services/shared/menus.js";
import { documentValue, parseYaml } from "./yaml-document.js";
import { RUN_MODES, type RunMode } from "./run-mode.js";
import { readRetention, runRetention, UP_RETENTION, type StreamRetention } from "./retention.js";
import { THRESHOLD_UNITS, THRESHOLDS, type ThresholdLimitKey, type Thresholds } from "./thresholds.js";
import { journeyOrderTypes, readJourneys, type JourneySpec } from "./journeys.js";

export { ScenarioError, renderPath, renderFound } from "./reader.js";
export { FAULT_KINDS, NETWORK_FAULTS, SHORTHAND_FAULTS } from "./fault-kinds.js";
export { rosterInstances } from "./fault-targets.js";
export type { PathSeg } from "./reader.js";
export type { ChaosStep } from "./chaos-steps.js";
export type { FaultKind } from "./fault-kinds.js";
export type { Thresholds } from "./thresholds.js";
export type { JourneySpec, JourneyStep } from "./journeys.js";

export type ArrivalKind = "constant" | "poisson";

/** One load phase; `startMs` is its offset from the start of the load. */
export interface Phase {
  startMs: number;
  durationMs: number;
  /** Orders per second at the start of the phase. */
  rate: number;
  /** Orders per second at its end (= rate when the file has no rampTo). */
  rampTo: number;
  arrival: ArrivalKind;
}

export interface OrderMix {
  /** Weights normalised to sum to 1. */
  types: Record<OrderType, number>;
  items: { min: number; max: number };
  /** Share of deliberately invalid requests, 0..1. */
  invalid: number;
  /** Share of valid orders sent through a cart (customer -> cart items -> checkout) instead of POST /orders, 0..1; absent: none. */
  viaCart?: number;
  /** With `restaurants:`: the share of valid orders each restaurant gets (normalised; each sent with its restaurant_id). None: all the default restaurant's. */
  restaurants?: Record<string, number>;
}

/** Where the services run (one list of values: run-mode.ts). */
export type Mode = RunMode;

export interface Scenario {
  file: string;
  name: string;
  description?: string;
  seed: number;
  /** Length of the run (load plus any quiet tail before the drain), ms. */
  durationMs: number;
  timeScale: number;
  cookTimeMs?: number;
  heartbeatIntervalMs: number;
  mode: Mode;
  /** Nodes of the local JetStream cluster to start (1: one server). */
  cluster: number;
  load: Phase[];
  orders: OrderMix;
  roster: Roster;
  /** Sorted by `at` (stable: file order for equal times). */
  chaos: ChaosStep[];
  expect: Thresholds;
  drainTimeoutMs: number;
  /** How long a request may wait with nothing on its socket before it counts as timed out (default: the load runner's 30 s). */
  requestTimeoutMs?: number;
  /** The ORDERS stream's retention (retention.ts; absent: the run's default, which covers it). */
  retention?: StreamRetention;
  /** Customers' journeys (journeys.ts): when present, the load phases give journeys started per second. */
  journeys?: JourneySpec[];
}

export const DEFAULT_EXPECT: Readonly<Thresholds> = { lost: 0, duplicated: 0, invalid: 0 };
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;
export const DEFAULT_HEARTBEAT_MS = 1_000;
export const MAX_INSTANCES = 16;
export const MAX_RATE = 100_000;

const TOP_KEYS = ["name", "description", "seed", "duration", "timeScale", "cookTime", "heartbeatInterval", "mode", "cluster", "load", "journeys", "orders", "restaurants", "services", "chaos", "expect", "retention", "requestTimeout", "drainTimeout"];
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Read and check a scenario file; an unreadable file is a ScenarioError too. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ScenarioError({ file, path: "(file)", expected: "a readable scenario file", found: errorMessage(err) }, { cause: err });
  }
  return parseScenario(text, file);
}

export function parseScenario(text: string, file: string): Scenario {
  const { doc, lines } = parseYaml(text, file);
  const r = new Reader(file, doc, lines);
  const root = documentValue(doc, lines, file);
  if (root === null || root === undefined) r.fail([], "a scenario mapping with keys name, seed, load, ...", undefined, "an empty document");
  const top = r.mapping(root, [], TOP_KEYS, "a scenario mapping");

  r.required(top.name, ["name"], "a name of 1-64 letters, digits, _ or -");
  const name = r.string(top.name, ["name"], "a name of 1-64 letters, digits, _ or -", NAME_PATTERN);
  const description = given(top.description) ? r.string(top.description, ["description"]) : undefined;
  r.required(top.seed, ["seed"], "an integer seed");
  const seed = r.integer(top.seed, ["seed"], { min: 0, max: Number.MAX_SAFE_INTEGER });
  const declaredDuration = given(top.duration) ? r.duration(top.duration, ["duration"], { min: 0, above: true }) : undefined;
  const timeScale = given(top.timeScale) ? r.number(top.timeScale, ["timeScale"], { min: 0, above: true }) : 1;
  const cookTimeMs = given(top.cookTime) ? r.duration(top.cookTime, ["cookTime"], { min: 0, max: 600_000 }) : undefined;
  const heartbeatIntervalMs = given(top.heartbeatInterval) ? r.duration(top.heartbeatInterval, ["heartbeatInterval"], { min: 50, max: 600_000 }) : DEFAULT_HEARTBEAT_MS;
  const mode = given(top.mode) ? r.oneOf<Mode>(top.mode, ["mode"], RUN_MODES) : "inprocess";
  const cluster = given(top.cluster) ? r.integer(top.cluster, ["cluster"], { min: 1, max: 5 }) : 1;

  r.required(top.load, ["load"], "a list of at least 1 load phase");
  const load = readLoad(r, top.load);
  const loadMs = load.reduce((sum, p) => sum + p.durationMs, 0);
  if (declaredDuration !== undefined && declaredDuration < loadMs) {
    r.fail(["duration"], `a duration of at least ${formatDuration(loadMs)} (the sum of the load phases)`, top.duration);
  }
  const durationMs = declaredDuration ?? loadMs;

  const orders = readOrders(r, top.orders);
  const restaurants = given(top.restaurants) ? readRestaurants(r, top.restaurants, (v, p) => readKitchen(r, v, p)) : null;
  const shares = (top.orders as Record<string, unknown> | undefined)?.restaurants;
  if (restaurants) orders.restaurants = readShares(r, shares, restaurants.definitions);
  else if (given(shares)) r.fail(["orders", "restaurants"], "no shares per restaurant without a top-level restaurants: list", shares);
  const roster = readServices(r, top.services, seed, restaurants);
  const journeys = given(top.journeys) ? readJourneys(r, top.journeys) : undefined;
  if (journeys) checkJourneyOrders(r, orders, top.orders);
  checkKitchens(r, journeys ? { ...orders, types: journeyOrderTypes(journeys, orders.types) } : orders, roster, top, restaurants);
  const chaos = given(top.chaos) ? readChaos(r, top.chaos, roster, durationMs) : [];
  chaos.forEach((step) => {
    const node = /^broker\/(leader|\d+)$/.exec(step.target ?? "");
    if (node && (cluster < 2 || (node[1] !== "leader" && Number(node[1]) > cluster))) {
      const index = Number(/\d+/.exec(step.source)?.[0] ?? 0);
      r.fail(["chaos", index, step.kind], cluster < 2 ? "broker (one server; broker/leader and broker/<n> need cluster: 3)" : `broker, broker/leader or broker/1..${cluster}`, step.target);
    }
  });
  const expect = given(top.expect) ? readExpect(r, top.expect) : { ...DEFAULT_EXPECT };
  const drainTimeoutMs = given(top.drainTimeout) ? r.duration(top.drainTimeout, ["drainTimeout"], { min: 0, above: true, max: 3_600_000 }) : DEFAULT_DRAIN_TIMEOUT_MS;
  const requestTimeoutMs = given(top.requestTimeout) ? r.duration(top.requestTimeout, ["requestTimeout"], { min: 1, max: 600_000 }) : undefined;
  const retention = given(top.retention) ? readRetention(r, top.retention, runRetention(durationMs, drainTimeoutMs)) : undefined;

  return {
    file,
    name,
    ...(description !== undefined ? { description } : {}),
    seed,
    durationMs,
    timeScale,
    ...(cookTimeMs !== undefined ? { cookTimeMs } : {}),
    heartbeatIntervalMs,
    mode,
    cluster,
    load,
    orders,
    roster,
    chaos,
    expect,
    drainTimeoutMs,
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    ...(retention !== undefined ? { retention } : {}),
    ...(journeys !== undefined ? { journeys } : {}),
  };
}

/** With journeys the load starts journeys, not requests: no share of invalid requests or of carts to mix in. */
function checkJourneyOrders(r: Reader, orders: OrderMix, raw: unknown): void {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (orders.invalid > 0) r.fail(["orders", "invalid"], "no invalid share with journeys: (the load phases start journeys, each ending in a checkout or not)", o.invalid);
  if ((orders.viaCart ?? 0) > 0) r.fail(["orders", "viaCart"], "no viaCart with journeys: (every journey's order goes through its cart)", o.viaCart);
}

function readLoad(r: Reader, value: unknown): Phase[] {
  const raw = r.list(value, ["load"], { min: 1, max: 1000, of: "load phases" });
  let startMs = 0;
  return raw.map((item, i) => {
    const path = ["load", i];
    const p = r.mapping(item, path, ["duration", "rate", "rampTo", "arrival"], "a load phase");
    r.required(p.duration, [...path, "duration"], "a duration such as 500ms, 10s or 2m");
    const durationMs = r.duration(p.duration, [...path, "duration"], { min: 0, above: true, max: 86_400_000 });
    r.required(p.rate, [...path, "rate"], `a number from 0 to ${MAX_RATE} (orders per second)`);
    const rate = r.number(p.rate, [...path, "rate"], { min: 0, max: MAX_RATE });
    const rampTo = given(p.rampTo) ? r.number(p.rampTo, [...path, "rampTo"], { min: 0, max: MAX_RATE }) : rate;
    const arrival = given(p.arrival) ? r.oneOf<ArrivalKind>(p.arrival, [...path, "arrival"], ["constant", "poisson"]) : "constant";
    const phase: Phase = { startMs, durationMs, rate, rampTo, arrival };
    startMs += durationMs;
    return phase;
  });
}

function readOrders(r: Reader, value: unknown): OrderMix {
  const equal = Object.fromEntries(ORDER_TYPES.map((t) => [t, 1 / ORDER_TYPES.length])) as Record<OrderType, number>;
  if (!given(value)) return { types: equal, items: { min: 1, max: 3 }, invalid: 0 };
  const o = r.mapping(value, ["orders"], ["types", "items", "invalid", "restaurants", "viaCart"]);
  let types = equal;
  if (given(o.types)) {
    const t = r.mapping(o.types, ["orders", "types"], ORDER_TYPES, "a mapping of order types to weights");
    const weights = Object.fromEntries(ORDER_TYPES.map((k) => [k, given(t[k]) ? r.number(t[k], ["orders", "types", k], { min: 0, max: 1e9 }) : 0])) as Record<OrderType, number>;
    const sum = ORDER_TYPES.reduce((s, k) => s + weights[k], 0);
    if (!(sum > 0)) r.fail(["orders", "types"], "weights with a sum above 0", o.types);
    types = Object.fromEntries(ORDER_TYPES.map((k) => [k, weights[k] / sum])) as Record<OrderType, number>;
  }
  let items = { min: 1, max: 3 };
  if (given(o.items)) {
    const it = r.mapping(o.items, ["orders", "items"], ["min", "max"]);
    const min = given(it.min) ? r.integer(it.min, ["orders", "items", "min"], { min: 1, max: 20 }) : 1;
    const max = given(it.max) ? r.integer(it.max, ["orders", "items", "max"], { min, max: 20 }) : Math.max(3, min);
    items = { min, max };
  }
  const invalid = given(o.invalid) ? r.number(o.invalid, ["orders", "invalid"], { min: 0, max: 1 }) : 0;
  const viaCart = given(o.viaCart) ? r.number(o.viaCart, ["orders", "viaCart"], { min: 0, max: 1 }) : undefined;
  return { types, items, invalid, ...(viaCart !== undefined ? { viaCart } : {}) };
}

function readInstances(r: Reader, v: Record<string, unknown>, path: PathSeg[], fallback: number): number {
  return given(v.instances) ? r.integer(v.instances, [...path, "instances"], { min: 1, max: MAX_INSTANCES }) : fallback;
}

/** Every restaurant's kitchen has a worker for every order type with a weight above 0: an order of a type nobody there cooks would wait forever. */
function checkKitchens(r: Reader, orders: OrderMix, roster: Roster, top: Record<string, unknown>, restaurants: ScenarioRestaurants | null): void {
  const ids = restaurants ? restaurants.definitions.map((d) => d.id) : [DEFAULT_RESTAURANT_ID];
  ids.forEach((id, i) => {
    const workers = roster.kitchen.filter((w) => (w.restaurant ?? DEFAULT_RESTAURANT_ID) === id);
    for (const type of ORDER_TYPES) {
      if (!(orders.types[type] > 0) || workers.some((w) => (w.orderTypes ?? ORDER_TYPES).includes(type))) continue;
      const inServices = given(top.services) && given((top.services as Record<string, unknown>).kitchen);
      const path: PathSeg[] = restaurants ? ["restaurants", i, "kitchen"] : inServices ? ["services", "kitchen"] : ["orders", "types", type];
      r.fail(path, `a kitchen worker for every order type with a weight above 0 (${type} has none${restaurants ? ` at ${id}` : ""})`, undefined, `workers ${workers.map((w) => `${w.name}[${(w.orderTypes ?? ORDER_TYPES).join(",")}]`).join(", ")}`);
    }
  });
}

function readServices(r: Reader, value: unknown, seed: number, restaurants: ScenarioRestaurants | null): Roster {
  const d = structuredClone(DEFAULT_ROSTER);
  const roster: Roster = {
    order: d.order,
    payment: { ...d.payment, provider: { ...d.payment.provider, seed } },
    restaurant: { ...d.restaurant, seed, ...(restaurants ? { restaurants: restaurants.definitions } : {}) },
    kitchen: d.kitchen.map((w) => ({ ...w, orderTypes: w.orderTypes ?? [...ORDER_TYPES] })),
    tracking: d.tracking,
    notification: d.notification,
    customer: d.customer,
    reporting: d.reporting,
  };
  if (restaurants) roster.kitchen = restaurants.kitchen;
  if (!given(value)) return roster;
  const s = r.mapping(value, ["services"], SERVICE_NAMES);
  if (restaurants && given(s.kitchen)) r.fail(["services", "kitchen"], "no services.kitchen when restaurants: is given (each restaurant lists its own kitchen)", s.kitchen);
  if (given(s.order)) {
    const o = r.mapping(s.order, ["services", "order"], ["instances", "maxConcurrent"]);
    roster.order = { instances: readInstances(r, o, ["services", "order"], d.order.instances) };
    if (given(o.maxConcurrent)) roster.order.maxConcurrent = r.integer(o.maxConcurrent, ["services", "order", "maxConcurrent"], { min: 1, max: 100_000 });
  }
  if (given(s.payment)) {
    const path = ["services", "payment"];
    const p = r.mapping(s.payment, path, ["instances", "failureRate", "latency", "concurrency"]);
    roster.payment = { instances: readInstances(r, p, path, d.payment.instances), provider: { seed } };
    if (given(p.failureRate)) roster.payment.provider!.failureRate = r.number(p.failureRate, [...path, "failureRate"], { min: 0, max: 1 });
    if (given(p.latency)) roster.payment.provider!.latencyMs = r.duration(p.latency, [...path, "latency"], { max: 60_000 });
    if (given(p.concurrency)) roster.payment.concurrency = r.integer(p.concurrency, [...path, "concurrency"], { min: 1, max: 10_000 });
  }
  if (given(s.kitchen)) roster.kitchen = readKitchen(r, s.kitchen);
  if (given(s.restaurant)) {
    const v = r.mapping(s.restaurant, ["services", "restaurant"], ["instances"]);
    roster.restaurant.instances = readInstances(r, v, ["services", "restaurant"], d.restaurant.instances);
  }
  for (const svc of ["tracking", "notification", "customer", "reporting"] as const) {
    if (!given(s[svc])) continue;
    const v = r.mapping(s[svc], ["services", svc], ["instances"]);
    roster[svc] = { instances: readInstances(r, v, ["services", svc], d[svc].instances) };
  }
  return roster;
}

function readKitchen(r: Reader, value: unknown, at: PathSeg[] = ["services", "kitchen"]): WorkerSpec[] {
  const raw = r.list(value, at, { min: 1, max: MAX_INSTANCES, of: "kitchen workers" });
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const path = [...at, i];
    const w = r.mapping(item, path, ["name", "types", "prefetch"], "a kitchen worker");
    const nameExpected = "a worker name of 1-64 letters, digits, _ or -";
    r.required(w.name, [...path, "name"], nameExpected);
    const name = r.string(w.name, [...path, "name"], nameExpected, INSTANCE_NAME_PATTERN);
    if (seen.has(name)) r.fail([...path, "name"], `a worker name not used before (${[...seen].join(", ")})`, name);
    seen.add(name);
    let orderTypes: OrderType[] = [...ORDER_TYPES];
    if (given(w.types)) {
      const types = r.list(w.types, [...path, "types"], { min: 1, max: ORDER_TYPES.length, of: "order types" });
      orderTypes = types.map((t, j) => {
        const type = r.oneOf(t, [...path, "types", j], ORDER_TYPES);
        if (types.indexOf(t) !== j) r.fail([...path, "types", j], "each order type at most once", t);
        return type;
      });
    }
    const spec: WorkerSpec = { name, orderTypes };
    if (given(w.prefetch)) spec.prefetch = r.integer(w.prefetch, [...path, "prefetch"], { min: 1, max: 1000 });
    return spec;
  });
}

// ---------------------------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------------------------

/** The limits under `expect:`, each read as its row in the threshold table says. */
function readExpect(r: Reader, value: unknown): Thresholds {
  const e = r.mapping(value, ["expect"], THRESHOLDS.map((t) => t.name));
  const out: Thresholds = {};
  for (const t of THRESHOLDS) if (given(e[t.name])) out[t.limitKey as ThresholdLimitKey] = THRESHOLD_UNITS[t.unit].parse(r, e[t.name], ["expect", t.name]);
  return out;
}

/** What `pizzeria up` runs: the default roster, no load of its own, a check of whatever happened at the end. */
export function upScenario(options: { timeScale: number; heartbeatIntervalMs: number; mode: RunMode; cluster: number; roster?: Roster; retention?: StreamRetention }): Scenario {
  return {
    file: "(up)",
    name: "up",
    description: "The system, running until Ctrl-C; orders come from you (curl, pizzeria run --nats ...).",
    seed: 0,
    durationMs: 0,
    timeScale: options.timeScale,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    mode: options.mode,
    cluster: options.cluster,
    load: [],
    orders: { types: { dine_in: 1 / 3, takeout: 1 / 3, delivery: 1 / 3 }, items: { min: 1, max: 3 }, invalid: 0 },
    roster: options.roster ?? UP_ROSTER,
    chaos: [],
    expect: { lost: 0, duplicated: 0, invalid: 0 },
    drainTimeoutMs: 15_000,
    retention: options.retention ?? { ...UP_RETENTION },
  };
}
