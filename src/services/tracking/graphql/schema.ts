import { buildSchema, type GraphQLSchema } from "graphql";

/**
 * Tracking's GraphQL API, the whole schema in SDL (the README's GraphQL section shows it in use).
 * Queries over POST or GET /graphql (graphql-http); subscriptions, and queries too, as server-sent
 * events on the same path with `Accept: text/event-stream` (graphql-sse, distinct connections mode).
 * Everything here is tracking's read model: built from the ORDERS stream, the worker registry and
 * the restaurants bucket, never from another service's database.
 */
export const TRACKING_SDL = /* GraphQL */ `
"The order state machine (the README's table)."
enum OrderStatus { received paid accepted rejected cooking ready completed cancelled }

enum OrderType { dine_in takeout delivery }

type Query {
  "One order; null when tracking knows no order of that number."
  order(number: String!): Order
  "Orders by number, a page at a time: first is 1..200 (default 20), after is a cursor from a page before."
  orders(restaurant: String, status: OrderStatus, first: Int = 20, after: String): OrderConnection!
  "Kitchen workers as their heartbeats last said; restaurant narrows to one kitchen."
  workers(restaurant: String): [Worker!]!
  "The restaurants in the restaurants bucket, and any other that tracking has orders of."
  restaurants: [Restaurant!]!
}

type Subscription {
  "The order's status changes as tracking applies them: first where it stands now (when known), then each change; ends after completed or cancelled."
  orderStatus(number: String!): StatusChange!
  "Every status change of one restaurant's orders (of every restaurant without the argument), from now on."
  orderEvents(restaurant: String): StatusChange!
}

type Order {
  number: String!
  status: OrderStatus!
  orderType: OrderType!
  restaurant: Restaurant!
  customer: Customer!
  "Null for an order tracking stored before it kept lines."
  items: [OrderItem!]
  totalAmount: Float!
  priority: Int!
  "The worker that took it to the stove."
  processedBy: String
  createdAt: String!
  updatedAt: String!
  "While cooking: when it should be ready (ISO-8601); null otherwise."
  estimatedCompletion: String
  history: [StatusChange!]!
}

type Customer {
  "Null for an anonymous order (POST /orders); the customer's id for a cart's checkout."
  id: String
  name: String!
}

type OrderItem {
  name: String!
  quantity: Int!
  "Unit price."
  price: Float!
  size: String
  crust: String
  toppings: [String!]!
}

type StatusChange {
  orderNumber: String!
  restaurant: String!
  "Null for the first status (received)."
  from: OrderStatus
  status: OrderStatus!
  "The event that made it, e.g. OrderCooking."
  event: String!
  "A worker name or a service instance."
  changedBy: String!
  "ISO-8601."
  at: String!
  "The order as tracking has it now."
  order: Order
}

type Restaurant {
  id: String!
  "Null for a restaurant tracking has orders of but the restaurants bucket does not list."
  name: String
  open: Boolean
  acceptance: String
  "Listed in the restaurants bucket."
  listed: Boolean!
}

type Worker {
  name: String!
  restaurant: String!
  "Whether its last heartbeat is recent enough (within two heartbeat intervals)."
  online: Boolean!
  state: String!
  orderTypes: [OrderType!]!
  currentOrder: String
  ordersProcessed: Int!
  lastSeen: String!
}

type OrderConnection {
  edges: [OrderEdge!]!
  pageInfo: PageInfo!
}

type OrderEdge {
  cursor: String!
  node: Order!
}

type PageInfo {
  hasNextPage: Boolean!
  "Pass as after for the next page; null on an empty page."
  endCursor: String
}
`;

export function trackingSchema(): GraphQLSchema {
  return buildSchema(TRACKING_SDL);
}
