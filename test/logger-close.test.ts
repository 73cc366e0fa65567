import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogFile } from "../src/services/shared/log-file.js";
import { createLogger } from "../src/services/shared/logger.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

describe("a service's log once closed", () => {
  it("drops the lines of work still in flight after an abort instead of throwing into it", async () => {
    const dir = scratchDir("logger-close");
    const file = join(dir, "svc.log");
    const { log, close } = createLogger({ service: "customer", instance: "customer-1", file });
    log.info({ action: "before_close" }, "kept");
    // Open (the file is opened asynchronously) and then closed, as a service that ran a while.
    await waitFor(() => existsSync(file), "the log file open");
    void close();
    expect(() => log.warn({ action: "after_close" }, "dropped")).not.toThrow();
    const text = await waitFor(() => (readFileSync(file, "utf8").includes("before_close") ? readFileSync(file, "utf8") : null), "the line before the close written");
    expect(text).not.toContain("after_close");
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends, when a write is under way, once that write and the lines gathered behind it are in the file", async () => {
    const dir = scratchDir("logger-end");
    const path = join(dir, "svc.log");
    const file = new LogFile(path, { minLength: 16, flushAfterMs: 60_000 });
    file.write(`${"x".repeat(64)}\n`); // past minLength: an asynchronous write is now under way
    file.write("the last line\n"); // gathered behind it
    await file.end();
    expect(readFileSync(path, "utf8")).toBe(`${"x".repeat(64)}\nthe last line\n`);
    expect(file.write("after the end\n")).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
