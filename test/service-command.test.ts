import { describe, expect, it } from "vitest";
import { serve } from "../src/commands/service.js";

// `pizzeria service` installs its SIGINT/SIGTERM handlers before the service starts: a supervisor
// that saw the "started" line may signal at once, and on a busy machine the process can still be
// between that line and the next microtask; with no handler yet, the signal's default action killed
// it (exit by signal instead of a graceful stop, seen under load in the CLI tests).
describe("serve: a service run until a signal", () => {
  it("stops gracefully, once up, a service that was signalled while it was starting", async () => {
    const listeners = process.listenerCount("SIGTERM");
    let up!: () => void;
    const starting = new Promise<void>((resolve) => (up = resolve));
    const calls: string[] = [];
    const served = serve(async () => {
      await starting;
      calls.push("started");
      return { stop: async () => void calls.push("stopped") };
    }, () => calls.push("after stop"));
    // The signal comes while start() is still under way: it is taken, not left to its default action.
    expect(process.emit("SIGTERM", "SIGTERM")).toBe(true);
    up();
    expect(await served).toBe(0);
    expect(calls).toEqual(["started", "stopped", "after stop"]);
    // Its handlers are gone once it has stopped.
    expect(process.listenerCount("SIGTERM")).toBe(listeners);
  });
});
