/**
 * The checker's wider inputs, collected from real services: tracking's read model, what each
 * notification subscriber printed, the payment provider's ledger and the bodies the requests sent.
 * A run is valid and the inputs are there and agree with each other; a wrong record put into a
 * service (through its own database, its ledger, its output file) makes the verdict name it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, type CheckInput, type RequestRecord } from "../src/sim/check/checker.js";
import { collectAccounts } from "../src/sim/check/collect.js";
import { collectEvidence } from "../src/sim/check/collect-evidence.js";
import { decodeTapped } from "../src/sim/telemetry/event-tap.js";
import { instanceFiles, outputFile } from "../src/sim/system/settings.js";
import { PaymentLedger } from "../src/services/payment/payment-ledger.js";
import { ORDER_TYPES } from "../src/services/shared/contracts.js";
import { DEFAULT_ROSTER } from "../src/sim/scenario/roster.js";
import { postOrder, validOrder } from "./helpers/orders.js";
import { runScenarioText } from "./helpers/scenario-run.js";
import { readStream } from "./helpers/stream.js";
import { startTestSystem, type TestSystem } from "./helpers/system.js";
import { waitFor } from "./helpers/wait.js";

describe("the checker's wider inputs from a real run", () => {
  it("a short run is valid, and its read model, printed lines, ledger and request bodies are all there", async () => {
    // 60 requests: every one of the 19 invalid kinds is sent in any run with an invalid share, so 41 are valid.
    const report = await runScenarioText("evidence", `cookTime: 30ms
load:
  - { duration: 4s, rate: 15 }
orders: { invalid: 0.1 }
services:
  payment: { failureRate: 0.2 }
  notification: { instances: 2 }
drainTimeout: 30s
`);
    const v = report.verdict;
    expect(v).toMatchObject({ valid: true, readModelsStale: 0, readModelsWrong: 0, printedMissing: 0, printedWrong: 0, chargedTwice: 0, chargeWrong: 0, payloadsWrong: 0 });
    const { completed, cancelled, accepted } = report.orders;
    expect(completed).toBeGreaterThan(0);
    expect(cancelled).toBeGreaterThan(0);
    // Tracking holds every order; each subscriber printed each change once (5 for a completed order, 1 for a cancelled one);
    // the provider booked one charge per paid order; every valid request's body was kept.
    // The run's customer service saw no checkout (no orders through carts).
    expect(v.collected).toEqual({ readModelOrders: accepted, printedLines: 2 * (5 * completed + cancelled), ledgerEntries: completed, requestBodies: accepted, checkouts: 0 });
  });

  it("reads a subscriber's stdout when it runs as its own process", async () => {
    const report = await runScenarioText("evidence-processes", `mode: processes
cookTime: 30ms
load:
  - { duration: 2s, rate: 4 }
services:
  notification: { instances: 1 }
drainTimeout: 30s
`);
    const { completed, cancelled } = report.orders;
    expect(report.verdict).toMatchObject({ valid: true, printedMissing: 0, printedDuplicated: 0, printedWrong: 0 });
    expect(report.verdict.collected.printedLines).toBe(5 * completed + cancelled);
    expect(report.verdict.collected.ledgerEntries).toBe(completed);
  });
});

describe("a wrong record in a service is named by the verdict", () => {
  let system: TestSystem;
  let nc: NatsConnection;
  const requests: RequestRecord[] = [];

  async function collect(): Promise<CheckInput> {
    const complain = (m: string) => {
      throw new Error(m);
    };
    const instances = system.launcher.list();
    const { orders, notifications } = await collectAccounts(nc, instances, complain);
    const evidence = await collectEvidence(nc, instances, system.runDir, complain);
    const stream = (await readStream(system.natsUrl)).map(decodeTapped);
    const roster = DEFAULT_ROSTER.kitchen.map((w) => ({ name: w.name, types: w.orderTypes?.length ? w.orderTypes : ORDER_TYPES }));
    return { requests, stream, orders, notifications, drained: true, ...evidence, roster };
  }

  beforeAll(async () => {
    system = await startTestSystem();
    nc = await connect({ servers: system.natsUrl });
    for (let i = 0; i < 6; i++) {
      const body = JSON.stringify(validOrder(ORDER_TYPES[i % 3]));
      const requestId = `req-evidence-${i}`;
      const answer = await postOrder(system.orderUrl, body, { "idempotency-key": requestId });
      expect(answer.status).toBe(201);
      requests.push({ requestId, intendedValid: true, status: 201, orderNumber: answer.body.order_number as string, body });
    }
    // Every order finished, tracking caught up, every line printed: the verdict is valid.
    await waitFor(async () => (check(await collect()).valid ? true : null), "a valid verdict over every input", 30_000, 100);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await system?.close();
  });

  it("starts valid, with every input non-empty", async () => {
    const v = check(await collect());
    expect(v.valid).toBe(true);
    expect(v.collected.readModelOrders).toBe(6);
    expect(v.collected.printedLines).toBeGreaterThanOrEqual(6);
    expect(v.collected.requestBodies).toBe(6);
  });

  it("a status written wrong into tracking's SQLite is readModelsWrong", async () => {
    const number = requests[0].orderNumber!;
    const db = new Database(instanceFiles(system.runDir, "tracking", "tracking-1").dbFile);
    const was = (db.prepare("SELECT status FROM orders WHERE number = ?").get(number) as { status: string }).status;
    db.prepare("UPDATE orders SET status = 'cooking' WHERE number = ?").run(number);
    try {
      const v = check(await collect());
      expect(v.valid).toBe(false);
      expect(v.readModels.wrong.map((f) => [f.orderNumber, f.source])).toEqual([[number, "tracking/tracking-1"]]);
      expect(v.readModels.wrong[0].reason).toMatch(/says cooking but its own history ends at (completed|cancelled)/);
    } finally {
      db.prepare("UPDATE orders SET status = ? WHERE number = ?").run(was, number);
      db.close();
    }
  });

  it("a second charge booked in the payment ledger is chargedTwice", async () => {
    const db = new Database(instanceFiles(system.runDir, "payment", "payment-1").dbFile);
    const charged = db.prepare("SELECT order_number, amount FROM ledger WHERE kind = 'charge' ORDER BY seq LIMIT 1").get() as { order_number: string; amount: number };
    expect(charged).toBeDefined();
    const ledger = new PaymentLedger(db);
    const again = `pay_again_${charged.order_number}`;
    expect(ledger.charge(again, charged.order_number, charged.amount)).toBe(true);
    expect(ledger.charge(again, charged.order_number, charged.amount)).toBe(false); // idempotent by payment id
    try {
      const v = check(await collect());
      expect(v.valid).toBe(false);
      expect(v.payments.chargedTwice.map((f) => f.orderNumber)).toEqual([charged.order_number]);
    } finally {
      db.prepare("DELETE FROM ledger WHERE payment_id = ?").run(again);
      db.close();
    }
  });

  it("a printed line removed from a subscriber's output is printedMissing, though its table still has it", async () => {
    const file = outputFile(system.runDir, "notification", "notification-1");
    const text = readFileSync(file, "utf8");
    const lines = text.split("\n").filter(Boolean);
    const dropped = lines.find((l) => l.includes("to 'completed'")) ?? lines[0];
    writeFileSync(file, lines.filter((l) => l !== dropped).map((l) => `${l}\n`).join(""));
    try {
      const input = await collect();
      const v = check(input);
      expect(v.valid).toBe(false);
      expect(v.notifications).toEqual({ missing: [], duplicated: [] }); // the subscriber's own table is complete
      expect(v.printed.missing).toHaveLength(1);
      expect(v.printed.missing[0]).toMatchObject({ subscriber: "notification-1", orderNumber: dropped.split(" ")[3].replace(/:$/, "") });
    } finally {
      writeFileSync(file, text);
    }
  });
});
