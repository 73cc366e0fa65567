import { existsSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STREAMS } from "../src/services/shared/contracts.js";
import { ensureStreams, resolveTopology } from "../src/services/shared/nats.js";
import { clusterServerName, startCluster, type LocalCluster } from "../src/sim/system/cluster.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

const SIZE = 3;
const names = Array.from({ length: SIZE }, (_, i) => clusterServerName(i));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The stream's peers as the leader reports them: the leader itself plus its replicas. */
async function peers(jsm: JetStreamManager, stream: string): Promise<Array<{ name: string; current: boolean }>> {
  const { cluster } = await jsm.streams.info(stream);
  if (!cluster?.leader) return [];
  return [{ name: cluster.leader, current: true }, ...(cluster.replicas ?? []).map((r) => ({ name: r.name, current: r.current && !r.offline }))];
}

describe("local 3-node JetStream cluster", () => {
  let cluster: LocalCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    cluster = await startCluster({ size: SIZE, logDir: scratchDir("cluster") });
    nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    jsm = await jetstreamManager(nc, { timeout: 2_000 });
  });

  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it("starts 3 routed nodes with a meta leader, and holds an R3 stream on all of them", async () => {
    expect(cluster.urls).toHaveLength(SIZE);
    expect(new Set(cluster.urls).size).toBe(SIZE);
    expect(cluster.nodes.every((n) => n.running)).toBe(true);
    expect(await cluster.metaLeader()).toBeGreaterThanOrEqual(0);

    await ensureStreams(jsm, resolveTopology({ replicas: 3 }));
    const info = await jsm.streams.info(STREAMS.orders);
    expect(info.config.num_replicas).toBe(3);
    const all = await waitFor(async () => {
      const p = await peers(jsm, STREAMS.orders);
      return p.length === SIZE && p.every((x) => x.current) ? p : null;
    }, "3 current peers of ORDERS");
    expect(all.map((p) => p.name).sort()).toEqual(names);
    const leader = await cluster.leaderOf(STREAMS.orders);
    expect(names[leader]).toBe(all[0]!.name);
  });

  it("survives kill -9 of the stream leader: a new leader, every message exactly once, and the node rejoins", async () => {
    await ensureStreams(jsm, resolveTopology({ replicas: 3 }));
    const before = (await jsm.streams.info(STREAMS.orders)).state.last_seq;
    const js = jetstream(nc, { timeout: 1_000 });
    const oldLeader = await cluster.leaderOf(STREAMS.orders);

    const total = 200;
    const killAt = 100;
    const ids = Array.from({ length: total }, (_, i) => `failover-${i}`);
    let failures = 0;
    const reasons = new Map<string, number>();
    let killedAt = 0;
    let recoveredAt = 0;
    for (let i = 0; i < total; i++) {
      if (i === killAt) {
        killedAt = Date.now();
        await cluster.nodes[oldLeader]!.kill();
        expect(cluster.nodes[oldLeader]!.running).toBe(false);
      }
      // A publish that fails (no leader yet) is retried with the same msgID until it is stored.
      for (;;) {
        try {
          await js.publish(`pizzeria.order.placed.test.failover`, ids[i]!, { msgID: ids[i]! });
          break;
        } catch (err) {
          failures++;
          const reason = err instanceof Error ? err.message : String(err);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          if (Date.now() - killedAt > 30_000) throw new Error(`no publish succeeded within 30 s of killing ${names[oldLeader]}: ${reason}`);
          await new Promise((r) => setTimeout(r, 50)); // retry backoff, not a wait for a condition
        }
      }
      if (i === killAt) recoveredAt = Date.now();
    }
    const failoverMs = recoveredAt - killedAt;
    console.log(`[cluster] killed stream leader ${names[oldLeader]}: first publish stored after ${failoverMs} ms, ${failures} publish attempts failed (${[...reasons].map(([r, n]) => `${n}× ${r}`).join("; ")})`);

    const newLeader = (await waitFor(async () => ({ index: await cluster.leaderOf(STREAMS.orders) }), "a new ORDERS leader")).index;
    expect(newLeader).not.toBe(oldLeader);
    expect(cluster.nodes[newLeader]!.running).toBe(true);

    // Exactly once: 200 new messages, and their msgIDs are the 200 we sent, each once.
    const info = await jsm.streams.info(STREAMS.orders);
    expect(info.state.last_seq - before).toBe(total);
    const stored: string[] = [];
    for (let seq = before + 1; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(STREAMS.orders, { seq });
      stored.push(m!.header?.get("Nats-Msg-Id") ?? "");
    }
    expect([...stored].sort()).toEqual([...ids].sort());
    expect(new Set(stored).size).toBe(total);

    // The killed node comes back on the same ports with the same store and catches up.
    const restartAt = Date.now();
    await cluster.nodes[oldLeader]!.restart();
    expect(cluster.nodes[oldLeader]!.running).toBe(true);
    const rejoined = await waitFor(async () => {
      const p = await peers(jsm, STREAMS.orders);
      return p.length === SIZE && p.every((x) => x.current) ? p : null;
    }, `${names[oldLeader]} to rejoin ORDERS as a current peer`, 30_000);
    console.log(`[cluster] ${names[oldLeader]} restarted and current in ORDERS again after ${Date.now() - restartAt} ms`);
    expect(rejoined.map((p) => p.name).sort()).toEqual(names);
    // It holds the messages it missed: its own monitoring port says so.
    const caughtUp = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${cluster.nodes[oldLeader]!.monitorPort}/jsz?accounts=true&streams=true`);
      const body = (await r.json()) as { account_details?: Array<{ stream_detail?: Array<{ name: string; state: { messages: number; last_seq: number } }> }> };
      const s = body.account_details?.flatMap((a) => a.stream_detail ?? []).find((d) => d.name === STREAMS.orders);
      return s && s.state.last_seq >= info.state.last_seq ? s : null;
    }, `${names[oldLeader]} to hold ORDERS up to seq ${info.state.last_seq}`);
    expect(caughtUp.state.last_seq).toBe(info.state.last_seq);
    expect(caughtUp.state.messages).toBe(info.state.messages);
  });

  it("stop() leaves no nats-server of the cluster alive and removes the stores it created", async () => {
    const pids = cluster.nodes.map((n) => n.pid);
    expect(pids.every((p) => typeof p === "number")).toBe(true);
    const stores = cluster.nodes.map((n) => n.storeDir);
    await nc.close();
    await cluster.stop();
    for (const pid of pids) expect(alive(pid!), `nats-server ${pid}`).toBe(false);
    expect(cluster.nodes.every((n) => !n.running)).toBe(true);
    for (const dir of stores) expect(existsSync(dir)).toBe(false);
  });
});
