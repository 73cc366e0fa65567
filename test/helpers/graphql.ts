import { waitFor } from "./wait.js";

export interface GraphqlAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** A GraphQL query over POST /graphql (JSON), its status and parsed body. */
export async function gql(baseUrl: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphqlAnswer> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export interface SseEvent {
  event: string;
  data: any;
}

/**
 * A subscription over server-sent events (graphql-sse's distinct connections mode: one POST with
 * `Accept: text/event-stream`), collecting its events until it completes or is closed.
 */
export class SseSubscription {
  readonly events: SseEvent[] = [];
  status = 0;
  completed = false;
  private readonly abort = new AbortController();
  private readonly reading: Promise<void>;

  constructor(baseUrl: string, query: string, variables?: Record<string, unknown>) {
    this.reading = this.read(baseUrl, query, variables).catch((err) => {
      if (!this.abort.signal.aborted) throw err;
    });
  }

  private async read(baseUrl: string, query: string, variables?: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
      signal: this.abort.signal,
    });
    this.status = res.status;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.take(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  private take(block: string): void {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // a comment: graphql-sse's keep-alive
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trim());
    }
    if (data.length === 0 && event === "message") return;
    const text = data.join("\n");
    this.events.push({ event, data: text ? JSON.parse(text) : null });
    if (event === "complete") this.completed = true;
  }

  /** The payloads of the `next` events. */
  get results(): any[] {
    return this.events.filter((e) => e.event === "next").map((e) => e.data);
  }

  /** Until the server has answered with its headers (the subscription is then open). */
  async opened(): Promise<void> {
    await waitFor(() => this.status !== 0, "the event stream's answer");
  }

  /** Until the stream ended by itself. */
  async ended(): Promise<void> {
    await this.reading;
  }

  /** Hang up, as a client that goes away does. */
  close(): void {
    this.abort.abort();
  }
}
