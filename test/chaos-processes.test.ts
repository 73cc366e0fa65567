import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, runCli } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";
import { runScenarioText } from "./helpers/scenario-run.js";
import { waitFor } from "./helpers/wait.js";

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe("faults on services running as their own processes", () => {
  it("SIGKILL, SIGSTOP/SIGCONT and SIGTERM of processes during load: nothing lost or duplicated", async () => {
    const report = await runScenarioText("chaos-processes", `mode: processes
cookTime: 80ms
heartbeatInterval: 300ms
load:
  - { duration: 6s, rate: 6 }
services:
  kitchen:
    - { name: chef_mario }
    - { name: chef_anna }
chaos:
  - { at: 1s, kill: kitchen/chef_mario, restartAfter: 1s }
  - { at: 2500ms, pause: kitchen/chef_anna, for: 1500ms }
  - { at: 4s, stop: order/1, restartAfter: 500ms }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 30s
`);
    expect(report.mode).toBe("processes");
    expect(report.verdict).toMatchObject({ valid: true, lost: 0, duplicated: 0, invalid: 0, drained: true });
    expect(report.faults.map((f) => [f.kind, f.target, f.error ?? null])).toEqual([
      ["kill", "kitchen/chef_mario", null],
      ["pause", "kitchen/chef_anna", null],
      ["stop", "order/order-1", null],
    ]);
    expect(report.faults.every((f) => f.endedAtMs !== null)).toBe(true);
    // The order API was down for half a second: some requests failed to connect, none was lost.
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
  });

  it("kills the ORDERS stream leader of a 3-node cluster mid-load and elects another: nothing lost or duplicated", async () => {
    const report = await runScenarioText("chaos-cluster", `cluster: 3
cookTime: 60ms
heartbeatInterval: 500ms
load:
  - { duration: 12s, rate: 5 }
chaos:
  - { at: 3s, kill: broker/leader, restartAfter: 4s }
expect: { lost: 0, duplicated: 0, invalid: 0 }
drainTimeout: 45s
`);
    expect(report.broker.kind).toBe("cluster");
    expect(report.broker.urls).toHaveLength(3);
    expect(report.verdict).toMatchObject({ valid: true, lost: 0, duplicated: 0, invalid: 0, drained: true });
    expect(report.faults[0]).toMatchObject({ kind: "kill", target: "broker/leader" });
    expect(report.faults[0].detail).toMatch(/node=broker\/[123]/);
    expect(report.faults[0].error).toBeUndefined();
  });

  it("leaves no orphan process when the harness itself is killed with SIGKILL", async () => {
    const dir = scratchDir("orphans");
    const file = join(dir, "long.yaml");
    writeFileSync(file, "name: long\nseed: 1\nmode: processes\ncookTime: 50ms\nload:\n  - { duration: 60s, rate: 2 }\n");
    const run = runCli(["run", file, "--no-tui", "--run-dir", join(dir, "run")]);
    await waitFor(() => /running\s+target/.test(run.stdout()), "the run to be under way", 60_000);
    const pid = run.child.pid!;
    const children = childrenOf(pid);
    // nats-server and the eight services, each its own process.
    expect(children.length).toBeGreaterThanOrEqual(9);
    expect(children.every(isAlive)).toBe(true);
    run.child.kill("SIGKILL");
    await run.exited;
    await waitFor(() => children.every((c) => !isAlive(c)), "every child to be reaped", 15_000);
    rmSync(dir, { recursive: true, force: true });
  });
});
