/**
 * What else the checker is given besides the order services' records (collect.ts): each read
 * model's orders and worker counts, each notification subscriber's printed lines (read from its
 * output file, not asked of it), and the payment provider's ledger. Asked over the services'
 * control subjects, like collect.ts; the output files are the run directory's.
 */
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import type { OrderStatus } from "../../services/shared/contracts.js";
import { ask } from "../system/control-client.js";
import { outputFile } from "../system/settings.js";
import { check } from "./checker.js";
import type { CheckInput, CustomersInput, LedgerEntry, PrintedLine, ReadModelInput, ReportsInput, Verdict } from "./checker-types.js";
import { parsePrintedText } from "./passes/printed.js";
import { collectCustomers, collectCustomerView } from "./collect-customers.js";
export { checkStreamed } from "./online-end.js";

import type { Reports } from "../../services/reporting/figures.js";

type Instances = ReadonlyArray<{ id: string; service: string; instance: string }>;

export interface Evidence {
  readModels: ReadModelInput[];
  printed: Record<string, PrintedLine[]>;
  ledger: LedgerEntry[];
  customers?: CustomersInput;
  reports: ReportsInput[];
}

/** Tracking's read model: every order it holds (paged by number) and its worker counts. */
export async function collectTracking(nc: NatsConnection, instance: string): Promise<ReadModelInput> {
  const orders: NonNullable<ReadModelInput["orders"]> = [];
  const LIMIT = 2_000;
  let after: string | null = null;
  for (;;) {
    const page: { orders: Array<{ number: string; status: OrderStatus; history: Array<[OrderStatus | null, OrderStatus, string]> }> } = await ask(nc, "tracking", instance, "orders", { after, limit: LIMIT });
    for (const o of page.orders) orders.push({ number: o.number, status: o.status, history: o.history.map(([from, to, by]) => ({ from, to, by })) });
    if (page.orders.length < LIMIT) break;
    after = page.orders[page.orders.length - 1].number;
  }
  const { workers }: { workers: Array<{ name: string; orders_cooked: number }> } = await ask(nc, "tracking", instance, "workers", {});
  return { source: `tracking/${instance}`, orders, workers: workers.map((w) => ({ name: w.name, ordersCooked: w.orders_cooked })) };
}

/** Every charge and refund one payment instance's provider booked. */
export async function collectLedger(nc: NatsConnection, instance: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let after = 0;
  for (;;) {
    const page: { entries: Array<{ kind: "charge" | "refund"; payment_id: string; order_number: string; amount: number; at: string }>; next: number | null } = await ask(nc, "payment", instance, "ledger", { after, limit: 5_000 });
    for (const e of page.entries) out.push({ instance, kind: e.kind, paymentId: e.payment_id, orderNumber: e.order_number, amount: e.amount, at: e.at });
    if (page.next === null || page.entries.length < 5_000) return out;
    after = page.next;
  }
}

/** Every report one reporting instance answers. */
export async function collectReports(nc: NatsConnection, instance: string): Promise<ReportsInput> {
  const reports: Reports = await ask(nc, "reporting", instance, "reports", {});
  return { source: `reporting/${instance}`, reports };
}

function readLines(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return ""; // it printed nothing
    throw err;
  }
}

/**
 * What one subscriber printed, from its output file. Its own count of lines printed says how many
 * are on their way (a process's stdout arrives through a pipe, after its acks): wait for at least
 * that many, up to `waitMs`; whatever has not come by then is missing, as it is.
 */
export async function collectPrinted(nc: NatsConnection, runDir: string, instance: string, waitMs = 5_000): Promise<PrintedLine[]> {
  const file = outputFile(runDir, "notification", instance);
  const { printed }: { printed?: number } = await ask(nc, "notification", instance, "stats", {});
  const deadline = Date.now() + waitMs;
  let text = readLines(file);
  const count = (t: string) => t.split("\n").length - 1;
  while (typeof printed === "number" && count(text) < printed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    text = readLines(file);
  }
  return parsePrintedText(text);
}

/** Every read model, every subscriber's printed lines and every payment ledger; what cannot be asked is reported through `complain`. */
export async function collectEvidence(nc: NatsConnection, instances: Instances, runDir: string, complain: (message: string) => void): Promise<Evidence> {
  const evidence: Evidence = { readModels: [], printed: {}, ledger: [], reports: [] };
  for (const i of instances) {
    try {
      if (i.service === "tracking") evidence.readModels.push(await collectTracking(nc, i.instance));
      else if (i.service === "notification") evidence.printed[i.instance] = await collectPrinted(nc, runDir, i.instance);
      // One by one: a spread of a long run's ledger (~120k entries and more) overflows the call stack.
      else if (i.service === "payment") for (const e of await collectLedger(nc, i.instance)) evidence.ledger.push(e);
      else if (i.service === "reporting") evidence.reports.push(await collectReports(nc, i.instance));
    } catch (err) {
      complain(`could not collect what ${i.id} holds, printed or booked: ${(err as Error).message}`);
    }
  }
  try {
    const customers = await collectCustomers(nc, instances);
    if (customers) evidence.customers = customers;
  } catch (err) {
    complain(`could not collect the customers' checkouts and orders: ${(err as Error).message}`);
  }
  return evidence;
}

/**
 * check(), then, while a read model is only behind (stale), its account asked again up to
 * `timeoutMs`: a read model's worker counts follow a KV watch that the drain does not wait for.
 * What is still stale then is a finding.
 */
export async function checkOnceSettled(nc: NatsConnection, instances: Instances, input: CheckInput, timeoutMs = 3_000): Promise<Verdict> {
  return judgeOnceSettled(nc, instances, input, (i) => check(i), timeoutMs);
}

/** The same with the judge given: the online check reading the stream from disk (check/online-end.ts checkStreamed) for a run. */
export async function judgeOnceSettled<T extends Omit<CheckInput, "stream">>(nc: NatsConnection, instances: Instances, input: T, judge: (input: T) => Verdict | Promise<Verdict>, timeoutMs = 3_000): Promise<Verdict> {
  let verdict = await judge(input);
  const deadline = Date.now() + timeoutMs;
  const tracking = instances.filter((i) => i.service === "tracking");
  // Only a drained system's read models are worth waiting for: one still working is behind by design.
  const customers = instances.filter((i) => i.service === "customer");
  const behind = (v: Verdict) => (v.readModels.stale.length > 0 && tracking.length > 0) || (v.checkouts.viewsWrong.length > 0 && customers.length > 0 && input.customers !== undefined);
  while (input.drained && behind(verdict) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    try {
      const again: ReadModelInput[] = [];
      for (const i of tracking) again.push(await collectTracking(nc, i.instance));
      const views = [];
      for (const i of customers) views.push(await collectCustomerView(nc, i.instance));
      verdict = await judge({ ...input, readModels: tracking.length > 0 ? again : input.readModels, ...(input.customers ? { customers: { ...input.customers, views } } : {}) });
    } catch {
      break; // what was collected first stands
    }
  }
  return verdict;
}
