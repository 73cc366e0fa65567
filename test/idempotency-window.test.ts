import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SCHEMA as KITCHEN_SCHEMA } from "../src/services/kitchen/index.js";
import { cookTotals, pruneCooks } from "../src/services/kitchen/stove.js";
import { prunePayments, SCHEMA as PAYMENT_SCHEMA } from "../src/services/payment/index.js";
import { openDatabase, type Db } from "../src/services/shared/db.js";
import { idempotencyWindowMs, PruneOnWrite, WINDOW_MARGIN_MS } from "../src/services/shared/idempotency-window.js";
import { scratchDir } from "./helpers/nats.js";

const MIN = 60_000;
const NOW = Date.parse("2026-12-02T12:00:00.000Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

describe("idempotencyWindowMs: how long a consumer must remember what it did", () => {
  it("is the stream's retention or its duplicate window, whichever is longer, plus a margin", () => {
    expect(idempotencyWindowMs({ max_age: 10 * MIN * 1e6, duplicate_window: 2 * MIN * 1e6 })).toBe(10 * MIN + WINDOW_MARGIN_MS);
    expect(idempotencyWindowMs({ max_age: 3 * MIN * 1e6, duplicate_window: 5 * MIN * 1e6 })).toBe(5 * MIN + WINDOW_MARGIN_MS);
  });

  it("is for ever (null) when the stream keeps its messages for ever", () => {
    expect(idempotencyWindowMs({ max_age: 0, duplicate_window: 2 * MIN * 1e6 })).toBeNull();
    expect(idempotencyWindowMs({})).toBeNull();
  });
});

describe("PruneOnWrite: pruning piggybacked on writes", () => {
  it("prunes what is older than the window, at most once per tenth of it, only when a write comes", () => {
    let now = NOW;
    const cutoffs: string[] = [];
    const pruner = new PruneOnWrite(10 * MIN, (olderThan) => (cutoffs.push(olderThan), 1), () => now);
    now += MIN - 1;
    expect(pruner.afterWrite()).toBe(0); // within a tenth of the window of the start
    now += 1;
    expect(pruner.afterWrite()).toBe(1);
    expect(cutoffs).toEqual([new Date(now - 10 * MIN).toISOString()]);
    now += 30_000;
    pruner.afterWrite();
    expect(cutoffs).toHaveLength(1);
    now += 10 * MIN; // a long idle stretch: nothing ran meanwhile (no timer), the next write prunes once
    pruner.afterWrite();
    pruner.afterWrite();
    expect(cutoffs).toHaveLength(2);
  });

  it("never prunes without a window", () => {
    let calls = 0;
    const pruner = new PruneOnWrite(null, () => ++calls, () => NOW + 365 * 24 * 60 * MIN);
    expect(pruner.afterWrite()).toBe(0);
    expect(calls).toBe(0);
  });
});

describe("the services' idempotency tables, pruned past the window (real SQLite)", () => {
  let dir: string | null = null;
  let db: Db | null = null;
  afterEach(() => {
    db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    db = null;
    dir = null;
  });
  const open = (schema: string) => {
    dir = scratchDir("prune");
    db = openDatabase(join(dir, "service.db"), schema);
    return db;
  };

  it("kitchen: only ready cooks finished before the cutoff go; a redelivery inside the window still finds its cook; the totals stay", () => {
    const db = open(KITCHEN_SCHEMA);
    const cook = db.prepare("INSERT INTO cooks (order_number, order_type, state, attempts, started_at, finished_at, cook_ms) VALUES (?, 'takeout', ?, 1, ?, ?, ?)");
    cook.run("ORD_OLD_1", "ready", iso(20 * MIN), iso(20 * MIN), 100);
    cook.run("ORD_OLD_2", "ready", iso(12 * MIN), iso(12 * MIN), 50);
    cook.run("ORD_STUCK", "cooking", iso(30 * MIN), null, null); // a cook a crash left behind: not finished, kept
    cook.run("ORD_RECENT", "ready", iso(2 * MIN), iso(2 * MIN), 7);
    const before = cookTotals(db);

    expect(pruneCooks(db, iso(10 * MIN))).toBe(2);
    const left = (db.prepare("SELECT order_number FROM cooks ORDER BY order_number").all() as Array<{ order_number: string }>).map((r) => r.order_number);
    expect(left).toEqual(["ORD_RECENT", "ORD_STUCK"]);
    // The stove's own question on a delivery: cooked before? For an order inside the window, yes.
    expect(db.prepare("SELECT state FROM cooks WHERE order_number = ?").get("ORD_RECENT")).toEqual({ state: "ready" });
    // A restarted worker starts from the same figures.
    expect(cookTotals(db)).toEqual(before);
    expect(before).toEqual({ n: 3, ms: 157 });
    expect(pruneCooks(db, iso(10 * MIN))).toBe(0);
    cook.run("ORD_LATER", "ready", iso(11 * MIN), iso(11 * MIN), 3);
    expect(pruneCooks(db, iso(10 * MIN))).toBe(1);
    expect(cookTotals(db)).toEqual({ n: 4, ms: 160 });
  });

  it("payment: only decisions made before the cutoff go; a redelivered OrderPlaced inside the window is still seen as decided", () => {
    const db = open(PAYMENT_SCHEMA);
    const decide = db.prepare("INSERT INTO payments (order_number, outcome, amount, payment_id, reason, attempts, decided_at) VALUES (?, 'paid', 12.99, ?, NULL, 1, ?)");
    decide.run("ORD_OLD", "pay_1", iso(20 * MIN));
    decide.run("ORD_RECENT", "pay_2", iso(9 * MIN));
    db.prepare("INSERT INTO ledger (kind, payment_id, order_number, amount, at) VALUES ('charge', 'pay_1', 'ORD_OLD', 12.99, ?)").run(iso(20 * MIN));

    expect(prunePayments(db, iso(10 * MIN))).toBe(1);
    const decided = db.prepare("SELECT outcome FROM payments WHERE order_number = ?");
    expect(decided.get("ORD_OLD")).toBeUndefined();
    expect(decided.get("ORD_RECENT")).toEqual({ outcome: "paid" });
    // The provider's ledger is its own record: nothing of it is pruned.
    expect(db.prepare("SELECT COUNT(*) AS n FROM ledger").get()).toEqual({ n: 1 });
  });
});
