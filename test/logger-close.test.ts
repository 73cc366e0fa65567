import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
    close();
    expect(() => log.warn({ action: "after_close" }, "dropped")).not.toThrow();
    const text = await waitFor(() => (readFileSync(file, "utf8").includes("before_close") ? readFileSync(file, "utf8") : null), "the line before the close written");
    expect(text).not.toContain("after_close");
    rmSync(dir, { recursive: true, force: true });
  });
});
