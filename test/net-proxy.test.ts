import { randomBytes } from "node:crypto";
import { connect as tcpConnect, createServer, type Server, type Socket } from "node:net";
import { connect as natsConnect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError } from "../src/services/shared/errors.js";
import { freePort } from "../src/sim/system/broker.js";
import { startProxy, type NetProxy } from "../src/sim/faults/net-proxy.js";
import { startTestBroker } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

/** A TCP echo server that remembers what it received and which sockets it holds. */
async function startEcho(): Promise<{ server: Server; port: number; received: () => Buffer; sockets: Set<Socket>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const chunks: Buffer[] = [];
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    port,
    sockets,
    received: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client socket that records everything: data chunks, error, close. */
class Client {
  readonly socket: Socket;
  readonly chunks: Buffer[] = [];
  error: NodeJS.ErrnoException | null = null;
  closed = false;
  ended = false;

  constructor(port: number) {
    this.socket = tcpConnect({ host: "127.0.0.1", port });
    this.socket.setNoDelay(true);
    this.socket.on("data", (d: Buffer) => this.chunks.push(d));
    this.socket.on("error", (err) => (this.error = err));
    this.socket.on("end", () => (this.ended = true));
    this.socket.on("close", () => (this.closed = true));
  }

  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  data(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async waitBytes(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await waitFor(() => this.bytes >= n, `${n} bytes (have ${this.bytes})`, timeoutMs, 2);
    return this.data();
  }

  /** Write `payload` and measure how long until the echo of everything so far is back. */
  async roundTrip(payload: Buffer | string): Promise<number> {
    const want = this.bytes + Buffer.byteLength(payload);
    const t0 = performance.now();
    this.socket.write(payload);
    await this.waitBytes(want);
    return performance.now() - t0;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function echoBehindProxy(): Promise<{ proxy: NetProxy; echo: Awaited<ReturnType<typeof startEcho>> }> {
  const echo = await startEcho();
  cleanups.push(() => echo.close());
  const proxy = await startProxy({ upstream: { host: "127.0.0.1", port: echo.port } });
  cleanups.push(() => proxy.close());
  return { proxy, echo };
}

function client(proxy: NetProxy): Client {
  const c = new Client(proxy.port);
  cleanups.push(() => c.destroy());
  return c;
}

describe("net proxy", () => {
  it("passes 1 MB through intact and counts bytes and connections", async () => {
    const { proxy } = await echoBehindProxy();
    expect(proxy.url("nats")).toBe(`nats://127.0.0.1:${proxy.port}`);
    expect(proxy.url()).toBe(`tcp://127.0.0.1:${proxy.port}`);
    const c = client(proxy);
    const payload = randomBytes(1024 * 1024);
    c.socket.write(payload);
    const got = await c.waitBytes(payload.length);
    expect(got.equals(payload)).toBe(true);
    expect(proxy.stats()).toEqual({ connections: 1, totalConnections: 1, bytesUp: payload.length, bytesDown: payload.length });

    c.socket.end();
    await waitFor(() => proxy.stats().connections === 0 && c.closed, "the connection to close on both ends");
    expect(proxy.stats().totalConnections).toBe(1);
  });

  it("half-closes: data sent just before the client's FIN still comes back", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    c.socket.end("last words");
    await waitFor(() => c.closed, "the echo server to close after the client's FIN");
    expect(c.data().toString()).toBe("last words");
  });

  it("latency with jitter delays every round trip and keeps byte order; it applies to open connections", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    expect(await c.roundTrip("warm-up")).toBeLessThan(150);

    // Both directions by default: a round trip crosses 150 ± 50 ms twice, so takes >= 200 ms.
    const id = proxy.addToxic({ type: "latency", latencyMs: 150, jitterMs: 50 });
    expect(proxy.toxics()).toEqual([{ id, type: "latency", latencyMs: 150, jitterMs: 50, direction: "both" }]);
    const rtt = await c.roundTrip("ping");
    expect(rtt).toBeGreaterThanOrEqual(190);
    expect(rtt).toBeLessThan(3_000);

    // Many small writes, spaced so each reaches the proxy as its own chunk with its own jitter.
    const before = c.bytes;
    const n = 150;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(i);
      c.socket.write(b);
      await new Promise((r) => setImmediate(r));
    }
    const all = await c.waitBytes(before + n * 4);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    const echoed = all.subarray(before);
    for (let i = 0; i < n; i++) expect(echoed.readUInt32BE(i * 4)).toBe(i);

    proxy.removeToxic(id);
    expect(proxy.toxics()).toEqual([]);
    expect(await c.roundTrip("fast again")).toBeLessThan(150);
  });

  it("bandwidth: 200 KB at 100 KB/s takes about 2 s", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    proxy.addToxic({ type: "bandwidth", rateKBps: 100, direction: "upstream" });
    const payload = randomBytes(200 * 1000);
    const elapsed = await c.roundTrip(payload);
    expect(c.data().equals(payload)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1_800);
    expect(elapsed).toBeLessThan(6_000);
  });

  it("timeout 0 blackholes: nothing passes (dropped, not delayed); removing it lets new data through on the same connection", async () => {
    const { proxy, echo } = await echoBehindProxy();
    const c = client(proxy);
    await c.roundTrip("before|");
    const id = proxy.addToxic({ type: "timeout", timeoutMs: 0 });
    c.socket.write("lost|");
    // Absence can only be shown over a window: for 300 ms nothing reaches the server or comes back.
    const until = Date.now() + 300;
    while (Date.now() < until) {
      expect(echo.received().toString()).toBe("before|");
      expect(c.data().toString()).toBe("before|");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.closed).toBe(false);

    proxy.removeToxic(id);
    await c.roundTrip("after");
    expect(c.data().toString()).toBe("before|after");
    expect(echo.received().toString()).toBe("before|after");
    expect(c.closed).toBe(false);
  });

  it("timeout 300 ms closes the connection after about 300 ms", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    await c.roundTrip("hello");
    const t0 = performance.now();
    proxy.addToxic({ type: "timeout", timeoutMs: 300 });
    c.socket.write("dropped");
    await waitFor(() => c.closed, "the proxy to close the connection", 5_000, 5);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
    expect(c.data().toString()).toBe("hello");
    await waitFor(() => proxy.stats().connections === 0, "the proxy to forget the connection");
  });

  it("reset_peer resets open connections and new ones with ECONNRESET, until removed", async () => {
    const { proxy } = await echoBehindProxy();
    const open = client(proxy);
    await open.roundTrip("hi");
    const id = proxy.addToxic({ type: "reset_peer" });
    await waitFor(() => open.error, "the open connection to be reset");
    expect(open.error!.code).toBe("ECONNRESET");

    const fresh = client(proxy);
    await waitFor(() => fresh.error, "a new connection to be reset");
    expect(fresh.error!.code).toBe("ECONNRESET");

    proxy.removeToxic(id);
    const later = client(proxy);
    await later.roundTrip("fine");
    expect(later.error).toBeNull();
  });

  it("reset_peer with a timeout resets after that long", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    await c.roundTrip("hi");
    const t0 = performance.now();
    proxy.addToxic({ type: "reset_peer", timeoutMs: 250 });
    await c.roundTrip("still up");
    await waitFor(() => c.error, "the connection to be reset", 5_000, 5);
    expect(c.error!.code).toBe("ECONNRESET");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(230);
  });

  it("slicer delivers data intact in several smaller chunks", async () => {
    const { proxy } = await echoBehindProxy();
    const c = client(proxy);
    proxy.addToxic({ type: "slicer", averageSize: 100, sizeVariation: 20, delayUs: 5_000, direction: "downstream" });
    const payload = randomBytes(2_000);
    c.socket.write(payload);
    const got = await c.waitBytes(payload.length);
    expect(got.equals(payload)).toBe(true);
    // About 20 slices 5 ms apart; a busy client may read two at once, so ask for far fewer.
    expect(c.chunks.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...c.chunks.map((ch) => ch.length))).toBeLessThanOrEqual(120);
  });

  it("respects backpressure: a client that does not read stalls the server instead of filling the proxy", async () => {
    // A server that pushes as fast as its socket lets it.
    let sent = 0;
    let stop = false;
    const source = createServer((s) => {
      s.on("error", () => {});
      const chunk = randomBytes(256 * 1024);
      const pump = () => {
        while (!stop && sent < 512 * 1024 * 1024) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once("drain", pump);
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => source.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => source.close(() => resolve())));
    const proxy = await startProxy({ upstream: { host: "127.0.0.1", port: (source.address() as { port: number }).port } });
    cleanups.push(() => proxy.close());
    proxy.addToxic({ type: "latency", latencyMs: 20, direction: "downstream" });
    const c = client(proxy);
    c.socket.pause();
    // Stalled = no progress over 300 ms (kernel socket buffers take their share first).
    let last = -1;
    await waitFor(
      () => {
        const stalled = sent > 0 && sent === last;
        last = sent;
        return stalled;
      },
      "the server to stall",
      10_000,
      300,
    );
    // Loopback socket buffers hold some MB per socket; an unbounded proxy would have taken it all.
    expect(sent).toBeLessThan(96 * 1024 * 1024);
    const stalledAt = sent;
    c.socket.resume();
    await waitFor(() => sent > stalledAt + 8 * 1024 * 1024, "data to flow again once the client reads");
    stop = true;
  });

  it("rejects toxics that cannot work with a ConfigError", async () => {
    const { proxy } = await echoBehindProxy();
    expect(() => proxy.addToxic({ type: "bandwidth", rateKBps: 0 })).toThrow(ConfigError);
    expect(() => proxy.addToxic({ type: "latency", latencyMs: -1 })).toThrow(ConfigError);
    expect(() => proxy.addToxic({ type: "slicer", averageSize: 0 })).toThrow(ConfigError);
    expect(() => proxy.addToxic({ type: "timeout", timeoutMs: 10, direction: "sideways" as never })).toThrow(ConfigError);
    expect(() => proxy.addToxic({ type: "nope" } as never)).toThrow(ConfigError);
    expect(proxy.toxics()).toEqual([]);
  });

  it("an unreachable upstream closes the client without crashing", async () => {
    const deadPort = await freePort();
    const proxy = await startProxy({ upstream: { host: "127.0.0.1", port: deadPort } });
    cleanups.push(() => proxy.close());
    const c = client(proxy);
    c.socket.write("anyone?");
    await waitFor(() => c.closed, "the client to be closed");
    await waitFor(() => proxy.stats().connections === 0, "the proxy to forget the connection");
    expect(proxy.stats().bytesDown).toBe(0);
  });

  it("close() closes every connection and releases the listener", async () => {
    const { proxy, echo } = await echoBehindProxy();
    const a = client(proxy);
    const b = client(proxy);
    await a.roundTrip("a");
    await b.roundTrip("b");
    expect(proxy.stats().connections).toBe(2);
    await proxy.close();
    await waitFor(() => a.closed && b.closed, "both clients to be closed");
    await waitFor(() => echo.sockets.size === 0, "the upstream sockets to be closed");
    expect(proxy.stats().connections).toBe(0);

    const refused = new Client(proxy.port);
    await waitFor(() => refused.error, "a connection attempt to fail");
    expect(refused.error!.code).toBe("ECONNREFUSED");
    await proxy.close(); // idempotent
  });

  it("partition cuts a real NATS client off, and it reconnects through the proxy once removed", async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.cleanup());
    const proxy = await startProxy({ upstream: { host: "127.0.0.1", port: broker.port } });
    cleanups.push(() => proxy.close());

    const nc: NatsConnection = await natsConnect({ servers: proxy.url("nats"), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    cleanups.push(() => nc.close());
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    nc.subscribe("pizzeria.ping", {
      callback: (_err, m) => {
        m.respond("pong");
      },
    });
    expect((await nc.request("pizzeria.ping", "", { timeout: 2_000 })).string()).toBe("pong");

    const id = proxy.addToxic({ type: "partition" });
    expect(proxy.stats().connections).toBe(0);
    await waitFor(() => statuses.includes("disconnect"), "the client to report a disconnect", 10_000);
    await expect(nc.request("pizzeria.ping", "", { timeout: 500 })).rejects.toThrow();
    await waitFor(() => proxy.stats().totalConnections > 2, "reconnect attempts to be cut as well", 10_000);
    expect(proxy.stats().connections).toBe(0);
    expect(statuses).not.toContain("reconnect");

    proxy.removeToxic(id);
    await waitFor(() => statuses.includes("reconnect"), "the client to reconnect", 10_000);
    const got = new Promise<string>((resolve) => {
      nc.subscribe("pizzeria.round-trip", { max: 1, callback: (_err, m) => resolve(m.string()) });
    });
    nc.publish("pizzeria.round-trip", "through the proxy again");
    expect(await got).toBe("through the proxy again");
    expect((await nc.request("pizzeria.ping", "", { timeout: 2_000 })).string()).toBe("pong");
    expect(proxy.stats().connections).toBe(1);
  });
});
