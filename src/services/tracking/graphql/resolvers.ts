import { GraphQLError } from "graphql";
import { EVENT_NAMES, isTerminal, isWorkerOnline, type OrderStatus, type WorkerRecord } from "../../shared/contracts.js";
import { DEFAULT_RESTAURANT_ID } from "../../shared/menus.js";
import type { AppliedChange, ReadModel, TrackedOrder } from "../read-model.js";
import type { LiveFeeds } from "./live.js";
import type { RestaurantDirectory } from "./restaurants.js";

/** The largest page `orders(first:)` gives. */
export const MAX_PAGE = 200;

export interface ResolverDeps {
  model: ReadModel;
  restaurants: RestaurantDirectory;
  /** When a cooking order should be ready (the REST status answer's estimated_completion). */
  estimate(order: TrackedOrder): string | null;
  feeds: LiveFeeds;
  /** TEST-ONLY (the `tracking-feed-skip` mutant): changes the orderStatus subscription does not push. */
  feedSkips?: (orderNumber: string, status: OrderStatus) => boolean;
}

/** A client's mistake in an argument: a GraphQL error naming the argument and why. */
function badInput(field: string, reason: string): GraphQLError {
  return new GraphQLError(`Argument ${field} ${reason}`, { extensions: { code: "BAD_USER_INPUT", field, reason } });
}

const cursorOf = (number: string) => Buffer.from(`order:${number}`, "utf8").toString("base64url");

function numberOfCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith("order:") || cursorOf(text.slice(6)) !== cursor) throw badInput("after", "is not a cursor this API gave (take endCursor or an edge's cursor)");
  return text.slice(6);
}

/**
 * The root value for graphql-js: each Query and Subscription field is a function of its
 * arguments; the objects they return carry functions for the fields worth computing only when
 * asked for (history, restaurant, the order of a change).
 */
export function rootValue(deps: ResolverDeps): Record<string, unknown> {
  const { model, feeds } = deps;
  const views = new Views(deps);
  return {
    order: ({ number }: { number: string }) => {
      const order = model.order(number);
      return order ? views.order(order) : null;
    },
    orders: (args: { restaurant?: string | null; status?: OrderStatus | null; first?: number | null; after?: string | null }) => {
      const first = args.first ?? 20;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput("first", `must be an integer from 1 to ${MAX_PAGE}`);
      const after = args.after ? numberOfCursor(args.after) : null;
      const rows = model.list({ restaurant: args.restaurant ?? null, status: args.status ?? null, after, limit: first + 1 });
      const page = rows.slice(0, first);
      return {
        edges: page.map((o) => ({ cursor: cursorOf(o.number), node: views.order(o) })),
        pageInfo: { hasNextPage: rows.length > first, endCursor: page.length > 0 ? cursorOf(page[page.length - 1].number) : null },
      };
    },
    workers: ({ restaurant }: { restaurant?: string | null }) => {
      const now = Date.now();
      return model
        .workers()
        .filter((w) => !restaurant || (w.restaurant ?? DEFAULT_RESTAURANT_ID) === restaurant)
        .map((w) => workerView(w, now));
    },
    restaurants: () => {
      const listed = deps.restaurants.all();
      const ids = new Set(listed.map((r) => r.id));
      const unlisted = model.restaurantIds().filter((id) => !ids.has(id));
      return [...listed.map((r) => views.restaurant(r.id)), ...unlisted.map((id) => views.restaurant(id))];
    },
    orderStatus: ({ number }: { number: string }) =>
      feeds.create<{ orderStatus: unknown }>((feed) => {
        const stop = model.onChange((c) => {
          if (c.order_number !== number || deps.feedSkips?.(number, c.status)) return;
          feed.push({ orderStatus: views.change(c) });
          if (isTerminal(c.status)) feed.end();
        });
        // Where it stands now, read in the same turn as the listener was added: no change falls between.
        const now = model.order(number);
        const last = now ? model.history(number).at(-1) : undefined;
        if (now && last) {
          feed.push({ orderStatus: views.change({ order_number: number, restaurant: now.restaurant ?? DEFAULT_RESTAURANT_ID, ...last }) });
          if (isTerminal(now.status)) feed.end();
        }
        return stop;
      }),
    orderEvents: ({ restaurant }: { restaurant?: string | null }) =>
      feeds.create<{ orderEvents: unknown }>((feed) =>
        model.onChange((c) => {
          if (!restaurant || c.restaurant === restaurant) feed.push({ orderEvents: views.change(c) });
        }),
      ),
  };
}

function workerView(w: WorkerRecord, now: number) {
  return {
    name: w.name,
    restaurant: w.restaurant ?? DEFAULT_RESTAURANT_ID,
    online: isWorkerOnline(w, now),
    state: w.state,
    orderTypes: w.order_types,
    currentOrder: w.current_order,
    ordersProcessed: w.orders_cooked,
    lastSeen: w.last_seen,
  };
}

/** The GraphQL shapes of what the read model holds. */
class Views {
  constructor(private readonly deps: ResolverDeps) {}

  order(o: TrackedOrder) {
    const { model, estimate } = this.deps;
    return {
      number: o.number,
      status: o.status,
      orderType: o.order_type,
      restaurant: () => this.restaurant(o.restaurant ?? DEFAULT_RESTAURANT_ID),
      customer: { id: o.customer_id, name: o.customer_name },
      items: () => itemsOf(o.items),
      totalAmount: o.total_amount,
      priority: o.priority,
      processedBy: o.processed_by,
      createdAt: o.created_at,
      updatedAt: o.updated_at,
      estimatedCompletion: () => estimate(o),
      history: () => model.history(o.number).map((h) => this.change({ order_number: o.number, restaurant: o.restaurant ?? DEFAULT_RESTAURANT_ID, ...h })),
    };
  }

  change(c: AppliedChange) {
    return {
      orderNumber: c.order_number,
      restaurant: c.restaurant,
      from: c.from_status,
      status: c.status,
      event: EVENT_NAMES[c.status === "received" ? "placed" : c.status],
      changedBy: c.changed_by,
      at: c.changed_at,
      order: () => {
        const now = this.deps.model.order(c.order_number);
        return now ? this.order(now) : null;
      },
    };
  }

  restaurant(id: string) {
    const r = this.deps.restaurants.get(id);
    return { id, name: r?.name ?? null, open: r?.open ?? null, acceptance: r?.acceptance ?? null, listed: r !== undefined };
  }
}

/** The kept lines, read defensively (an order's items, or a checkout's priced lines): a line without a name or a whole quantity is left out. */
export function itemsOf(json: string | null): Array<Record<string, unknown>> | null {
  if (json === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(raw)) return null;
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  const amount = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return raw.flatMap((line: Record<string, unknown>) => {
    if (typeof line !== "object" || line === null) return [];
    const name = text(line.name) ?? text(line.item);
    const quantity = line.quantity;
    if (name === null || !Number.isInteger(quantity)) return [];
    const toppings = Array.isArray(line.toppings) ? line.toppings.filter((t): t is string => typeof t === "string") : [];
    return [{ name, quantity, price: amount(line.price) ?? amount(line.unit_price) ?? 0, size: text(line.size), crust: text(line.crust), toppings }];
  });
}
