import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { BrokerUnavailableError, errorMessage } from "../../services/shared/errors.js";
import { freePort, startBroker, type LocalBroker } from "./broker.js";
import { forgetDir, removeOnExit } from "./reaper.js";

/**
 * A local JetStream cluster: `size` nats-servers on loopback, routed to each other, each with its
 * own client, cluster and monitoring port and its own store. Node n (0-based) is "broker/<n+1>"
 * in fault targets and runs as server `pizzeria-n<n+1>`.
 */
export interface LocalCluster {
  /** Client URLs of all nodes, in node order. */
  urls: string[];
  /** Index 0..size-1. Each node's `restart()` comes back on the same ports with the same store, so it rejoins. */
  nodes: LocalBroker[];
  /** Index of the node that currently leads `stream` (its JetStream stream leader). Rejects while it has none. */
  leaderOf(stream: string): Promise<number>;
  /** Index of the JetStream meta leader. Rejects while there is none. */
  metaLeader(): Promise<number>;
  /** Stop all nodes; stores are removed when this cluster created them. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Number of nodes (default 3, at least 2). */
  size?: number;
  /** Directory for the nodes' logs (`n1.log`, ...); discarded when absent. */
  logDir?: string;
  /** Parent of the nodes' store directories (`n1`, ...); a temporary one (removed at stop) when absent. */
  storeDir?: string;
  /** How long the whole cluster may take to become usable (default 30 s). */
  readyTimeoutMs?: number;
}

export const CLUSTER_NAME = "pizzeria";

/** Server name of node `index` (0-based). */
export function clusterServerName(index: number): string {
  return `pizzeria-n${index + 1}`;
}

/** nats-server arguments that make node `index` a member of the cluster (on top of what `startBroker` passes). */
export function clusterArgs(index: number, clusterPorts: number[]): string[] {
  const routes = clusterPorts.filter((_, i) => i !== index).map((p) => `nats://127.0.0.1:${p}`);
  return [
    "--cluster_name", CLUSTER_NAME,
    "--cluster", `nats://127.0.0.1:${clusterPorts[index]}`,
    ...(routes.length ? ["--routes", routes.join(",")] : []),
  ];
}

/**
 * Start the cluster and resolve once it is usable: a meta leader is elected and an R<size> stream
 * can be created (and is deleted again). Fails with a BrokerUnavailableError after `readyTimeoutMs`.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 2) {
    // nats-server refuses a JetStream cluster without routes; one server is what startBroker is for.
    throw new RangeError(`a JetStream cluster needs at least 2 nodes (3 to survive losing one), got ${size}`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + readyTimeoutMs;
  const ownStore = !options.storeDir;
  const storeRoot = options.storeDir ?? mkdtempSync(join(tmpdir(), "pizzeria-cluster-"));
  if (ownStore) removeOnExit(storeRoot); // gone with the harness however it ends (the reaper)
  mkdirSync(storeRoot, { recursive: true });
  if (options.logDir) mkdirSync(options.logDir, { recursive: true });

  const ports = await distinctFreePorts(3 * size);
  const clientPorts = ports.slice(0, size);
  const clusterPorts = ports.slice(size, 2 * size);
  const monitorPorts = ports.slice(2 * size);
  const names = Array.from({ length: size }, (_, i) => clusterServerName(i));

  const started = await Promise.allSettled(
    names.map((serverName, i) =>
      startBroker({
        serverName,
        port: clientPorts[i],
        monitorPort: monitorPorts[i],
        storeDir: join(storeRoot, `n${i + 1}`),
        ...(options.logDir ? { logFile: join(options.logDir, `n${i + 1}.log`) } : {}),
        args: clusterArgs(i, clusterPorts),
        readyTimeoutMs: Math.max(1_000, deadline - Date.now()),
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const urls = clientPorts.map((p) => `nats://127.0.0.1:${p}`);

  // One lazily opened client connection (to all nodes) for leader queries.
  let nc: NatsConnection | null = null;
  let opening: Promise<JetStreamManager> | null = null;
  function manager(): Promise<JetStreamManager> {
    if (!opening || !nc || nc.isClosed()) {
      opening = (async () => {
        nc = await connect({ servers: urls, name: "pizzeria-cluster", maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 2_000 });
        return jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
      })();
      opening.catch(() => {
        opening = null;
      });
    }
    return opening;
  }

  const indexOf = (serverName: string | undefined, what: string): number => {
    const index = serverName ? names.indexOf(serverName) : -1;
    if (index < 0) throw new BrokerUnavailableError(serverName ? `${what} is ${serverName}, which is not a node of this cluster` : `${what}: none elected`);
    // Right after a kill the survivors may still name the dead leader for a while: it does not count.
    if (!nodes[index]?.running) throw new BrokerUnavailableError(`${what} is ${serverName}, which is down: none elected yet`);
    return index;
  };

  let stopped = false;
  const cluster: LocalCluster = {
    urls,
    nodes,
    async leaderOf(stream) {
      const info = await (await manager()).streams.info(stream);
      return indexOf(info.cluster?.leader, `leader of stream ${stream}`);
    },
    async metaLeader() {
      const seen = await Promise.all(nodes.map((n) => (n.running ? metaLeaderSeenBy(n.monitorPort) : undefined)));
      return indexOf(seen.find((name) => name && nodes[names.indexOf(name)]?.running) ?? seen.find(Boolean), "JetStream meta leader");
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const conn = opening ? await opening.then(() => nc, () => null) : null;
      nc = null;
      opening = null;
      await conn?.close().catch(() => undefined);
      await Promise.all(nodes.map((n) => n.stop()));
      if (ownStore) {
        rmSync(storeRoot, { recursive: true, force: true });
        forgetDir(storeRoot);
      }
    },
  };

  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await cluster.stop();
    throw new BrokerUnavailableError(`cluster node did not start: ${errorMessage(failed.reason)}`, { cause: failed.reason });
  }

  try {
    await untilUsable(cluster, manager, size, deadline, readyTimeoutMs);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Wait for a meta leader, then for an R<size> probe stream to be creatable (it is deleted again). */
async function untilUsable(
  cluster: LocalCluster,
  manager: () => Promise<JetStreamManager>,
  size: number,
  deadline: number,
  readyTimeoutMs: number,
): Promise<void> {
  const probe = `PIZZERIA_CLUSTER_PROBE_${process.pid}_${Date.now().toString(36)}`;
  let stage = "electing a JetStream meta leader";
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (stage.startsWith("electing")) {
        await cluster.metaLeader();
        stage = `creating an R${size} stream`;
      }
      const jsm = await manager();
      await jsm.streams.add({ name: probe, subjects: [`pizzeria.cluster-probe.${probe}`], num_replicas: size, storage: StorageType.File });
      await jsm.streams.delete(probe);
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new BrokerUnavailableError(
    `the ${size}-node JetStream cluster was not usable within ${readyTimeoutMs} ms (stuck ${stage}${last ? `: ${errorMessage(last)}` : ""})`,
    { cause: last },
  );
}

async function metaLeaderSeenBy(monitorPort: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { meta_cluster?: { leader?: string } };
    return body.meta_cluster?.leader || undefined;
  } catch {
    return undefined;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}
