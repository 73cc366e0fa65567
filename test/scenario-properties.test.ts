import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describeScenario } from "../src/commands/check.js";
import { isPrintable } from "../src/services/shared/printable.js";
import { parseScenario, ScenarioError, type Scenario } from "../src/sim/scenario/scenario.js";

/**
 * Whatever the text, the reader ends in a Scenario that can run or in a ScenarioError whose message
 * is one line, starts with the file and names a key path: never in any other exception. Seeds are
 * fixed so that a failure reproduces; fast-check prints the counterexample.
 */

const FILE = "fuzzed.yaml";
const SCENARIOS_DIR = fileURLToPath(new URL("../scenarios/", import.meta.url));
const SHIPPED = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith(".yaml")).sort().map((f) => readFileSync(join(SCENARIOS_DIR, f), "utf8"));

const PLAIN_KEY = String.raw`[A-Za-z0-9_-]+`;
const QUOTED_KEY = String.raw`"(?:[^"\\]|\\.)*"`;
const KEY = `(?:${PLAIN_KEY}|${QUOTED_KEY})`;
/** `load[1].rampTo`, `orders."a\nb"`, `[0]`, or one of the reader's markers. */
const KEY_PATH = new RegExp(String.raw`^(?:\((?:root|syntax|file)\)|(?:${KEY}|\[\d+\])(?:\.${KEY}|\[\d+\])*)$`);

function expectRunnable(s: Scenario): void {
  expect(s.file).toBe(FILE);
  expect(s.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(Number.isSafeInteger(s.seed) && s.seed >= 0).toBe(true);
  expect(s.load.length).toBeGreaterThan(0);
  const loadMs = s.load.reduce((sum, p) => sum + p.durationMs, 0);
  expect(s.durationMs).toBeGreaterThanOrEqual(loadMs);
  for (const p of s.load) expect(p.durationMs > 0 && p.rate >= 0 && p.rampTo >= 0).toBe(true);
  const weights = Object.values(s.orders.types);
  expect(weights.every((w) => w >= 0)).toBe(true);
  expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  expect(s.roster.kitchen.length).toBeGreaterThan(0);
  for (let i = 1; i < s.chaos.length; i++) expect(s.chaos[i].at).toBeGreaterThanOrEqual(s.chaos[i - 1].at);
  for (const step of s.chaos) expect(step.at).toBeLessThanOrEqual(s.durationMs);
  // `pizzeria check` prints this for every file it accepts.
  expect(typeof describeScenario(s)).toBe("string");
}

function expectWellFormedRefusal(err: unknown): void {
  if (!(err instanceof ScenarioError)) throw new Error(`expected a ScenarioError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
  expect(err.file).toBe(FILE);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
  expect(err.message).toBe(`${FILE}: ${err.path}: expected ${err.expected}, found ${err.found}`);
  expect(isPrintable(err.message), err.message).toBe(true); // one line, nothing that reorders or hides text
  expect(err.path).toMatch(KEY_PATH);
}

/** The property itself: parse, then check whichever way it ended. */
function readsOrRefusesCleanly(text: string): void {
  let scenario: Scenario;
  try {
    scenario = parseScenario(text, FILE);
  } catch (err) {
    expectWellFormedRefusal(err);
    return;
  }
  expectRunnable(scenario);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const KNOWN_KEYS = [
  "name", "description", "seed", "duration", "timeScale", "cookTime", "heartbeatInterval", "mode", "cluster", "load", "orders", "services",
  "chaos", "expect", "drainTimeout", "rate", "rampTo", "arrival", "types", "items", "min", "max", "invalid", "order", "payment", "kitchen",
  "tracking", "notification", "instances", "maxConcurrent", "failureRate", "latency", "concurrency", "prefetch", "at", "stop", "kill",
  "restart", "pause", "fault", "target", "for", "restartAfter", "factor", "count", "dine_in", "takeout", "delivery", "lost", "acceptP99",
];
const ODD_PIECES = ["\n", "\r\n", "\0", "\u202e", "\u202d", "\ufeff", "\u2028", "\u2029", "\u200b", "\u0085", "\x7f", "\t", " ", ".", '"', "'", ":", "#", "[", "]", "{", "&", "*", "\\", "💥", "\ud800", "\udfff", "__proto__", "toString", "<<"];

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 2 });
const oddText = fc.array(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.constantFrom(...ODD_PIECES), fc.string({ unit: "binary", maxLength: 4 }), loneSurrogates), { maxLength: 4 }).map((parts) => parts.join(""));
const key = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KNOWN_KEYS) }, { weight: 2, arbitrary: oddText });
const scalar = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("10s", "500ms", "2m", "0s", "-1s", "1h", "fast", "poisson", "constant", "inprocess", "processes", "broker", "broker/leader", "kitchen/chef_mario", "order/1", "payment", "dine_in", "chef_anna", ""),
  oddText,
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ maxDepth: 3, depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(key, tie("value"), { maxKeys: 5 })),
}));

/** Each key of a record of plausible values: usually plausible, sometimes anything, sometimes missing. */
const mostly = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 49, arbitrary: plausible }, { weight: 1, arbitrary: value });
const loosely = (shape: Record<string, fc.Arbitrary<unknown>>, requiredKeys: string[] = []) =>
  fc.tuple(fc.record(Object.fromEntries(Object.entries(shape).map(([k, arb]) => [k, mostly(arb)])), { requiredKeys }), fc.dictionary(key, value, { maxKeys: 1 }), fc.nat(19))
    .map(([known, strangers, withStrangers]) => (withStrangers === 0 ? { ...known, ...strangers } : known));
const duration = fc.constantFrom("1s", "250ms", "2s", 500);
const phase = loosely({ duration, rate: fc.integer({ min: 0, max: 50 }), rampTo: fc.integer({ min: 0, max: 50 }), arrival: fc.constantFrom("constant", "poisson") }, ["duration", "rate"]);
const worker = loosely({ name: fc.constantFrom("chef_a", "chef_b", "chef_c"), types: fc.subarray(["dine_in", "takeout", "delivery"], { minLength: 1 }), prefetch: fc.integer({ min: 1, max: 4 }) }, ["name"]);
const step = loosely({ at: duration, stop: fc.constantFrom("broker", "kitchen/chef_a", "order/1"), restartAfter: duration, fault: fc.constantFrom("latency", "poison", "slow_kitchen", "payment_outage"), target: fc.constantFrom("order/1", "payment", "kitchen/chef_b"), for: duration, factor: fc.integer({ min: 1, max: 5 }), latency: duration });

/** A scenario-shaped mapping: the top-level keys with plausible or random values, now and then a stranger. */
const scenarioLike = fc.tuple(
  fc.record({ name: mostly(fc.constantFrom("t", "fuzz-1")), seed: mostly(fc.nat()), load: mostly(fc.array(phase, { minLength: 1, maxLength: 3 })) }),
  loosely({
    duration: fc.constantFrom("10s", "1m"),
    timeScale: fc.constantFrom(1, 20, 0.5),
    cookTime: duration,
    mode: fc.constantFrom("inprocess", "processes"),
    cluster: fc.constantFrom(1, 3),
    orders: loosely({ types: loosely({ dine_in: fc.nat(3), takeout: fc.nat(3), delivery: fc.nat(3) }), items: loosely({ min: fc.nat(5), max: fc.nat(25) }), invalid: fc.double({ min: 0, max: 1 }) }),
    services: loosely({ kitchen: fc.array(worker, { minLength: 1, maxLength: 3 }), payment: loosely({ instances: fc.nat(3), failureRate: fc.double({ min: 0, max: 1 }) }), order: loosely({ instances: fc.nat(3) }) }),
    chaos: fc.array(step, { maxLength: 3 }),
    expect: loosely({ lost: fc.nat(2), acceptP99: duration, errorRate: fc.double({ min: 0, max: 1 }) }),
  }),
).map(([required, rest]) => ({ ...required, ...rest }));

interface Mutation {
  pick: number;
  op: "replace" | "delete" | "add" | "share";
  key: string;
  value: unknown;
  other: number;
}

/** Every object or array node of a parsed file, parents first. */
function containers(root: unknown): Array<Record<string, unknown> | unknown[]> {
  const out: Array<Record<string, unknown> | unknown[]> = [];
  const walk = (v: unknown) => {
    if (!v || typeof v !== "object" || out.includes(v as never)) return;
    out.push(v as never);
    for (const child of Object.values(v)) walk(child);
  };
  walk(root);
  return out;
}

/** A shipped scenario with a few changes at random places; "share" puts one node in two places, which YAML writes as an anchor and an alias. */
const PARSED_SHIPPED = new Map(SHIPPED.map((text) => [text, parseYaml(text) as Record<string, unknown>]));
function mutate(text: string, mutations: Mutation[]): string {
  const root = structuredClone(PARSED_SHIPPED.get(text)!);
  for (const m of mutations) {
    const nodes = containers(root);
    const node = nodes[m.pick % nodes.length] as Record<string, unknown>;
    const keys = Object.keys(node);
    const at = Array.isArray(node) ? String(m.pick % Math.max(1, node.length)) : (keys[m.pick % Math.max(1, keys.length)] ?? m.key);
    if (m.op === "replace") node[at] = m.value;
    else if (m.op === "delete") delete node[at];
    else if (m.op === "add") node[Array.isArray(node) ? String(node.length) : m.key] = m.value;
    else node[at] = nodes[m.other % nodes.length];
  }
  return stringifyYaml(root);
}
const mutation = fc.record({ pick: fc.nat(), op: fc.constantFrom("replace", "delete", "add", "share"), key, value, other: fc.nat() }) as fc.Arbitrary<Mutation>;
const mutatedScenario = fc.tuple(fc.constantFrom(...SHIPPED), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([text, ms]) => mutate(text, ms));

/** Edits of the raw text: the YAML itself broken, anchors and aliases, tags and directives spliced in. */
const SNIPPETS = ["*a", "&a ", "*nope", ": ", "- ", "{", "}", "[", "]", ",", "\n", "\n  ", "  ", "? ", "|", ">", "#", "'", '"', "~", "null", ".nan", "-.inf", "1e999", "-1", "0x1F", "!!set ", "!!timestamp ", "!!binary ", "!!omap ", "!!str ", "!!int ", "!foo ", "<<: *a", "%YAML 1.1\n---\n", "---\n", "...\n", "\t", "\0", "\ufeff", "\u202e", "\u2028", "\ud800"];
const textEdit = fc.record({ pos: fc.nat(), del: fc.nat({ max: 12 }), ins: fc.oneof(fc.constantFrom(...SNIPPETS), oddText) });
const editedText = fc.tuple(fc.constantFrom(...SHIPPED), fc.array(textEdit, { minLength: 1, maxLength: 4 })).map(([text, edits]) =>
  edits.reduce((t, e) => {
    const at = e.pos % (t.length + 1);
    return t.slice(0, at) + e.ins + t.slice(at + e.del);
  }, text),
);

/**
 * A shipped scenario with anchors and aliases on its top-level scalar lines: an alias to an anchor
 * set earlier (often still runnable), later, on the same line, nowhere, or to an alias bomb of
 * random width and depth (past 1000 expansions the library refuses it).
 */
const SCALAR_LINE = /^(seed|name|description|duration|timeScale|cookTime|heartbeatInterval|mode|cluster|drainTimeout):\s*(.*)$/;
const aliased = fc.record({
  base: fc.constantFrom(...SHIPPED),
  kind: fc.constantFrom("alias", "missing", "bomb"),
  anchorAt: fc.nat(),
  aliasAt: fc.nat(),
  width: fc.integer({ min: 1, max: 12 }),
  depth: fc.integer({ min: 1, max: 4 }),
}).map(({ base, kind, anchorAt, aliasAt, width, depth }) => {
  const lines = base.split("\n");
  const scalarLines = lines.flatMap((line, i) => (SCALAR_LINE.test(line) ? [i] : []));
  const set = (at: number, value: (old: string) => string) => {
    const i = scalarLines[at % scalarLines.length];
    const [, key, old] = SCALAR_LINE.exec(lines[i])!;
    lines[i] = `${key}: ${value(old)}`;
  };
  if (kind === "missing") set(aliasAt, () => "*nope");
  else if (kind === "alias") {
    set(anchorAt, (old) => `&a ${old}`);
    set(aliasAt, () => "*a");
  } else {
    const levels = [`&l0 [${Array.from({ length: width }, () => "x").join(", ")}]`];
    for (let i = 1; i <= depth; i++) levels.push(`&l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(", ")}]`);
    set(anchorAt, () => `[${levels.join(", ")}]`);
    set(aliasAt, () => `*l${depth}`);
  }
  return lines.join("\n");
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe("scenario reader properties: a runnable Scenario or a one-line ScenarioError naming a key path", () => {
  it("holds for the shipped scenarios as they are", () => {
    for (const text of SHIPPED) readsOrRefusesCleanly(text);
  });

  it("holds for random mappings with odd keys, random values and nesting", () => {
    fc.assert(fc.property(scenarioLike, (doc) => readsOrRefusesCleanly(stringifyYaml(doc))), { seed: 42, numRuns: 250 });
  });

  it("holds for shipped scenarios with values replaced, deleted, added or shared (anchors and aliases)", () => {
    fc.assert(fc.property(mutatedScenario, readsOrRefusesCleanly), { seed: 42, numRuns: 250 });
  });

  it("holds for shipped scenarios with their text cut and spliced", () => {
    fc.assert(fc.property(editedText, readsOrRefusesCleanly), { seed: 42, numRuns: 300 });
  });

  it("holds for aliases to anchors set earlier, later or nowhere, and for alias bombs", () => {
    fc.assert(fc.property(aliased, readsOrRefusesCleanly), { seed: 42, numRuns: 200 });
  });
});
