/**
 * A loopback TCP proxy with Toxiproxy-style toxics: the "network between one service instance
 * and NATS" fault. Each service instance that should suffer network faults connects to NATS
 * through its own proxy; adding a toxic to the proxy degrades (or cuts) that instance's network
 * while the others are untouched.
 *
 * Toxics act on connections already open as well as on new ones. Nothing here throws from a
 * socket event: every socket has an error handler, and a socket error tears the connection
 * down (a reset travels on as a reset).
 */
import { connect, createServer, type Socket } from "node:net";
import { PizzeriaError } from "../../services/shared/errors.js";
import { flowToxics, normalizeToxic, ToxicLink, type Flow, type FlowToxics, type ToxicSpec } from "./toxics.js";

export type { Direction, ToxicSpec, ToxicType } from "./toxics.js";

/** The proxy could not listen. */
export class NetProxyError extends PizzeriaError {}

export interface ProxyOptions {
  upstream: { host: string; port: number };
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** Default 0: a free port. */
  listenPort?: number;
}

export interface ProxyStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since the start (including those a partition or reset killed at once). */
  totalConnections: number;
  /** Bytes delivered client -> server (after toxics: dropped bytes do not count). */
  bytesUp: number;
  /** Bytes delivered server -> client. */
  bytesDown: number;
}

export interface NetProxy {
  host: string;
  port: number;
  /** e.g. url("nats") -> "nats://127.0.0.1:PORT"; default scheme "tcp". */
  url(scheme?: string): string;
  upstream: { host: string; port: number };
  /** Validates (ConfigError), applies to open and future connections; returns the toxic's id. */
  addToxic(spec: ToxicSpec): string;
  /** Removing an unknown (or already removed) id does nothing. */
  removeToxic(id: string): void;
  clearToxics(): void;
  /** The toxics in the order added, with defaults filled in. */
  toxics(): Array<{ id: string } & ToxicSpec>;
  stats(): ProxyStats;
  /** Closes the listener and every connection. Idempotent. */
  close(): Promise<void>;
}

const ignore = (): void => {};

/** RST instead of FIN; a socket still connecting is simply destroyed. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export async function startProxy(options: ProxyOptions): Promise<NetProxy> {
  const upstream = { host: options.upstream.host, port: options.upstream.port };
  const listenHost = options.listenHost ?? "127.0.0.1";
  const toxicMap = new Map<string, ToxicSpec>();
  let flows: Record<Flow, FlowToxics> = { upstream: flowToxics([], "upstream"), downstream: flowToxics([], "downstream") };
  let seq = 0;
  let closing: Promise<void> | null = null;
  const stats = { totalConnections: 0, bytesUp: 0, bytesDown: 0 };
  const conns = new Set<Connection>();

  const partitioned = (): boolean => [...toxicMap.values()].some((t) => t.type === "partition");

  class Connection {
    readonly up: ToxicLink;
    readonly down: ToxicLink;
    /** Close / reset timers of timeout and reset_peer toxics, by toxic id. */
    private readonly timers = new Map<string, NodeJS.Timeout>();
    private upFinished = false;
    private downFinished = false;
    private gone = false;

    constructor(
      readonly client: Socket,
      readonly server: Socket,
    ) {
      this.up = new ToxicLink(client, server, {
        toxics: () => flows.upstream,
        delivered: (n) => {
          stats.bytesUp += n;
        },
        finished: () => {
          this.upFinished = true;
          this.checkDone();
        },
      });
      this.down = new ToxicLink(server, client, {
        toxics: () => flows.downstream,
        delivered: (n) => {
          stats.bytesDown += n;
        },
        finished: () => {
          this.downFinished = true;
          this.checkDone();
        },
      });
      for (const socket of [client, server]) {
        socket.on("error", (err: NodeJS.ErrnoException) => this.teardown(err.code === "ECONNRESET" ? "reset" : "close"));
        socket.on("close", () => this.onClose(socket));
      }
    }

    start(): void {
      this.up.start();
      this.down.start();
      this.syncTimers();
    }

    /** A socket closed: if it had ended cleanly, the other direction may still drain; else tear down. */
    private onClose(socket: Socket): void {
      if (this.gone) return;
      if (!socket.readableEnded) {
        this.teardown("close");
        return;
      }
      // Nothing more can be written to it.
      (socket === this.client ? this.down : this.up).stop();
      this.checkDone();
    }

    private checkDone(): void {
      if ((this.upFinished || this.up.isStopped) && (this.downFinished || this.down.isStopped)) this.teardown("close");
    }

    /** Start timers for timeout / reset_peer toxics new to this connection; drop those of removed ones. */
    syncTimers(): void {
      if (this.gone) return;
      for (const [id, timer] of this.timers) {
        if (!toxicMap.has(id)) {
          clearTimeout(timer);
          this.timers.delete(id);
        }
      }
      for (const [id, t] of toxicMap) {
        if (this.timers.has(id)) continue;
        if (t.type === "timeout" && t.timeoutMs > 0) {
          this.timers.set(id, setTimeout(() => this.teardown("close"), t.timeoutMs));
        } else if (t.type === "reset_peer") {
          const ms = t.timeoutMs ?? 0;
          if (ms === 0) {
            this.teardown("reset");
            return;
          }
          this.timers.set(id, setTimeout(() => this.teardown("reset"), ms));
        }
      }
    }

    wake(): void {
      this.up.wake();
      this.down.wake();
    }

    /** Idempotent. "reset" sends RSTs both ways. */
    teardown(how: "close" | "reset"): void {
      if (this.gone) return;
      this.gone = true;
      conns.delete(this);
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
      this.up.stop();
      this.down.stop();
      for (const socket of [this.client, this.server]) {
        if (how === "reset") resetSocket(socket);
        else socket.destroy();
      }
    }
  }

  const listener = createServer({ allowHalfOpen: true }, (client) => {
    stats.totalConnections++;
    client.on("error", ignore);
    if (closing || partitioned()) {
      client.destroy();
      return;
    }
    const server = connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
    server.on("error", ignore);
    client.setNoDelay(true);
    server.setNoDelay(true);
    const conn = new Connection(client, server);
    conns.add(conn);
    conn.start();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new NetProxyError(`proxy could not listen on ${listenHost}:${options.listenPort ?? 0}: ${err.message}`, { cause: err }));
    listener.once("error", onError);
    listener.listen(options.listenPort ?? 0, listenHost, () => {
      listener.off("error", onError);
      resolve();
    });
  });
  listener.on("error", ignore);
  const port = (listener.address() as { port: number }).port;

  function changed(): void {
    const all = [...toxicMap.values()];
    flows = { upstream: flowToxics(all, "upstream"), downstream: flowToxics(all, "downstream") };
    const cut = partitioned();
    for (const conn of [...conns]) {
      if (cut) conn.teardown("close");
      else {
        conn.syncTimers();
        conn.wake();
      }
    }
  }

  return {
    host: listenHost,
    port,
    url: (scheme = "tcp") => `${scheme}://${listenHost.includes(":") ? `[${listenHost}]` : listenHost}:${port}`,
    upstream: { ...upstream },
    addToxic(spec) {
      const toxic = normalizeToxic(spec);
      const id = `${toxic.type}_${++seq}`;
      toxicMap.set(id, toxic);
      changed();
      return id;
    },
    removeToxic(id) {
      if (toxicMap.delete(id)) changed();
    },
    clearToxics() {
      if (toxicMap.size === 0) return;
      toxicMap.clear();
      changed();
    },
    toxics: () => [...toxicMap].map(([id, t]) => ({ id, ...t })),
    stats: () => ({ connections: conns.size, ...stats }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const conn of [...conns]) conn.teardown("close");
      });
      return closing;
    },
  };
}
