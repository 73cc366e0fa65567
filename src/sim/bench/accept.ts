import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { STREAMS } from "../../services/shared/contracts.js";
import { connectNats } from "../../services/shared/nats.js";
import type { RunMode } from "../scenario/run-mode.js";
import { startBroker } from "../system/broker.js";
import { createBareServer } from "./bare-server.js";
import { orderBodies, postOrders, type HttpFigures } from "./http-load.js";
import { postOrdersPaced } from "./paced-load.js";
import { cpuMicrosPer, measureCpu, type CpuShares } from "./cpu.js";
import { loadAverage } from "./machine.js";
import { spawnBareServer, spawnOrderService, type ChildServer } from "./processes.js";
import type { Progress } from "./progress.js";
import { bar } from "./progress.js";

/** The modes a benchmark measures: the run modes. */
export type BenchMode = RunMode;

export interface AcceptOptions {
  mode: BenchMode;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The order service's --max-concurrent, raised so 503s do not cap the rate. */
  maxConcurrent: number;
  seed: number;
  /** Scratch directory (SQLite files, logs). */
  workDir: string;
  logLevel: string;
  /** Cap autocannon's rate (quick mode: the test suite runs beside other tests; null: as fast as answered). */
  rateCap?: number;
  /** Write `node --cpu-prof` profiles of the order service (processes) or this process (inprocess) here. */
  cpuProfDir?: string;
  progress: Progress;
}

export interface AcceptRun extends HttpFigures {
  /** When this run started: the machine is shared, so the load average goes with the figure. */
  loadAverage: [number, number, number];
  /**
   * CPU time over wall time of each process during the run: `server` (the order service or the
   * bare server; in inprocess mode it is `self`), `self` (this process: autocannon, plus the
   * server in inprocess mode), `natsServer`.
   */
  cpu: CpuShares;
  /** CPU microseconds the server spent per answered request (processes mode; null in-process). */
  serverCpuMicrosPerRequest: number | null;
}

export interface AcceptResult {
  mode: BenchMode;
  settings: { connections: number; durationSeconds: number; maxConcurrent: number; logLevel: string; seed: number };
  bare: AcceptRun;
  accept: AcceptRun & {
    /** Outbox rows still unpublished when the load stopped, and how long the relay took to publish them. */
    outboxBacklogAtEnd: number;
    outboxDrainMs: number;
    /** Accepted orders over (load + outbox drain): the rate at which orders became durable events. */
    publishedPerSecond: number;
  };
  /** accept.okPerSecond / bare.okPerSecond: the share of the bare HTTP rate kept with full durability. */
  ratio: number;
  /**
   * At half of the accept maximum, paced (open model: each order at its scheduled time, latency from
   * that time; see paced-load.ts for why not autocannon's overallRate).
   */
  half: AcceptRun;
  /**
   * The bare node:http server paced at the same rate as `half`, with the same load generator: the
   * floor under the order service's latency at that rate (what node:http and the load generator
   * cost on this machine at that moment). Absent in results from before it was measured.
   */
  bareHalf?: AcceptRun;
  /**
   * Every 201 of the run is an OrderPlaced in JetStream: the stream holds at least as many as were
   * answered (a few more when autocannon stopped with requests in flight that the service committed).
   */
  durability: { accepted: number; placedInStream: number; complete: boolean };
}

interface Target {
  url: string;
  /** Its own process (processes mode). */
  pid?: number;
  stop(): Promise<void>;
  health?(): Promise<{ outbox_pending: number }>;
}

async function httpHealth(url: string): Promise<{ outbox_pending: number }> {
  const res = await fetch(`${url}/health`);
  return (await res.json()) as { outbox_pending: number };
}

function listenInProcess(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

async function startBare(o: AcceptOptions): Promise<Target> {
  if (o.mode === "processes") {
    const child: ChildServer = await spawnBareServer({ cpuProfDir: o.cpuProfDir });
    return { url: child.url, pid: child.pid, stop: () => child.stop() };
  }
  const server = createBareServer();
  const url = await listenInProcess(server);
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function startOrder(o: AcceptOptions, natsUrl: string, dir: string): Promise<Target> {
  if (o.mode === "processes") {
    const child = await spawnOrderService({ natsUrl, dir, maxConcurrent: o.maxConcurrent, logLevel: o.logLevel, cpuProfDir: o.cpuProfDir });
    return { url: child.url, pid: child.pid, stop: () => child.stop(), health: () => httpHealth(child.url) };
  }
  const { start } = await import("../../services/order/index.js");
  const svc = await start({
    nats: { servers: natsUrl },
    instance: "order-1",
    port: 0,
    maxConcurrent: o.maxConcurrent,
    dbFile: join(dir, "order-order-1.db"),
    logFile: join(dir, "order-order-1.log"),
    logLevel: o.logLevel,
  });
  return { url: svc.url, stop: () => svc.stop(), health: async () => ({ outbox_pending: svc.outbox.pending() }) };
}

/**
 * The order API's cost: autocannon against a bare node:http server (the ceiling), then against
 * the order service with full durability (SQLite commit + outbox, relay to JetStream), then at
 * half that rate for latency. In processes mode each server is its own process, as an operator
 * runs it; in inprocess mode they share this process (and its one thread) with autocannon.
 */
export async function benchAccept(o: AcceptOptions): Promise<AcceptResult> {
  const pool = orderBodies(o.seed);
  const dir = join(o.workDir, `accept-${o.mode}`);
  mkdirSync(dir, { recursive: true });
  const tag = `accept[${o.mode}]`;
  let pacedSeed = o.seed * 1000 + 1;
  const run = async (label: string, target: Target, seconds: number, pacedRate?: number, natsPid?: number): Promise<AcceptRun> => {
    const la = loadAverage();
    const cpu = measureCpu({ server: target.pid, natsServer: natsPid });
    const onTick = (answered: number) => o.progress.status(`${tag} ${label.padEnd(12)} ${bar(pacedRate ? answered / (pacedRate * seconds) : 0)} ${fmt(answered)} answered`);
    const figures = pacedRate
      ? await postOrdersPaced({ url: target.url, rate: pacedRate, durationSeconds: seconds, seed: pacedSeed++, onTick })
      : await postOrders({ url: target.url, pool, label: `${o.mode}-${label}-${Date.now()}`, connections: o.connections, durationSeconds: seconds, overallRate: o.rateCap, onTick });
    const shares = cpu.stop();
    const server = shares.server ?? null;
    return {
      ...figures,
      loadAverage: la,
      cpu: shares,
      serverCpuMicrosPerRequest: server === null ? null : cpuMicrosPer(server, figures.seconds, figures.ok),
    };
  };

  // The baseline first, on its own.
  const bareServer = await startBare(o);
  let bare: AcceptRun;
  try {
    if (o.warmupSeconds > 0) await run("bare warm-up", bareServer, o.warmupSeconds);
    bare = await run("bare", bareServer, o.durationSeconds);
  } finally {
    await bareServer.stop();
  }
  o.progress.step(`${tag} bare node:http     ${fmt(bare.okPerSecond)} req/s  p50 ${bare.latencyMs.p50} ms  p99 ${bare.latencyMs.p99} ms  ${cpuText(bare)}  (load ${bare.loadAverage.join(" ")})`);

  const broker = await startBroker({ logFile: join(dir, "nats-server.log") });
  try {
    const order = await startOrder(o, broker.url, dir);
    let accept: AcceptResult["accept"];
    let half: AcceptRun;
    let halfRate = 1;
    let warmOk = 0;
    try {
      if (o.warmupSeconds > 0) warmOk = (await run("warm-up", order, o.warmupSeconds, undefined, broker.pid)).ok;
      await drainOutbox(order);
      const max = await run("accept", order, o.durationSeconds, undefined, broker.pid);
      const backlog = (await order.health!()).outbox_pending;
      const drainMs = await drainOutbox(order);
      accept = {
        ...max,
        outboxBacklogAtEnd: backlog,
        outboxDrainMs: drainMs,
        publishedPerSecond: Math.round(max.ok / (max.seconds + drainMs / 1000)),
      };
      o.progress.step(`${tag} order service      ${fmt(accept.okPerSecond)} orders/s  p50 ${accept.latencyMs.p50} ms  p99 ${accept.latencyMs.p99} ms  errors ${accept.errors + accept.non2xx}  outbox backlog ${backlog} (${drainMs} ms to publish)  ${cpuText(max)}  (load ${max.loadAverage.join(" ")})`);
      halfRate = Math.max(1, accept.okPerSecond / 2);
      // The paced loader opens its own connections: warm them (and its code) up first.
      if (o.warmupSeconds > 0) warmOk += (await run("paced warm-up", order, Math.min(2, o.warmupSeconds), halfRate, broker.pid)).ok;
      half = await run("half rate", order, o.durationSeconds, halfRate, broker.pid);
      await drainOutbox(order);
      o.progress.step(`${tag} at half rate       ${fmt(half.okPerSecond)} orders/s (paced, ${half.late ?? 0} sent late)  p50 ${half.latencyMs.p50} ms  p99 ${half.latencyMs.p99} ms  ${cpuText(half)}  (load ${half.loadAverage.join(" ")})`);
    } finally {
      await order.stop();
    }
    // The floor under `half`: the bare server, paced at the same rate by the same load generator.
    const bareAgain = await startBare(o);
    let bareHalf: AcceptRun;
    try {
      if (o.warmupSeconds > 0) await run("bare paced warm-up", bareAgain, Math.min(2, o.warmupSeconds), halfRate);
      bareHalf = await run("bare at half", bareAgain, o.durationSeconds, halfRate);
    } finally {
      await bareAgain.stop();
    }
    o.progress.step(`${tag} bare at the same rate ${fmt(bareHalf.okPerSecond)} req/s (paced, ${bareHalf.late ?? 0} sent late)  p50 ${bareHalf.latencyMs.p50} ms  p99 ${bareHalf.latencyMs.p99} ms  ${cpuText(bareHalf)}  (load ${bareHalf.loadAverage.join(" ")})`);
    const placedInStream = await streamMessages(broker.url);
    const accepted = warmOk + accept.ok + half.ok;
    return {
      mode: o.mode,
      settings: { connections: o.connections, durationSeconds: o.durationSeconds, maxConcurrent: o.maxConcurrent, logLevel: o.logLevel, seed: o.seed },
      bare,
      accept,
      ratio: Math.round((accept.okPerSecond / Math.max(1, bare.okPerSecond)) * 1000) / 1000,
      half,
      bareHalf,
      durability: { accepted, placedInStream, complete: placedInStream >= accepted },
    };
  } finally {
    o.progress.done();
    await broker.stop();
  }
}

/** Wait until the relay published everything; how long that took. */
async function drainOutbox(target: Target, timeoutMs = 60_000): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if ((await target.health!()).outbox_pending === 0) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the outbox did not drain within ${timeoutMs} ms`);
}

async function streamMessages(natsUrl: string): Promise<number> {
  const nc = await connectNats({ servers: natsUrl }, "bench:count");
  try {
    const info = await (await jetstreamManager(nc)).streams.info(STREAMS.orders);
    return info.state.messages;
  } finally {
    await nc.close();
  }
}

function cpuText(r: AcceptRun): string {
  const share = (x: number | null | undefined) => (x === null || x === undefined ? "-" : `${Math.round(x * 100)}%`);
  const per = r.serverCpuMicrosPerRequest === null ? "" : ` = ${r.serverCpuMicrosPerRequest} us/request`;
  return `cpu: server ${share(r.cpu.server)}${per}, nats-server ${share(r.cpu.natsServer)}, load generator ${share(r.cpu.self)}`;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
