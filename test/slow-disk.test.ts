import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { afterCommit, diskGuard, immediate, openDatabase, type Db } from "../src/services/shared/db.js";
import { GroupCommit } from "../src/services/shared/group-commit.js";
import { commitDueAt, withHandling } from "../src/services/shared/log-context.js";
import { silentLogger } from "../src/services/shared/logger.js";
import { onServiceNotice } from "../src/services/shared/notices.js";
import { scratchDir } from "./helpers/nats.js";
import { diskScenario, expectSlowDiskWindow, runLog } from "./helpers/disk-runs.js";
import { runScenarioText } from "./helpers/scenario-run.js";
import { waitFor } from "./helpers/wait.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function database(): Db {
  const dir = scratchDir("slow-disk");
  const db = openDatabase(join(dir, "svc.db"), "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);");
  diskGuard(db).attach("order", "order-9", silentLogger());
  cleanups.push(onServiceNotice(() => undefined)); // heard here, not printed to stderr
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return db;
}

describe("slow_disk in-process: every commit waits for a timer, the thread stays free", () => {
  it("a group commit is heard of only `delay` after it is stored, the next group after that, and the event loop runs meanwhile", async () => {
    const db = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    diskGuard(db).slow(120);
    const group = new GroupCommit(db);
    const began = performance.now();
    let turns = 0;
    const ticker = setInterval(() => turns++, 5);
    const first = group.run(() => insert.run("a")).then(() => performance.now() - began);
    // Queued while the first group waits for its disk: committed after it, as the next group.
    const second = new Promise<number>((resolve) => setTimeout(() => void group.run(() => insert.run("b")).then(() => resolve(performance.now() - began)), 20));
    const [firstMs, secondMs] = await Promise.all([first, second]);
    clearInterval(ticker);
    expect(firstMs).toBeGreaterThanOrEqual(120);
    expect(secondMs).toBeGreaterThanOrEqual(240); // one disk: the second commit's delay starts when the first is done
    expect(turns).toBeGreaterThan(0); // timers ran while the commits waited: nothing held the thread
    expect(diskGuard(db).state()).toMatchObject({ commitDelayMs: 120, delayedCommits: 2 });
  });

  it("an immediate commit's afterCommit effects and its handler's answer wait until it is durable", async () => {
    const db = database();
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    diskGuard(db).slow(100);
    const began = performance.now();
    let effectAt = -1;
    const due = withHandling("req-1", () => {
      immediate(db, () => {
        insert.run("x");
        afterCommit(db, () => (effectAt = performance.now() - began));
      });
      return commitDueAt();
    });
    expect(effectAt).toBe(-1); // stored, but not yet durable: nothing it makes happen has happened
    expect(due - began).toBeGreaterThanOrEqual(100); // what the request's answer waits for
    await waitFor(() => (effectAt >= 0 ? true : null), "the commit's effect");
    expect(effectAt).toBeGreaterThanOrEqual(100);
    diskGuard(db).slow(0);
    expect(diskGuard(db).durable()).toBeNull();
  });
});


describe("slow_disk during load, in-process (the default mode)", () => {
  it("on the order service: applied and released, every commit in the window delayed, which the latency and recovery figures show; the verdict holds", async () => {
    const body = diskScenario(
      ["  - { at: 2s, fault: slow_disk, target: order/1, delay: 150ms, for: 2s }", "  - { at: 2s, fault: slow_disk, target: tracking/1, delay: 100ms, for: 2s }"].join("\n"),
      { seconds: 7 },
    );
    const report = await runScenarioText("slow-disk-inprocess", body, { keepDir: true });
    const said = runLog(report.dir);
    rmSync(report.dir, { recursive: true, force: true });
    expect(report.mode).toBe("inprocess");
    expect(report.verdict, JSON.stringify(report.verdict.findings).slice(0, 2000)).toMatchObject({ valid: true, lost: 0, duplicated: 0, invalid: 0, deadLettered: 0, drained: true });
    const fault = report.faults.find((f) => f.kind === "slow_disk" && f.target === "order/order-1")!;
    expect(fault, JSON.stringify(report.faults)).toMatchObject({ endedAtMs: expect.any(Number) });
    expect(fault.error).toBeUndefined();
    expect(report.faults.find((f) => f.target === "tracking/tracking-1")!.error).toBeUndefined();
    // Said once each way by the service, with how many commits it delayed.
    expect(said.filter((m) => /^order\/order-1: slow_disk: every commit of \S+order-order-1\.db takes 150 ms longer$/.test(m)), said.join("\n")).toHaveLength(1);
    const over = said.map((m) => /^order\/order-1: slow_disk over: .* \((\d+) commits were delayed\)$/.exec(m)).filter((m) => m !== null);
    expect(over, said.join("\n")).toHaveLength(1);
    expect(Number(over[0]![1])).toBeGreaterThan(0);
    expectSlowDiskWindow(report, fault, 150);
    expect(report.orders.completed + report.orders.cancelled).toBe(report.orders.accepted);
  });
});
