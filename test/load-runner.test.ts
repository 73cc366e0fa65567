import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LoadRunner, type RequestOutcome } from "../src/sim/load/load-runner.js";
import type { PlannedRequest } from "../src/sim/load/order-generator.js";

// The open-model load generator must not report as failed a request that only met a kept-alive
// socket the server was closing: Node's documented race, which a long run at a steady rate hits now
// and then. It sends such a request again once, on a new socket (the Idempotency-Key makes that safe).
describe("LoadRunner on kept-alive sockets", () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  /** A minimal HTTP server that answers the first request of each connection and resets the connection on its second. */
  function resettingServer(): Promise<{ url: string; requests: string[]; connections: () => number }> {
    const requests: string[] = [];
    let connections = 0;
    server = createServer((socket: Socket) => {
      connections++;
      let served = 0;
      let buffer = "";
      socket.on("data", (chunk) => {
        buffer += chunk.toString();
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        const key = /idempotency-key: (\S+)/i.exec(buffer.slice(0, end))?.[1] ?? "";
        buffer = buffer.slice(end + 4 + length);
        if (++served > 1) {
          socket.resetAndDestroy(); // as if its keep-alive timeout had just closed it
          return;
        }
        requests.push(key);
        const body = JSON.stringify({ order_number: `ORD_20261123_${String(requests.length).padStart(3, "0")}` });
        socket.write(`HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`);
      });
      socket.on("error", () => undefined);
    });
    return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => {
      const { port } = server!.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, requests, connections: () => connections });
    }));
  }

  it("sends a request again once when its reused socket is reset, and records the answer", async () => {
    const target = await resettingServer();
    let seq = 0;
    const planned = (): PlannedRequest => {
      seq++;
      return { seq, requestId: `req-1-${seq}`, valid: true, expectedStatus: 201, contentType: "application/json", body: `{"n":${seq}}` };
    };
    const outcomes: RequestOutcome[] = [];
    // The second request is due well after the first was answered: it goes out on the same socket.
    const runner = new LoadRunner({ targets: () => [target.url], arrivals: [0, 200][Symbol.iterator](), next: planned, startedAt: Date.now(), onOutcome: (o) => outcomes.push(o) });
    await runner.start();
    expect(outcomes.map((o) => [o.requestId, o.status, o.orderNumber])).toEqual([
      ["req-1-1", 201, "ORD_20261123_001"],
      ["req-1-2", 201, "ORD_20261123_002"],
    ]);
    expect(outcomes.every((o) => o.error === undefined)).toBe(true);
    // The retry went out on a new connection, with the same Idempotency-Key.
    expect(target.requests).toEqual(["req-1-1", "req-1-2"]);
    expect(target.connections()).toBe(2);
  });
});

// Each outcome is classified as it comes, by status or by what the socket said, with its latency
// from the scheduled time whatever it was: against real sockets that refuse, reset, hang, or answer.
describe("LoadRunner outcomes by cause", () => {
  const servers: Array<Server | HttpServer> = [];
  const sockets = new Set<Socket>();
  afterEach(async () => {
    // A server's close waits for its connections: the hanging one's would never end by itself.
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  const listen = (s: Server | HttpServer): Promise<string> => {
    servers.push(s);
    s.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as { port: number }).port}`)));
  };

  async function outcomeAt(target: string | null, valid = true, timeoutMs?: number): Promise<RequestOutcome> {
    const outcomes: RequestOutcome[] = [];
    const next = (): PlannedRequest => ({ seq: 1, requestId: "req-1", valid, expectedStatus: valid ? 201 : 400, contentType: "application/json", body: "{}" });
    const runner = new LoadRunner({ targets: () => (target ? [target] : []), arrivals: [0][Symbol.iterator](), next, startedAt: Date.now(), timeoutMs, onOutcome: (o) => outcomes.push(o) });
    await runner.start();
    expect(outcomes).toHaveLength(1);
    return outcomes[0];
  }

  it("refused, reset, timed out, no service: no answer, each by its cause", async () => {
    const closed = createServer();
    const closedUrl = await listen(closed);
    servers.pop();
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await outcomeAt(closedUrl)).toMatchObject({ status: 0, cause: "refused" });

    const resetting = createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    expect(await outcomeAt(await listen(resetting))).toMatchObject({ status: 0, cause: "reset" });

    const hanging = createServer((socket) => socket.on("error", () => undefined));
    const hung = await outcomeAt(await listen(hanging), true, 150);
    expect(hung).toMatchObject({ status: 0, cause: "timedOut", error: "timed out" });
    // Measured from the scheduled time: at least the timeout it waited.
    expect(hung.latencyMs).toBeGreaterThanOrEqual(150);

    expect(await outcomeAt(null)).toMatchObject({ status: 0, cause: "noService", error: "no order service is up" });
  });

  it("answers: a 503 keeps its Retry-After, a 4xx is an error only for a valid request, a 201 none", async () => {
    const answering = createHttpServer((req, res) => {
      req.resume();
      const status = statusFor.shift()!;
      res.writeHead(status, status === 503 ? { "retry-after": "1" } : {}).end(status === 201 ? '{"order_number":"ORD_20261123_001"}' : "{}");
    });
    const statusFor = [503, 409, 409, 201, 500];
    const url = await listen(answering);
    expect(await outcomeAt(url)).toMatchObject({ status: 503, cause: "status503", retryAfter: "1" });
    expect(await outcomeAt(url)).toMatchObject({ status: 409, cause: "status4xx" });
    expect((await outcomeAt(url, false)).cause).toBeNull();
    expect(await outcomeAt(url)).toMatchObject({ status: 201, cause: null, orderNumber: "ORD_20261123_001" });
    expect(await outcomeAt(url)).toMatchObject({ status: 500, cause: "status5xx" });
  });
});
