import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TimelineFile } from "../src/sim/telemetry/timeline-file.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

describe("TimelineFile", () => {
  it("writes one JSON line per entry, a spliced-in body as it came", async () => {
    const file = join(scratchDir("timeline"), "timeline.ndjson");
    const timeline = new TimelineFile(file);
    timeline.write("tick", { n: 1 });
    timeline.writeJson("order_event", '{"seq":2,"event":{"kind":"placed"}}');
    await timeline.end();
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.data])).toEqual([["tick", { n: 1 }], ["order_event", { seq: 2, event: { kind: "placed" } }]]);
    expect(lines.every((l) => typeof l.t === "number")).toBe(true);
  });

  it("says once that it cannot write, and the run goes on: no throw, no crash", async () => {
    const errors: string[] = [];
    const timeline = new TimelineFile(join(scratchDir("timeline"), "no-such-dir", "timeline.ndjson"), (err) => errors.push(err.message));
    timeline.write("tick", { n: 1 });
    await waitFor(() => errors.length > 0, "the error to be reported");
    timeline.write("tick", { n: 2 });
    timeline.flush();
    await timeline.end();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ENOENT/);
  });
});
