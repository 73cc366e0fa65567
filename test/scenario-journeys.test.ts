import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { OrderGenerator } from "../src/sim/load/order-generator.js";
import { loadScenario, parseScenario, ScenarioError } from "../src/sim/scenario/scenario.js";
import { describeScenario } from "../src/commands/check.js";

const BASE = `name: journeys
seed: 19
load:
  - { duration: 4s, rate: 5 }
orders:
  restaurants: { main: 1, napoli: 1 }
restaurants:
  - { id: main, kitchen: [{ name: chef_mario }] }
  - { id: napoli, kitchen: [{ name: chef_sofia }] }
`;

const ISSUE_SHAPE = `${BASE}journeys:
  - name: hungry
    weight: 0.6
    steps:
      - browse
      - signup
      - { add: { items: { min: 1, max: 4 } } }
      - { think: 2s }
      - { checkout: { order_type: { dine_in: 0.3, takeout: 0.4, delivery: 0.3 } } }
      - { track: subscribe }
  - name: window-shopper
    weight: 0.4
    steps: [browse, signup, { add: { items: 2 } }, { think: 3s }, abandon]
`;

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, "bad.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error("parsed without an error");
}

/** A scenario whose only journey has these steps (YAML flow list). */
const withSteps = (steps: string, weight = 1) => `${BASE}journeys:\n  - { name: j, weight: ${weight}, steps: ${steps} }\n`;

describe("the journeys: key", () => {
  it("reads the issue's shape: weighted journeys, each step with its figures", () => {
    const s = parseScenario(ISSUE_SHAPE, "j.yaml");
    expect(s.journeys).toEqual([
      {
        name: "hungry",
        weight: 0.6,
        steps: [
          { kind: "browse" },
          { kind: "signup" },
          { kind: "add", items: { min: 1, max: 4 } },
          { kind: "think", ms: { min: 2000, max: 2000 } },
          { kind: "checkout", orderTypes: { dine_in: 0.3, takeout: 0.4, delivery: 0.3 } },
          { kind: "track", mode: "subscribe" },
        ],
      },
      { name: "window-shopper", weight: 0.4, steps: [{ kind: "browse" }, { kind: "signup" }, { kind: "add", items: { min: 2, max: 2 } }, { kind: "think", ms: { min: 3000, max: 3000 } }, { kind: "abandon" }] },
    ]);
    const more = parseScenario(withSteps("[browse, login, { add: { items: 3 } }, { remove: { items: 2 } }, { think: { min: 1s, max: 5s } }, checkout, { track: poll }]"), "j.yaml");
    expect(more.journeys![0].steps).toEqual([
      { kind: "browse" },
      { kind: "login" },
      { kind: "add", items: { min: 3, max: 3 } },
      { kind: "remove", items: 2 },
      { kind: "think", ms: { min: 1000, max: 5000 } },
      { kind: "checkout", orderTypes: null },
      { kind: "track", mode: "poll" },
    ]);
  });

  it("is refused with the file, the key path, what was expected and what was found", () => {
    const cases: Array<[string, string, RegExp, RegExp]> = [
      [withSteps("[browse, signup, dance]"), "journeys[0].steps[2]", /one of browse, signup, login, add, remove, think, checkout, track, abandon/, /unknown step "dance"/],
      [withSteps("[browse, signup, { fly: 1 }]"), "journeys[0].steps[2]", /a step/, /unknown step "fly"/],
      [withSteps("[browse, signup, { add: { items: 1 } }, checkout]", 0.7), "journeys", /journey weights that add up to 1/, /weights 0.7 = 0.7/],
      [withSteps("[browse, signup, { think: -2s }, { add: { items: 1 } }, checkout]"), "journeys[0].steps[2].think", /a think time of 0 or more/, /a negative think time "-2s"/],
      [withSteps("[browse, signup, { think: { min: 3s, max: 1s } }]"), "journeys[0].steps[2].think.max", /at least the min \(3s\)/, /1s/],
      [withSteps("[signup, { add: { items: 2 } }, checkout]"), "journeys[0].steps[1]", /a browse step before the first add/, /add with no restaurant chosen before it/],
      [withSteps("[browse, { add: { items: 2 } }, checkout]"), "journeys[0].steps[1]", /a signup or login step before the first add/, /add with no customer/],
      [withSteps("[browse, signup, { add: { items: 2 } }, track, checkout]"), "journeys[0].steps[3]", /a checkout before track/, /track with no checkout/],
      [withSteps("[browse, signup, { add: { items: 1 } }, abandon, checkout]"), "journeys[0].steps[4]", /nothing after abandon/, /checkout after abandon/],
      [withSteps("[browse, signup, { add: { items: { min: 1, max: 3 } } }, { remove: { items: 2 } }, checkout]"), "journeys[0].steps[3]", /at most the 1 line surely in the cart/, /remove of 2/],
      [withSteps("[browse, signup, { add: { items: 2 } }, { think: 1s }]"), "journeys[0].steps[3]", /a checkout or an abandon once items are in the cart/, /ends with think/],
      [withSteps("[browse, signup, { add: { items: 2 } }, { checkout: { order_type: { dine_in: 0.5 } } }]"), "journeys[0].steps[3].checkout.order_type", /order type shares that add up to 1/, /0.5/],
      [withSteps("[browse, signup, add, checkout]"), "journeys[0].steps[2]", /add with its items/, /"add"/],
      [withSteps("[browse, signup, { add: { items: 21 } }, checkout]"), "journeys[0].steps[2].add.items", /an integer from 1 to 20/, /21/],
      [withSteps("[browse, signup, { add: { items: 1 } }, { track: watch }]"), "journeys[0].steps[3].track", /one of subscribe, poll/, /watch/],
      [`${BASE}journeys:\n  - { name: j, weight: 1, steps: [browse], speed: 2 }\n`, "journeys[0].speed", /one of the keys name, weight, steps/, /unknown key "speed"/],
      [`${BASE}journeys:\n  - { name: j, weight: 0.5, steps: [browse] }\n  - { name: j, weight: 0.5, steps: [browse] }\n`, "journeys[1].name", /a journey name not used before/, /"j"/],
      [`${withSteps("[browse]")}`.replace("restaurants: { main: 1, napoli: 1 }", "restaurants: { main: 1, napoli: 1 }\n  invalid: 0.1"), "orders.invalid", /no invalid share with journeys/, /0.1/],
    ];
    for (const [text, path, expected, found] of cases) {
      const err = errorOf(text);
      expect(err.message, text).toContain(`bad.yaml`);
      expect(err.message, text).toContain(`${path}: expected`);
      expect(err.message, err.message).toMatch(expected);
      expect(err.message.split(", found ").at(-1), err.message).toMatch(found);
    }
  });

  it("makes pizzeria check and run exit 2 before anything starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pizzeria-journeys-"));
    try {
      const file = join(dir, "bad.yaml");
      writeFileSync(file, withSteps("[browse, signup, { add: { items: 2 } }, checkout]", 0.9));
      for (const args of [["check", file], ["run", file, "--no-tui"]]) {
        const cli = runCli(args);
        expect((await cli.exited).code).toBe(2);
        expect(cli.stderr()).toContain(`${file}: journeys: expected journey weights that add up to 1, found weights 0.9 = 0.9`);
        expect(cli.stdout()).not.toContain("pizzeria run");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("draws the same journeys, steps, items and pauses from the same seed, others from another", () => {
    const s = parseScenario(ISSUE_SHAPE, "j.yaml");
    const draw = (scenario: typeof s) => new OrderGenerator(scenario).take(40).map((p) => p.journey!);
    const a = draw(s);
    expect(draw(s)).toEqual(a);
    expect(draw({ ...s, seed: 20 })).not.toEqual(a);
    // Both journeys appear, each as its steps say: the hungry ones add 1-4 lines and check out; the window-shoppers abandon 2.
    const kinds = new Set(a.map((j) => j.kind));
    expect(kinds).toEqual(new Set(["hungry", "window-shopper"]));
    for (const j of a) {
      const browse = j.steps[0];
      expect(browse.kind).toBe("browse");
      expect(["main", "napoli"]).toContain(browse.kind === "browse" ? browse.restaurantId : null);
      const add = j.steps.find((x) => x.kind === "add")!;
      const lines = add.kind === "add" ? add.lines.length : 0;
      if (j.kind === "hungry") {
        expect(lines).toBeGreaterThanOrEqual(1);
        expect(lines).toBeLessThanOrEqual(4);
        expect(j.steps.map((x) => x.kind)).toEqual(["browse", "signup", "add", "think", "checkout", "track"]);
      } else {
        expect(lines).toBe(2);
        expect(j.steps.at(-1)).toEqual({ kind: "abandon" });
      }
    }
    // A planned journey's request carries its checkout's key and body (none for a journey that abandons).
    const generated = new OrderGenerator(s).take(10);
    for (const p of generated) {
      const checkout = p.journey!.steps.find((x) => x.kind === "checkout");
      expect(p.requestId).toBe(checkout?.kind === "checkout" ? checkout.key : p.journey!.id);
    }
    // Journeys do not disturb each other's draws: the 5th journey is the same whether or not 40 were drawn before.
    expect(new OrderGenerator(s).take(5)[4].journey).toEqual(a[4]);
  });

  it("ships friday-night and journeys-chaos, and pizzeria check describes their journeys", () => {
    for (const file of ["scenarios/friday-night.yaml", "scenarios/journeys-chaos.yaml"]) {
      const s = loadScenario(file);
      expect(s.journeys!.length).toBeGreaterThanOrEqual(3);
      expect(s.journeys!.some((j) => j.steps.some((x) => x.kind === "abandon"))).toBe(true);
      expect(s.journeys!.some((j) => j.steps.some((x) => x.kind === "track" && x.mode === "subscribe"))).toBe(true);
      const text = describeScenario(s);
      expect(text).toMatch(/^journeys$/m);
      expect(text).toMatch(/window-shopper \d+(\.\d+)?%: browse > signup > add/);
      expect(text).toMatch(/track by subscription/);
    }
    expect(loadScenario("scenarios/friday-night.yaml").roster.restaurant.restaurants).toHaveLength(3);
    expect(loadScenario("scenarios/journeys-chaos.yaml").chaos.length).toBeGreaterThanOrEqual(2);
  });
});
