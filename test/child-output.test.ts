import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureChildOutput } from "../src/sim/system/child-output.js";
import { startBroker } from "../src/sim/system/broker.js";

const dir = mkdtempSync(join(tmpdir(), "pizzeria-child-output-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a child's output copied into a file", () => {
  it("keeps what arrives after the child's exit event (a grandchild still holding the pipe), with no write after end", async () => {
    const file = join(dir, "late.log");
    // The shell exits at once; the background subshell inherits its stdout and writes later.
    const child = spawn("sh", ["-c", "(sleep 0.3; echo late) & echo early"], { stdio: ["ignore", "pipe", "pipe"] });
    const seen: string[] = [];
    child.once("exit", () => seen.push("exit"));
    child.stdout!.on("data", (c: Buffer) => seen.push(c.toString().trim()));
    const output = captureChildOutput(child, file);
    await output.done;
    // The condition that broke CI really happened: data came after 'exit'.
    expect(seen.indexOf("exit")).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf("late")).toBeGreaterThan(seen.indexOf("exit"));
    expect(readFileSync(file, "utf8")).toBe("early\nlate\n");
    expect(output.recent()).toBe("early\nlate\n");
  });

  it("a broker's log file holds its last lines once stop() returns", async () => {
    const logFile = join(dir, "nats.log");
    const broker = await startBroker({ logFile });
    await broker.stop();
    const text = readFileSync(logFile, "utf8");
    expect(text).toMatch(/Server is ready/);
    expect(text).toMatch(/Server Exiting|Exiting/i);
  });
});
