/**
 * Deterministic order requests: the same seed gives the same bodies, byte for byte. Valid bodies
 * follow src/services/order/validation.ts exactly; invalid ones each break exactly one rule and
 * say which field the 400 (or 415) must name, so the harness can check the rejection.
 *
 * Every validation rule is exercised in every run that asks for invalid requests at all: until
 * each invalid kind has been sent once, an invalid request takes one of the kinds not sent yet.
 * Told how many requests the run will send (`planned`), the generator also makes the invalid
 * ones an exact count, spread at random over the run: the share asked for, rounded, or one of
 * each kind when that is more (a run of 50 requests at 2% sends 19 invalid, not 1).
 */
import { ORDER_TYPES, type OrderItem, type OrderType } from "../../services/shared/contracts.js";
import { MENU } from "../../services/order/menu.js";
import { Rng } from "./rng.js";
import { checkoutBody, drawJourney, restaurantsServedBy, type CartJourney } from "./cart-journeys.js";
import type { Roster } from "../scenario/roster.js";
import { DEFAULT_RESTAURANTS, type RestaurantDefinition } from "../../services/shared/menus.js";
import type { Scenario } from "../scenario/scenario.js";
import { JourneyPlanner, type JourneyPlan } from "./journey-plans.js";

export const INVALID_KINDS = [
  "missing_customer_name",
  "name_with_digits",
  "name_too_long",
  "unknown_order_type",
  "empty_items",
  "too_many_items",
  "quantity_zero",
  "quantity_too_high",
  "price_zero",
  "price_too_high",
  "price_three_decimals",
  "dine_in_without_table",
  "dine_in_with_address",
  "delivery_without_address",
  "delivery_short_address",
  "takeout_with_table",
  "unknown_field",
  "malformed_json",
  "wrong_content_type",
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

export interface PlannedRequest {
  /** 1-based position in the stream. */
  seq: number;
  /** `req-<seed>-<seq>`: send it as Idempotency-Key / X-Request-Id. */
  requestId: string;
  valid: boolean;
  invalidKind?: InvalidKind;
  /** The field the error response must name (`body` for malformed JSON, `content-type` for 415). */
  expectedField?: string;
  expectedStatus: 201 | 400 | 413 | 415;
  contentType: string;
  /** Exact bytes to send (as UTF-8). */
  body: string;
  /** The order type of a valid request. */
  orderType?: OrderType;
  /** Sent through a cart (customer -> cart items -> checkout, `body` being the checkout's) instead of POST /orders. */
  cart?: CartJourney;
  /** With `journeys:`: the journey this arrival starts (its checkout, if any, is the order). */
  journey?: JourneyPlan;
}

export const JSON_CONTENT_TYPE = "application/json";

export const CUSTOMER_NAMES: readonly string[] = [
  "Jane Doe", "John Smith", "Maria Rossi", "Luca Bianchi", "Aisha Khan", "Liam O'Brien", "Chloe Martin",
  "Mary-Jane Watson", "Noah Williams", "Emma Johansson", "Hiroshi Tanaka", "Sofia Garcia", "Ahmed Hassan",
  "Olivia Brown", "Mateo Fernández", "Zoë Müller", "Kwame Mensah", "Priya Patel", "Jean-Luc Picard",
  "D'Angelo Russo", "Ingrid Larsen", "Wei Zhang", "Fatima Al-Sayed", "Oscar Nilsson", "Ana Sousa",
  "Giulia Esposito", "Tomasz Kowalski", "Siobhan Murphy", "Ravi Shankar", "Elena Popescu", "Björn Andersson",
  "Amara Okafor", "Lucía Romero", "Pierre Dubois", "Hannah Schmidt", "Yusuf Demir", "Nina Petrova",
  "Carlos Mendes", "Grace O'Connor", "Kai Nakamura",
];

const STREETS = ["Baker Street", "Via Roma", "Main Street", "Elm Avenue", "Harbour Road", "Rue de la Paix", "Oak Lane", "King's Road", "Station Road", "Market Square"];
const CITIES = ["Springfield", "Naples", "Leeds", "Lyon", "Porto", "Bergen", "Austin", "Turin"];
const SHORT_ADDRESSES = ["Paris", "Milan", "Turin", "Basel", "Leeds"];
const BAD_TYPES = ["drive_through", "catering", "pickup", "DINE_IN", "curbside"];
const EXTRA_FIELDS: readonly [string, unknown][] = [
  ["coupon_code", "PIZZA10"],
  ["tip", 2.5],
  ["notes", "extra napkins please"],
  ["loyalty_id", 1234567],
];

interface Body {
  customer_name?: string;
  order_type?: string;
  items?: OrderItem[];
  table_number?: number;
  delivery_address?: string;
  [extra: string]: unknown;
}

/** A request whose body is past the order API's 64 KiB limit (413); not part of the random mix. */
export function oversizedRequest(seq: number): PlannedRequest {
  const filler = "a".repeat(70 * 1024);
  return {
    seq,
    requestId: `req-oversized-${seq}`,
    valid: false,
    expectedField: "body",
    expectedStatus: 413,
    contentType: JSON_CONTENT_TYPE,
    body: JSON.stringify({ customer_name: "Jane Doe", order_type: "takeout", items: [{ name: "Margherita Pizza", quantity: 1, price: 12.99 }], notes: filler }),
  };
}

export interface GeneratorOptions {
  /** How many requests the run will send (its arrival schedule's count). */
  planned?: number;
  /** The restaurants whose menus cart orders are drawn from (default: the scenario's restaurants that have a kitchen). */
  restaurants?: readonly RestaurantDefinition[];
}

export class OrderGenerator {
  private seq = 0;
  /** Invalid kinds not sent yet, in the table's order. */
  private readonly unsent: InvalidKind[] = [...INVALID_KINDS];
  /** With `planned`: invalid requests still to send among the planned ones. */
  private invalidLeft: number | null = null;
  private readonly planned: number | null;
  private readonly seed: number;
  private readonly orders: Scenario["orders"];
  /** Decides valid vs invalid and which rule to break. */
  private readonly mix: Rng;
  /** Draws the contents of the bodies. */
  private readonly draw: Rng;
  /** Decides which valid orders go through a cart, and draws their journeys (only with `viaCart`). */
  private readonly carts: Rng;
  private readonly restaurants: readonly RestaurantDefinition[] | undefined;
  /** Draws the restaurant of a valid order (its own stream: files without restaurants send what they sent). */
  private readonly where: Rng;
  /** With `journeys:`: every arrival starts a journey instead of sending a request. */
  private readonly journeys: JourneyPlanner | null;

  constructor(scenario: Pick<Scenario, "seed" | "orders" | "journeys"> & { roster?: Pick<Roster, "kitchen" | "restaurant"> }, options: GeneratorOptions = {}) {
    this.seed = scenario.seed;
    this.orders = scenario.orders;
    this.planned = options.planned ?? null;
    if (this.planned !== null && scenario.orders.invalid > 0) {
      const asked = Math.round(this.planned * scenario.orders.invalid);
      this.invalidLeft = Math.min(this.planned, Math.max(asked, INVALID_KINDS.length));
    }
    if (!ORDER_TYPES.some((t) => scenario.orders.types[t] > 0)) throw new RangeError("OrderGenerator: no order type has a weight above 0");
    const { min, max } = scenario.orders.items;
    if (!(Number.isInteger(min) && Number.isInteger(max) && 1 <= min && min <= max && max <= 20)) throw new RangeError(`OrderGenerator: items must satisfy 1 <= min <= max <= 20, got ${min}..${max}`);
    this.mix = Rng.derive(scenario.seed, "orders/mix");
    this.draw = Rng.derive(scenario.seed, "orders/body");
    this.carts = Rng.derive(scenario.seed, "orders/cart");
    this.restaurants = options.restaurants ?? (scenario.roster ? restaurantsServedBy(scenario.roster.kitchen, scenario.roster.restaurant.restaurants) : undefined);
    this.where = Rng.derive(scenario.seed, "orders/restaurant");
    const journeys = scenario.journeys;
    this.journeys = journeys ? new JourneyPlanner({ ...scenario, journeys }, this.restaurants ?? DEFAULT_RESTAURANTS, { names: CUSTOMER_NAMES, address: (r) => `${r.int(1, 250)} ${r.pick(STREETS)}, ${r.pick(CITIES)}` }) : null;
  }

  next(): PlannedRequest {
    const seq = ++this.seq;
    const requestId = `req-${this.seed}-${seq}`;
    if (this.journeys) return this.journeyRequest(seq);
    if (!this.isInvalid(seq)) {
      const type = this.draw.weighted(this.orders.types);
      if ((this.orders.viaCart ?? 0) > 0 && this.carts.next() < this.orders.viaCart!) return this.cartRequest(seq, requestId, type);
      const body = this.validBody(type);
      if (this.orders.restaurants) body.restaurant_id = this.where.weighted(this.orders.restaurants);
      return { seq, requestId, valid: true, expectedStatus: 201, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body), orderType: type };
    }
    const kind = this.invalidKind();
    return { seq, requestId, valid: false, invalidKind: kind, ...this.invalid(kind) };
  }

  /**
   * Whether request `seq` is invalid. Among the planned requests: selection sampling (Knuth's
   * algorithm S), so exactly `invalidLeft` of them are, each position equally likely; past them
   * (or unplanned) each request independently with the share's probability.
   */
  private isInvalid(seq: number): boolean {
    if (this.orders.invalid <= 0) return false;
    if (this.invalidLeft === null || this.planned === null || seq > this.planned) return this.mix.next() < this.orders.invalid;
    const positionsLeft = this.planned - seq + 1;
    const invalid = this.mix.next() * positionsLeft < this.invalidLeft;
    if (invalid) this.invalidLeft--;
    return invalid;
  }

  /**
   * The rule the next invalid request breaks: a kind not sent yet while there are some (with a
   * plan, with the chance that keeps the rest spread out and still sends each in time), then any.
   */
  private invalidKind(): InvalidKind {
    if (this.unsent.length === 0) return this.mix.pick(INVALID_KINDS);
    // invalidLeft has already counted this request off; the kinds still to send fit in what is left.
    const left = this.invalidLeft === null ? null : this.invalidLeft + 1;
    const fromUnsent = left === null || this.mix.next() * left < this.unsent.length;
    const kind = this.mix.pick(fromUnsent ? this.unsent : INVALID_KINDS);
    const i = this.unsent.indexOf(kind);
    if (i >= 0) this.unsent.splice(i, 1);
    return kind;
  }

  private cartRequest(seq: number, requestId: string, type: OrderType): PlannedRequest {
    const c = this.carts;
    const lines = c.int(this.orders.items.min, this.orders.items.max);
    // With restaurant shares, a cart is filled at a restaurant drawn by them (among those served).
    const pool = this.restaurants ?? DEFAULT_RESTAURANTS;
    const shares = this.orders.restaurants;
    const at = shares ? pool.filter((r) => r.id === c.weighted(shares)) : pool;
    const cart = drawJourney(c, `cust-${this.seed}-${seq}`, c.pick(CUSTOMER_NAMES), lines, at.length > 0 ? at : pool);
    const body = checkoutBody(type, () => c.int(1, 100), () => `${c.int(1, 250)} ${c.pick(STREETS)}, ${c.pick(CITIES)}`);
    return { seq, requestId, valid: true, expectedStatus: 201, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body), orderType: type, cart };
  }

  /** A journey's arrival: its checkout's key and body stand for the request (the order's request id is known once its customer is). */
  private journeyRequest(seq: number): PlannedRequest {
    const journey = this.journeys!.next(seq);
    const checkout = journey.steps.find((s) => s.kind === "checkout");
    const key = checkout?.kind === "checkout" ? checkout.key : journey.id;
    const body = checkout?.kind === "checkout" ? checkout.body : "";
    return { seq, requestId: key, valid: true, expectedStatus: 201, contentType: JSON_CONTENT_TYPE, body, ...(checkout?.kind === "checkout" ? { orderType: checkout.orderType } : {}), journey };
  }

  /** The next `n` requests. */
  take(n: number): PlannedRequest[] {
    return Array.from({ length: n }, () => this.next());
  }

  private item(): OrderItem {
    const m = this.draw.pick(MENU);
    return { name: m.name, quantity: this.draw.int(1, 3), price: m.price };
  }

  private items(): OrderItem[] {
    return Array.from({ length: this.draw.int(this.orders.items.min, this.orders.items.max) }, () => this.item());
  }

  private address(): string {
    return `${this.draw.int(1, 250)} ${this.draw.pick(STREETS)}, ${this.draw.pick(CITIES)}`;
  }

  private validBody(type: OrderType): Body {
    const body: Body = { customer_name: this.draw.pick(CUSTOMER_NAMES), order_type: type, items: this.items() };
    if (type === "dine_in") body.table_number = this.draw.int(1, 100);
    if (type === "delivery") body.delivery_address = this.address();
    return body;
  }

  private invalid(kind: InvalidKind): Pick<PlannedRequest, "expectedField" | "expectedStatus" | "contentType" | "body"> {
    const bad = (body: Body, field: string) => ({ expectedField: field, expectedStatus: 400 as const, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body) });
    const d = this.draw;
    const any = () => this.validBody(d.weighted(this.orders.types));
    /** Break one item of a valid body; the field is that item's. */
    const breakItem = (key: "quantity" | "price", value: (item: OrderItem) => number) => {
      const body = any();
      const j = d.int(0, body.items!.length - 1);
      body.items![j] = { ...body.items![j], [key]: value(body.items![j]) };
      return bad(body, `items[${j}].${key}`);
    };
    switch (kind) {
      case "missing_customer_name": {
        const body = any();
        delete body.customer_name;
        return bad(body, "customer_name");
      }
      case "name_with_digits":
        return bad({ ...any(), customer_name: `${d.pick(CUSTOMER_NAMES)} ${d.int(2, 99)}` }, "customer_name");
      case "name_too_long": {
        const long = Array.from({ length: 12 }, () => d.pick(CUSTOMER_NAMES)).join(" ").padEnd(101, "x").slice(0, 101).trimEnd().padEnd(101, "z");
        return bad({ ...any(), customer_name: long }, "customer_name");
      }
      case "unknown_order_type":
        return bad({ ...this.validBody("takeout"), order_type: d.pick(BAD_TYPES) }, "order_type");
      case "empty_items":
        return bad({ ...any(), items: [] }, "items");
      case "too_many_items":
        return bad({ ...any(), items: Array.from({ length: 21 }, () => this.item()) }, "items");
      case "quantity_zero":
        return breakItem("quantity", () => 0);
      case "quantity_too_high":
        return breakItem("quantity", () => 11);
      case "price_zero":
        return breakItem("price", () => 0);
      case "price_too_high":
        return breakItem("price", () => 1000);
      case "price_three_decimals":
        return breakItem("price", (item) => Number((item.price + 0.005).toFixed(3)));
      case "dine_in_without_table": {
        const body = this.validBody("dine_in");
        delete body.table_number;
        return bad(body, "table_number");
      }
      case "dine_in_with_address":
        return bad({ ...this.validBody("dine_in"), delivery_address: this.address() }, "delivery_address");
      case "delivery_without_address": {
        const body = this.validBody("delivery");
        delete body.delivery_address;
        return bad(body, "delivery_address");
      }
      case "delivery_short_address":
        return bad({ ...this.validBody("delivery"), delivery_address: d.pick(SHORT_ADDRESSES) }, "delivery_address");
      case "takeout_with_table":
        return bad({ ...this.validBody("takeout"), table_number: d.int(1, 100) }, "table_number");
      case "unknown_field": {
        const [field, value] = d.pick(EXTRA_FIELDS);
        return bad({ ...any(), [field]: value }, field);
      }
      case "malformed_json": {
        const text = JSON.stringify(any());
        return { expectedField: "body", expectedStatus: 400, contentType: JSON_CONTENT_TYPE, body: text.slice(0, d.int(1, text.length - 1)) };
      }
      case "wrong_content_type":
        return { expectedField: "content-type", expectedStatus: 415, contentType: "text/plain", body: JSON.stringify(any()) };
    }
  }
}
