import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/services/shared/errors.js";
import { parseScenario, ScenarioError } from "../src/sim/scenario/scenario.js";

/** What a fuzzer found: YAML the library parses but cannot convert, and keys or values that would break or spoof the one-line message. */

const MINIMAL = "name: tiny\nseed: 1\nload:\n  - { duration: 10s, rate: 5 }\n";
const FILE = "odd.yaml";

function errorOf(text: string): ScenarioError {
  let caught: unknown;
  try {
    parseScenario(text, FILE);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ScenarioError);
  expect(caught).toBeInstanceOf(ConfigError);
  const e = caught as ScenarioError;
  expect(e.message).toBe(`${FILE}: ${e.path}: expected ${e.expected}, found ${e.found}`);
  expect(e.message).not.toMatch(/[\n\r\u0000\u2028\u2029\u202e\ufeff]/);
  return e;
}

const tenOf = (alias: string) => `[${Array.from({ length: 10 }, () => alias).join(", ")}]`;

describe("parseScenario: aliases the yaml library cannot resolve", () => {
  it("names the key, the line and the missing anchor for an alias without an anchor", () => {
    const e = errorOf("name: t\nseed: *nope\nload:\n  - { duration: 1s, rate: 1 }\n");
    expect(e).toMatchObject({ path: "seed", expected: "an alias to an anchor set earlier in the file", found: "*nope with no &nope before it at line 2:7", line: 2, column: 7 });
  });

  it("refuses an alias whose anchor comes later in the file", () => {
    const e = errorOf("name: t\nseed: *s\nload:\n  - { duration: 1s, rate: *r }\ndescription: &s x\n");
    expect(e).toMatchObject({ path: "seed", found: "*s with no &s before it at line 2:7", line: 2 });
  });

  it("points into lists and at an alias used as a key", () => {
    expect(errorOf("name: t\nseed: 1\nload:\n  - { duration: 1s, rate: *gone }\n")).toMatchObject({ path: "load[0].rate", line: 4 });
    expect(errorOf(`${MINIMAL}*nokey : 3\n`)).toMatchObject({ path: '"*nokey"', found: "*nokey with no &nokey before it at line 5:1" });
  });

  it("refuses an alias bomb (three levels of ten) with the key that expands it", () => {
    const bomb = `${MINIMAL}orders:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b ${tenOf("*a")}\n  c: &c ${tenOf("*b")}\n  d: ${tenOf("*c")}\n`;
    const e = errorOf(bomb);
    expect(e).toMatchObject({ path: "orders.d", expected: "aliases that expand to at most 1000 nodes in all", line: 9 });
    expect(e.found).toMatch(/^more .* at line 9:6$/);
  });

  it("wraps the library's other conversion errors (a YAML 1.1 merge of a scalar) with the key and line", () => {
    const e = errorOf(`%YAML 1.1\n---\n${MINIMAL}description: &d text\norders: { <<: *d }\n`);
    expect(e).toMatchObject({ path: "orders", expected: "a value YAML can convert", line: 8 });
    expect(e.found).toMatch(/^Merge sources must be maps .* at line 8:9$/);
  });

  it("keeps aliases that resolve working as before", () => {
    const s = parseScenario("name: t\nseed: &n 3\nload:\n  - { duration: 1s, rate: *n }\n", FILE);
    expect(s.load[0].rate).toBe(3);
  });
});

describe("parseScenario: keys and values that would break or spoof the message", () => {
  it.each([
    ["a newline", '"a\\nb": 1', '"a\\nb"'],
    ["a NUL", '"a\\0b": 1', '"a\\u0000b"'],
    ["a right-to-left override", '"\\u202eseed": 1', '"\\u202eseed"'],
    ["a BOM", '"\\ufeffname": 1', '"\\ufeffname"'],
    ["a line separator", '"x\\Ly": 1', '"x\\u2028y"'],
    ["a zero-width space", '"na\\u200bme": 1', '"na\\u200bme"'],
    ["a dot (which would read as a deeper path)", '"orders.types": 1', '"orders.types"'],
    ["nothing at all", '"": 1', '""'],
  ])("shows a key with %s escaped in the path and in what was found", (_what, line, shown) => {
    const e = errorOf(`${MINIMAL}${line}\n`);
    expect(e.path).toBe(shown);
    expect(e.found).toBe(`unknown key ${shown}`);
    expect(e.line).toBe(5);
  });

  it("escapes an odd key deep in a path", () => {
    expect(errorOf(`${MINIMAL}orders:\n  types: { "dine_in\\r\\n": 1 }\n`).path).toBe('orders.types."dine_in\\r\\n"');
    expect(errorOf(`${MINIMAL}services:\n  kitchen:\n    - { name: a, "\\u202etypes": [] }\n`).path).toBe('services.kitchen[0]."\\u202etypes"');
  });

  it("escapes a found value with control, format and separator characters", () => {
    const e = errorOf('name: "a\\u202eb\\nc\\u0085\\u2029"\nseed: 1\n');
    expect(e).toMatchObject({ path: "name", found: '"a\\u202eb\\nc\\u0085\\u2029"' });
    const list = errorOf(`${MINIMAL}orders: ["\\ufeff", "\\x7f"]\n`);
    expect(list.found).toBe('["\\ufeff","\\u007f"]');
  });

  it("escapes a key containing a lone surrogate and a tag character", () => {
    const e = errorOf(`${MINIMAL}"\\ud800x\\U000E0041": 1\n`);
    expect(e.path).toBe('"\\ud800x\\udb40\\udc41"');
  });

  it("escapes the file name in the message when it holds such characters", () => {
    let caught: unknown;
    try {
      parseScenario("name: t\n", "odd\nname\u202e.yaml");
    } catch (err) {
      caught = err;
    }
    expect((caught as ScenarioError).file).toBe("odd\nname\u202e.yaml");
    expect((caught as ScenarioError).message).toMatch(/^odd\\nname\\u202e\.yaml: seed: /);
  });
});

describe("parseScenario: values the yaml library makes from tags", () => {
  it.each([
    ["!!timestamp 2001-12-14", "a !!timestamp"],
    ["!!set { a, b }", "a !!set"],
    ["!!omap [ { types: 1 } ]", "a !!omap or !!pairs"],
    ["!!binary aGVsbG8=", "!!binary data"],
  ])("refuses `orders: %s` where a mapping belongs, instead of reading it as an empty one", (value, found) => {
    expect(errorOf(`${MINIMAL}orders: ${value}\n`)).toMatchObject({ path: "orders", expected: "a mapping with keys types, items, invalid, restaurants, viaCart", found });
  });

  it("shows a value that refers to itself without throwing", () => {
    const e = errorOf(`${MINIMAL}orders: &o { types: { dine_in: 1 }, items: { min: 1, max: 2 }, invalid: *o }\n`);
    expect(e).toMatchObject({ path: "orders.invalid", found: "a mapping that refers to itself or is nested too deeply to show" });
    // String() of this one throws (its toString is 1): the fallback must not call it.
    const withToString = errorOf(`${MINIMAL}orders: { invalid: &i { toString: 1, self: *i } }\n`);
    expect(withToString).toMatchObject({ path: "orders.invalid", found: "a mapping that refers to itself or is nested too deeply to show" });
  });
});
