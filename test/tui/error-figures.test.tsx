import { render } from "ink-testing-library";
import { describe, expect, test } from "vitest";
import { emptyCauseCounts } from "../../src/sim/load/error-causes.js";
import { ColorContext } from "../../src/tui/color-context.js";
import { Latency } from "../../src/tui/components/Latency.js";
import { Throughput } from "../../src/tui/components/Throughput.js";
import { latency, tick } from "./fixtures.js";
import { flush, lineWith } from "./frame.js";

// The dashboard shows what failed and how long it took: errors by cause beside the count, and
// the latency of every answer, of 201s alone, and the time to failure.
describe("error figures on the dashboard", () => {
  const t = tick(12);
  const stalled = {
    ...t,
    totals: { ...t.totals, errors: 101, errorCauses: { ...emptyCauseCounts(), refused: 98, timedOut: 3 } },
    latency: { accept: latency(5, 1_500, 1_950, 2_001), accept201: latency(5, 900, 1_200, 1_300), failed: latency(1_000, 2_000, 2_010, 2_020), endToEnd: latency(1_100, 1_900, 2_300, 2_800) },
  };

  test("the throughput panel gives the errors by cause", async () => {
    const layout = { sparkLines: 0, faultLine: false, stageTotals: false, sparkWidth: 0 } as const;
    const app = render(
      <ColorContext.Provider value={false}>
        <Throughput tick={stalled} history={[]} faults={[]} thresholds={{}} layout={layout} width={100} />
      </ColorContext.Provider>,
    );
    await flush();
    expect(lineWith(app.lastFrame() ?? "", "THROUGHPUT")).toContain("err 101 (refused 98 timeout 3)  late");
  });

  test("the latency panel has every answer, 201s alone and the time to failure", async () => {
    const app = render(
      <ColorContext.Provider value={false}>
        <Latency latency={stalled.latency} thresholds={{ acceptP99Ms: 250 }} width={40} />
      </ColorContext.Provider>,
    );
    await flush();
    const frame = app.lastFrame() ?? "";
    expect(lineWith(frame, "accept")).toMatch(/accept\s+5ms\s+1\.50s\s+1\.95s\s+2\.00s/);
    expect(lineWith(frame, " 201")).toMatch(/201\s+5ms\s+900ms\s+1\.20s\s+1\.30s/);
    expect(lineWith(frame, "to fail")).toMatch(/to fail\s+1\.00s\s+2\.00s\s+2\.01s\s+2\.02s/);
    expect(lineWith(frame, "e2e")).toMatch(/e2e\s+1\.10s/);
  });
});
