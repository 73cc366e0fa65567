/** A JSON answer: its body as the test reads it (any shape; the test asserts on it). */
export interface JsonAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** One JSON request: the body as JSON (or as the text given), the answer's status, body and headers. */
export async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

let registered = 0;

/** A new customer with a unique email; its id. */
export async function registerCustomer(baseUrl: string, overrides: Record<string, unknown> = {}): Promise<string> {
  registered++;
  const answer = await call("POST", `${baseUrl}/customers`, { name: "Ada Lovelace", email: `ada.${process.pid}.${registered}.${Date.now()}@example.com`, phone: "+44 20 7946 0000", ...overrides });
  if (answer.status !== 201) throw new Error(`registering a customer answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.id as string;
}

/** Put an item in a customer's cart; the answer. */
export function addItem(baseUrl: string, customerId: string, item: Record<string, unknown>): Promise<JsonAnswer> {
  return call("POST", `${baseUrl}/customers/${customerId}/cart/items`, { restaurant_id: "main", quantity: 1, ...item });
}

export function checkout(baseUrl: string, customerId: string, key: string | null, body: Record<string, unknown> = { order_type: "takeout" }): Promise<JsonAnswer> {
  return call("POST", `${baseUrl}/customers/${customerId}/cart/checkout`, body, key === null ? {} : { "idempotency-key": key });
}
