import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../src/sim/bench/results.js";
import { binaryVersion, natsServerCandidates } from "../src/sim/system/nats-binary.js";
import { runCli } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";

const dir = scratchDir("bench-compare");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two different releases on this machine: set-up keeps the distribution's own beside the current one. */
function twoReleases(): Array<{ file: string; version: string }> {
  const byVersion = new Map<string, string>();
  for (const file of natsServerCandidates()) {
    const version = binaryVersion(file);
    if (version && !byVersion.has(version)) byVersion.set(version, file);
  }
  return [...byVersion].slice(0, 2).map(([version, file]) => ({ file, version }));
}

describe("pizzeria bench on two brokers", () => {
  it("runs the same bench on each --nats-server, one result file per broker, both in one table", async () => {
    const servers = twoReleases();
    expect(servers.length, "set-up leaves two nats-server releases on the machine").toBe(2);
    const p = runCli([
      "bench", "pipeline", "--quick", "--mode", "inprocess", "--out-dir", dir, "--name", "cmp",
      "--nats-server", servers[0].file, "--nats-server", servers[1].file,
    ]);
    const { code } = await p.exited;
    expect(code, p.stderr()).toBe(0);
    const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    expect(files).toHaveLength(2);
    for (const s of servers) {
      const file = files.find((f) => f.endsWith(`-cmp-nats-${s.version.replace(/\./g, "-")}.json`));
      expect(file, `a result for ${s.version}`).toBeDefined();
      const result = JSON.parse(readFileSync(join(dir, file!), "utf8")) as BenchResult;
      expect(result.machine.natsServer).toContain(s.version);
      expect(result.pipeline[0].staircase?.verdictValid).toBe(true);
      expect(p.stdout()).toContain(`(nats-server ${result.machine.natsServer})`);
    }
  });

  it("refuses two --nats-server for a command that runs one broker", async () => {
    const p = runCli(["check", "scenarios/smoke.yaml", "--nats-server", "a", "--nats-server", "b"]);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain("--nats-server was given more than once; only `pizzeria bench` compares brokers");
  });
});
