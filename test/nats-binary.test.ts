import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { NatsServerNotFoundError } from "../src/services/shared/errors.js";
import { atLeast, binaryVersion, compareVersions, findNatsServer, natsServerCandidates, parseVersion } from "../src/sim/system/nats-binary.js";
import { startTestBroker } from "./helpers/nats.js";

const dir = mkdtempSync(join(tmpdir(), "pizzeria-nats-binary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in binary that answers `--version` the way nats-server does (only --version: it is never started). */
function fakeServer(version: string): string {
  const folder = join(dir, version);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, "nats-server");
  writeFileSync(file, `#!/bin/sh\necho "nats-server: v${version}"\n`);
  chmodSync(file, 0o755);
  return file;
}

const saved = { explicit: process.env.PIZZERIA_NATS_SERVER, path: process.env.PATH };
afterEach(() => {
  if (saved.explicit === undefined) delete process.env.PIZZERIA_NATS_SERVER;
  else process.env.PIZZERIA_NATS_SERVER = saved.explicit;
  process.env.PATH = saved.path;
});

describe("which nats-server the harness starts", () => {
  it("reads versions and orders them as releases, not as text", () => {
    expect(parseVersion("nats-server: v2.10.27")).toEqual([2, 10, 27]);
    expect(parseVersion("2.15.1-RC.1")).toEqual([2, 15, 1]);
    expect(parseVersion("unknown")).toBeNull();
    expect(compareVersions("2.9.10", "2.10.0")).toBeLessThan(0);
    expect(compareVersions("2.15.1", "2.10.27")).toBeGreaterThan(0);
    expect(atLeast("2.10.0", "2.10.0")).toBe(true);
    expect(atLeast("2.9.25", "2.10.0")).toBe(false);
    expect(atLeast("unknown", "2.9.0")).toBe(false);
  });

  it("takes the newest release it finds on PATH", () => {
    delete process.env.PIZZERIA_NATS_SERVER;
    const old = fakeServer("2.9.10");
    const newest = fakeServer("2.99.1");
    process.env.PATH = [join(dir, "2.9.10"), join(dir, "2.99.1"), saved.path].join(":");
    expect(natsServerCandidates()).toEqual(expect.arrayContaining([old, newest]));
    expect(findNatsServer()).toBe(newest);
  });

  it("uses PIZZERIA_NATS_SERVER as it is, even an older supported one", () => {
    const old = fakeServer("2.9.11");
    process.env.PIZZERIA_NATS_SERVER = old;
    expect(findNatsServer()).toBe(old);
    expect(binaryVersion(old)).toBe("2.9.11");
  });

  it("refuses a server older than 2.9 with the reason, and a path that is not a binary with the install hint", () => {
    process.env.PIZZERIA_NATS_SERVER = fakeServer("2.8.4");
    expect(() => findNatsServer()).toThrow(NatsServerNotFoundError);
    expect(() => findNatsServer()).toThrow(/is nats-server 2\.8\.4, older than the oldest the harness runs on \(2\.9\.0; supported: 2\.10\.0 and newer\)/);
    process.env.PIZZERIA_NATS_SERVER = join(dir, "nothing-here");
    expect(() => findNatsServer()).toThrow(/is not an executable file\. nats-server is not installed/);
  });

  it("a started broker says which binary and which version it is (from /varz)", async () => {
    const broker = await startTestBroker();
    try {
      expect(broker.binary).toBe(findNatsServer());
      expect(broker.version).toBe(binaryVersion(broker.binary));
      expect(atLeast(broker.version, "2.9.0")).toBe(true);
    } finally {
      await broker.cleanup();
    }
  });
});
