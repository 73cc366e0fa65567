import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { Header } from "../../src/tui/components/Header.js";
import { stripAnsi } from "../../src/tui/format.js";
import { START, tick } from "./fixtures.js";

describe("Header", () => {
  it("shows progress through a scenario's phases", () => {
    const { lastFrame } = render(<Header title="pizzeria" start={START} tick={tick(5)} state="running" width={100} />);
    const frame = stripAnsi(lastFrame() ?? "");
    expect(frame).toMatch(/00:05\/\d\d:\d\d [█┃│░]+ phase/);
  });

  it("for `up` (no scripted load) shows the time elapsed and where to send orders instead", () => {
    const up = {
      ...START,
      scenario: { ...START.scenario, name: "up", durationMs: 0, phases: [] },
      plannedOrders: 0,
      endpoints: { order: ["http://127.0.0.1:3000"], tracking: ["http://127.0.0.1:3002"] },
    };
    const { lastFrame } = render(<Header title="pizzeria" start={up} tick={tick(7)} state="running" width={100} />);
    const frame = stripAnsi(lastFrame() ?? "");
    expect(frame).toContain("00:07 elapsed  order http://127.0.0.1:3000/orders  tracking http://127.0.0.1:3002");
    expect(frame).not.toMatch(/[█░]/);
  });

  it("names the broker's nats-server version when the run knows it", () => {
    const start = { ...START, broker: { ...START.broker, version: "2.15.1" } };
    const { lastFrame } = render(<Header title="pizzeria" start={start} tick={tick(5)} state="running" width={120} />);
    expect(stripAnsi(lastFrame() ?? "")).toContain("broker local nats://127.0.0.1:4222 (nats-server 2.15.1)");
  });
});
