import type { OrderType } from "../../src/services/shared/contracts.js";

/** A valid order body of a type, with any fields overridden. */
export function validOrder(type: OrderType = "takeout", overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customer_name: "Jane O'Neil-Doe",
    order_type: type,
    items: [
      { name: "Margherita Pizza", quantity: 2, price: 12.99 },
      { name: "Cola", quantity: 1, price: 2.49 },
    ],
    ...(type === "dine_in" ? { table_number: 7 } : {}),
    ...(type === "delivery" ? { delivery_address: "12 Long Street, Springfield" } : {}),
    ...overrides,
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function postOrder(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}
