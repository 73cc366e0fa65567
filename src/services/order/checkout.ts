import { createHash } from "node:crypto";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import type { KV } from "../shared/kv.js";
import { INSTANCE_NAME_PATTERN, priorityFor, subjects } from "../shared/contracts.js";
import { type CheckoutCommand, type CheckoutReply } from "../shared/customer-contracts.js";
import { errorField, errorMessage } from "../shared/errors.js";
import { validateFulfilment } from "../shared/fulfilment.js";
import { HttpError, type FieldError } from "../shared/http.js";
import { MAX_IDEMPOTENCY_KEY_LENGTH, requestFingerprint } from "../shared/idempotency.js";
import type { Logger } from "../shared/logger.js";
import { linesTotal, MAX_LINE_QUANTITY, type PricedLine } from "../shared/menus.js";
import type { Placed } from "./placing.js";
import { mutantPicks } from "../shared/mutants.js";
import type { OrderRow, OrderStore } from "./store.js";
import type { ValidOrder } from "./validation.js";

/** A command's key is `<customer id>:<client Idempotency-Key>`: room for both. */
const MAX_COMMAND_KEY_LENGTH = MAX_IDEMPOTENCY_KEY_LENGTH + 101;

/** The queue group of every order-service instance: one of them handles each checkout command. */
export const CHECKOUT_QUEUE = "order";

export interface CheckoutDeps {
  nc: NatsConnection;
  /** This instance's name, and the bucket where each checkout key is claimed by one instance. */
  instance: string;
  claims: KV;
  log: Logger;
  store: OrderStore;
  place(order: ValidOrder, requestId: string, fingerprint: string | null, keyed: boolean): Promise<Placed>;
  /** TEST-ONLY (PIZZERIA_MUTANT=checkout-double-order, shared/mutants.ts): a second order for every fifth checkout. Never in production. */
  doubleOrder?: boolean;
}

/**
 * Answer CheckoutCommands (subjects.checkoutCommand): a checked-out cart becomes an order, at most
 * one per `idempotency_key`, stored with its outbox row in one transaction (the order's
 * request_id is the key, UNIQUE). The same command again (a retry, a resend after the customer
 * service crashed) answers with the same order; another command under a used key is 422.
 * Commands for one key that arrive while the first is being stored wait for its answer.
 */
export function serveCheckouts(deps: CheckoutDeps): { stop(): void } {
  const { nc, log } = deps;
  const inProgress = new Map<string, Promise<CheckoutReply>>();
  const serve = (subject: string, direct: boolean, queue?: string) =>
    nc.subscribe(subject, {
      ...(queue ? { queue } : {}),
      callback: (err, msg) => {
        if (err) return;
        void answer(msg, direct).catch((e) => log.warn({ action: "checkout_reply_failed", error: errorField(e) }, "A checkout reply could not be sent"));
      },
    });
  // Any instance may be asked; the one that claimed the key answers (a command for it is forwarded there).
  const subs = [serve(subjects.checkoutCommand, false, CHECKOUT_QUEUE), serve(subjects.checkoutCommandFor(deps.instance), true)];

  async function answer(msg: Msg, direct: boolean): Promise<void> {
    let reply: CheckoutReply;
    let body: unknown;
    try {
      body = JSON.parse(msg.string());
    } catch (e) {
      body = undefined;
      reply = { ok: false, status: 400, field: "body", reason: `is not valid JSON: ${errorMessage(e)}` };
    }
    if (body !== undefined) {
      const key = (body as Partial<CheckoutCommand> | null)?.idempotency_key;
      const running = typeof key === "string" ? inProgress.get(key) : undefined;
      if (running) reply = await running;
      else {
        const work = handle(body, direct);
        if (typeof key === "string") inProgress.set(key, work);
        try {
          reply = await work;
        } finally {
          if (typeof key === "string") inProgress.delete(key);
        }
      }
    }
    if (msg.reply) msg.respond(JSON.stringify(reply!));
  }

  async function handle(body: unknown, direct: boolean): Promise<CheckoutReply> {
    const checked = checkCommand(body);
    if ("reason" in checked) {
      log.info({ action: "checkout_refused", field: checked.field, reason: checked.reason }, `Checkout refused: ${checked.field} ${checked.reason}`);
      return { ok: false, status: 400, ...checked };
    }
    const { command, order } = checked;
    if (!direct) {
      const owner = await ownerOf(deps, command.idempotency_key).catch((err: Error) => err);
      if (owner instanceof Error) return { ok: false, status: 503, reason: `the checkout's key cannot be claimed right now (${owner.message}); retry` };
      if (owner !== deps.instance) return forward(nc, owner, body);
    }
    const fingerprint = requestFingerprint("checkout", command);
    const existing = deps.store.findByRequest(command.idempotency_key);
    try {
      const placed = existing ? { replayed: existing } : await deps.place(order, command.idempotency_key, fingerprint, true);
      if ("replayed" in placed) return replayOf(command.idempotency_key, placed.replayed, fingerprint);
      if (deps.doubleOrder && mutantPicks(placed.number)) await deps.place(order, `${command.idempotency_key}#again`, fingerprint, true);
      log.info({ action: "order_received", request_id: command.idempotency_key, order_number: placed.number, customer_id: command.customer_id, restaurant_id: command.restaurant_id, total_amount: placed.total_amount }, `Order ${placed.number} received from a checkout`);
      return answerOf(placed);
    } catch (err) {
      if (err instanceof HttpError) return { ok: false, status: err.status, reason: err.message };
      throw err;
    }
  }

  return { stop: () => subs.forEach((s) => s.unsubscribe()) };
}

/**
 * The order instance that holds a checkout key: the first to claim it in BUCKETS.checkouts (a KV
 * create, which only one can win), so a command resent to another instance (a retry after a crash
 * lands wherever the queue group puts it) still makes at most one order.
 */
async function ownerOf(deps: Pick<CheckoutDeps, "claims" | "instance">, key: string): Promise<string> {
  const id = createHash("sha256").update(key).digest("hex");
  try {
    await deps.claims.create(id, deps.instance);
    return deps.instance;
  } catch (err) {
    const entry = await deps.claims.get(id);
    if (entry && entry.operation === "PUT") return entry.string();
    throw err;
  }
}

/** Ask the instance that holds the key; 503 when it does not answer (it is down: the checkout waits for it). */
async function forward(nc: NatsConnection, owner: string, body: unknown): Promise<CheckoutReply> {
  try {
    const msg = await nc.request(subjects.checkoutCommandFor(owner), JSON.stringify(body), { timeout: 5_000 });
    return JSON.parse(msg.string()) as CheckoutReply;
  } catch (err) {
    return { ok: false, status: 503, reason: `order instance ${owner} holds this checkout and did not answer (${errorMessage(err)}); retry` };
  }
}

function answerOf(row: OrderRow): CheckoutReply {
  return { ok: true, order_number: row.number, total_amount: row.total_amount, status: row.status };
}

function replayOf(key: string, row: OrderRow & { fingerprint: string | null }, fingerprint: string): CheckoutReply {
  if (row.fingerprint !== null && row.fingerprint !== fingerprint) {
    return { ok: false, status: 422, field: "idempotency_key", reason: `${JSON.stringify(key)} was already used for a different checkout (it made order ${row.number})` };
  }
  return answerOf(row);
}

/**
 * The seed's order rules, applied to a command: the key, the customer, the restaurant, the
 * fulfilment (order_type with its table or address), 1-20 lines of quantity 1-10 and price
 * 0.01-999.99, and a total that is the lines' total. The first broken rule is the answer.
 */
export function checkCommand(body: unknown): { command: CheckoutCommand; order: ValidOrder } | FieldError {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { field: "body", reason: "must be a JSON object" };
  const c = body as Record<string, unknown>;
  const text = (field: string, max: number): FieldError | null =>
    typeof c[field] === "string" && (c[field] as string).length >= 1 && (c[field] as string).length <= max ? null : { field, reason: `must be a string of 1-${max} characters` };
  const textError = text("idempotency_key", MAX_COMMAND_KEY_LENGTH) ?? text("customer_id", 100) ?? text("customer_name", 100) ?? text("restaurant_id", 64);
  if (textError) return textError;
  if (!INSTANCE_NAME_PATTERN.test(c.restaurant_id as string)) return { field: "restaurant_id", reason: "must be a restaurant id (letters, digits, _ or -)" };
  const errors: FieldError[] = [];
  const fulfilment = validateFulfilment(c, errors);
  if (!fulfilment) return errors[0];
  if (!Array.isArray(c.lines) || c.lines.length < 1 || c.lines.length > 20) return { field: "lines", reason: "must hold 1-20 lines" };
  for (const [i, line] of (c.lines as unknown[]).entries()) {
    const lineError = checkLine(line, `lines[${i}]`);
    if (lineError) return lineError;
  }
  const lines = c.lines as PricedLine[];
  const total = linesTotal(lines);
  if (c.total_amount !== total) return { field: "total_amount", reason: `must be the lines' total ${total}` };
  const command = c as unknown as CheckoutCommand;
  const order: ValidOrder = {
    customer_name: command.customer_name,
    ...fulfilment,
    items: lines.map((l) => ({ name: l.name, quantity: l.quantity, price: l.unit_price })),
    total_cents: Math.round(total * 100),
    total_amount: total,
    priority: priorityFor(total),
    restaurant_id: command.restaurant_id,
    customer_id: command.customer_id,
    lines,
  };
  return { command, order };
}

function checkLine(raw: unknown, at: string): FieldError | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { field: at, reason: "must be an object" };
  const l = raw as Record<string, unknown>;
  if (typeof l.item !== "string" || typeof l.name !== "string" || l.name.length === 0) return { field: `${at}.name`, reason: "must name the item" };
  if (!Array.isArray(l.toppings)) return { field: `${at}.toppings`, reason: "must be an array" };
  if (!Number.isInteger(l.quantity) || (l.quantity as number) < 1 || (l.quantity as number) > MAX_LINE_QUANTITY) return { field: `${at}.quantity`, reason: `must be an integer from 1 to ${MAX_LINE_QUANTITY}` };
  const price = l.unit_price;
  if (typeof price !== "number" || !(price >= 0.01 && price <= 999.99) || Math.round(price * 100) / 100 !== price) return { field: `${at}.unit_price`, reason: "must be from 0.01 to 999.99 in whole cents" };
  return null;
}
