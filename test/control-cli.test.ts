import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliProcess } from "./helpers/cli.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

describe("pizzeria chaos and pizzeria dlq against a running `up`", () => {
  let dir: string;
  let up: CliProcess;
  let nats: string;
  // Run from a scratch directory: `up` leaves runs/current.json there for `pizzeria chaos` to find.
  const cli = (...args: string[]) => runCli(args, {}, dir);

  beforeAll(async () => {
    dir = scratchDir("control");
    up = cli("up", "--no-tui", "--order-port", "0", "--tracking-port", "0", "--restaurant-port", "0", "--reporting-port", "0", "--time-scale", "100", "--heartbeat-interval", "300ms");
    await waitFor(() => up.stdout().includes("Press Ctrl-C"), "up to be ready", 30_000);
    nats = /NATS\s+(nats:\/\/127\.0\.0\.1:\d+)/.exec(up.stdout())![1];
  });
  afterAll(async () => {
    up.child.kill("SIGINT");
    await up.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("injects a fault from another terminal, found through runs/current.json; `up` records it", async () => {
    const chaos = cli("chaos", "kill", "kitchen/chef_anna", "--restart-after", "500ms");
    expect((await chaos.exited).code).toBe(0);
    expect(chaos.stdout()).toMatch(/^injected f\d+: kill kitchen\/chef_anna, restart after 500ms at \d+\.\d s\n$/);
    await waitFor(() => /fault f\d+ \(manual\) kill kitchen\/chef_anna, restart after 500ms: ended/.test(up.stdout()), "up to record the fault's end");
  });

  it("fills a service's disk from another terminal for a while (default 5 s without --for); slows it in-process too", async () => {
    const full = cli("chaos", "disk_full", "order/1", "--for", "500ms");
    expect((await full.exited).code, full.stderr()).toBe(0);
    expect(full.stdout()).toMatch(/^injected f\d+: disk_full order\/order-1, for 500ms at \d+\.\d s\n$/);
    await waitFor(() => /fault f\d+ \(manual\) disk_full order\/order-1, for 500ms: ended/.test(up.stdout()), "up to record the disk fault's end");
    const byDefault = cli("chaos", "disk_full", "tracking/1");
    expect((await byDefault.exited).code, byDefault.stderr()).toBe(0);
    expect(byDefault.stdout()).toMatch(/disk_full tracking\/tracking-1, for 5s/);
    const slow = cli("chaos", "slow_disk", "order/1", "--delay", "50ms", "--for", "500ms");
    expect((await slow.exited).code, slow.stderr()).toBe(0);
    expect(slow.stdout()).toMatch(/^injected f\d+: slow_disk order\/order-1\b/);
    await waitFor(() => /fault f\d+ \(manual\) slow_disk order\/order-1\b.*: ended/.test(up.stdout()), "up to record the slow disk's end");
  });

  it("refuses what cannot be done with the reason and exit code 1, and bad usage with exit code 2", async () => {
    const unknown = cli("chaos", "stop", "kitchen/nobody");
    expect((await unknown.exited).code).toBe(1);
    expect(unknown.stderr()).toMatch(/the fault was refused: no service instance kitchen\/nobody \(known: .*kitchen\/chef_anna/);
    const noTarget = cli("chaos", "kill");
    expect((await noTarget.exited).code).toBe(2);
    expect(noTarget.stderr()).toMatch(/kill needs a target/);
    const badKind = cli("chaos", "explode", "broker");
    expect((await badKind.exited).code).toBe(2);
  });

  it("lists dead letters with their reason and replays one by its sequence", async () => {
    const poison = cli("chaos", "poison", "--count", "1", "--nats", nats);
    expect((await poison.exited).code).toBe(0);
    let letters: Array<{ seq: number; consumer: string; reason: string }> = [];
    await waitFor(async () => {
      const list = cli("dlq", "list", "--json", "--nats", nats);
      await list.exited;
      letters = JSON.parse(list.stdout());
      return letters.length === 6; // payment, tracking, reporting, the two notification subscribers and the customers' read model
    }, "six dead letters");
    expect(letters.map((l) => l.consumer).sort()).toEqual(["customer_customer-1", "notification_notification-1", "notification_notification-2", "payment", "reporting_reporting-1", "tracking_tracking-1"]);
    expect(letters.every((l) => /^poison: body is not JSON/.test(l.reason))).toBe(true);

    const text = cli("dlq", "list", "--consumer", "payment");
    await text.exited;
    expect(text.stdout()).toMatch(/#\d+\s+\S+\s+payment\s+pizzeria\.order\.placed\.main\.takeout\.poison/);
    expect(text.stdout()).toMatch(/reason: poison: body is not JSON/);

    const replay = cli("dlq", "replay", "--seq", String(letters[0].seq), "--nats", nats);
    expect((await replay.exited).code).toBe(0);
    expect(replay.stdout()).toBe("replayed 1 dead letter(s)\n");
    // Still poison: it was taken out and comes back as fresh dead letters (one per consumer).
    await waitFor(async () => {
      const list = cli("dlq", "list", "--json", "--nats", nats);
      await list.exited;
      const now = JSON.parse(list.stdout()) as Array<{ seq: number }>;
      return !now.some((l) => l.seq === letters[0].seq) && now.length === 11; // 6 - 1 + 6
    }, "the replayed letter to come back as new dead letters");
    const missing = cli("dlq", "replay", "--seq", "99999", "--nats", nats);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(/no dead letter with --seq 99999/);
  });
});
