import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS, subjects } from "../../services/shared/contracts.js";
import { errorMessage } from "../../services/shared/errors.js";
import type { LocalBroker } from "../system/broker.js";
import type { LocalCluster } from "../system/cluster.js";
import { control } from "../system/control-client.js";
import { formatDuration } from "../scenario/duration.js";
import type { Launcher } from "../system/launcher.js";
import type { InstanceProxies } from "./instance-proxies.js";
import type { ToxicSpec } from "./net-proxy.js";
import type { FaultRecord, FaultSource, RunMode } from "../telemetry/run-events.js";

/** A fault to inject: a scenario's chaos step, a key in the dashboard, or `pizzeria chaos`. */
export interface FaultRequest {
  kind: string;
  target: string | null;
  forMs?: number;
  restartAfterMs?: number;
  params?: Record<string, number | string>;
}

export interface ChaosEnv {
  mode: RunMode;
  launcher: Launcher;
  /** The proxies in front of each instance (network faults), when the run has them. */
  proxies: InstanceProxies | null;
  broker: LocalBroker | null;
  cluster: LocalCluster | null;
  /** The harness's own connection (control requests, poison messages). */
  nc: NatsConnection;
  /** The load clock: ms since load start, pauses excluded. */
  now(): number;
  inFlight(): number;
}

/** A fault that cannot be injected here; the reason is shown to the user and recorded. */
export class FaultRefusedError extends Error {
  override name = "FaultRefusedError";
}

/**
 * Injects faults and records each with its time (offsets on the load clock) whatever its source.
 * Faults with a window (pause, outage, slow kitchen, a stop with restartAfter) are ended by
 * timers here, and `endAll()` ends whatever is still open when the run stops.
 */
export class Chaos {
  readonly records: FaultRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly endings = new Map<string, () => Promise<void>>();
  private counter = 0;

  constructor(
    private readonly env: ChaosEnv,
    private readonly emit: (record: FaultRecord) => void,
  ) {}

  async inject(request: FaultRequest, source: FaultSource): Promise<FaultRecord> {
    request = { ...request, target: this.resolveTarget(request.target) };
    const record: FaultRecord = {
      id: `f${++this.counter}`,
      kind: request.kind,
      target: request.target,
      source,
      startedAtMs: Math.round(this.env.now()),
      endedAtMs: null,
      detail: describe(request),
      inFlightAtStart: this.env.inFlight(),
    };
    this.records.push(record);
    try {
      const end = await this.apply(request);
      record.detail = describe(request); // apply may name what it chose (the leader node)
      if (end) {
        const finish = async () => {
          this.endings.delete(record.id);
          try {
            await end();
          } catch (err) {
            record.error = `could not end the fault: ${errorMessage(err)}`;
          }
          record.endedAtMs = Math.round(this.env.now());
          this.emit({ ...record });
        };
        this.endings.set(record.id, finish);
        const after = request.forMs ?? request.restartAfterMs ?? 0;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void finish();
        }, after);
        this.timers.add(timer);
      } else {
        record.endedAtMs = Math.round(this.env.now());
      }
    } catch (err) {
      record.error = errorMessage(err);
      record.endedAtMs = Math.round(this.env.now());
    }
    this.emit({ ...record });
    return record;
  }

  /** End every open fault now (restart what is down, resume what is paused). */
  async endAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.endings.values()].map((end) => end()));
  }

  /** Apply a fault; returns how to end it when it has a window. */
  private async apply(f: FaultRequest): Promise<(() => Promise<void>) | null> {
    const { launcher } = this.env;
    const target = f.target;
    if (target === "broker" || target?.startsWith("broker/")) return this.brokerFault(f);
    switch (f.kind) {
      case "stop":
      case "kill": {
        const id = this.instance(target);
        if (f.kind === "stop") await launcher.stopInstance(id);
        else await launcher.crashInstance(id);
        return f.restartAfterMs !== undefined ? () => launcher.restartInstance(id) : null;
      }
      case "restart": {
        const id = this.instance(target);
        await launcher.stopInstance(id);
        await launcher.restartInstance(id);
        return null;
      }
      case "pause": {
        const id = this.instance(target);
        if (!launcher.handle<{ pause?: unknown }>(id)?.pause) {
          throw new FaultRefusedError(`pausing ${target} needs its own process: run with --mode processes (in-process services cannot be frozen)`);
        }
        launcher.pauseInstance(id);
        return async () => launcher.resumeInstance(id);
      }
      case "resume": {
        // Not a fault of its own: ends a pause early (the dashboard's `p` on a paused process).
        launcher.resumeInstance(this.instance(target));
        return null;
      }
      case "payment_outage": {
        const forMs = f.forMs ?? 5_000;
        const ids = this.instancesOf("payment", target);
        await Promise.all(ids.map((id) => control(this.env.nc, "payment", id.split("/")[1], "provider", { outageMs: forMs })));
        return async () => undefined; // the provider ends the outage itself; the timer closes the record
      }
      case "slow_kitchen": {
        const factor = Number(f.params?.factor ?? 3);
        const ids = this.instancesOf("kitchen", target);
        const set = (value: number) => Promise.all(ids.map((id) => control(this.env.nc, "kitchen", id.split("/")[1], "slow", { factor: value })));
        await set(factor);
        return f.forMs !== undefined ? async () => void (await set(1)) : null;
      }
      case "poison": {
        const count = Number(f.params?.count ?? 1);
        const js = jetstream(this.env.nc);
        for (let i = 0; i < count; i++) {
          // origin "poison": no order service owns it; every other consumer must dead-letter it.
          await js.publish(subjects.orderEvent("placed", "takeout", "poison"), `{"poison": ${i}, not json`, { msgID: `poison-${this.counter}-${i}` });
        }
        return null;
      }
      case "latency":
      case "bandwidth":
      case "timeout":
      case "reset_peer":
      case "slicer":
      case "partition": {
        const id = this.instance(target);
        const proxies = this.env.proxies?.of(id) ?? [];
        if (proxies.length === 0) {
          throw new FaultRefusedError(`network faults need a proxy in front of each service; this run started without them (run with --proxies, or put a network fault in the scenario)`);
        }
        const spec = toxicSpec(f.kind, f.params ?? {});
        const toxicIds = proxies.map((p) => p.addToxic(spec));
        return async () => proxies.forEach((p, i) => p.removeToxic(toxicIds[i]));
      }
      default:
        throw new FaultRefusedError(`unknown fault ${f.kind}`);
    }
  }

  /** The node a broker target names: `broker` (one server), `broker/leader` (the ORDERS stream leader), `broker/<n>`. */
  private async brokerNode(target: string): Promise<{ node: LocalBroker; name: string }> {
    const { broker, cluster } = this.env;
    if (!broker && !cluster) throw new FaultRefusedError("the broker is not ours to touch (--nats points at an existing server)");
    if (broker) {
      if (target !== "broker" && target !== "broker/1") throw new FaultRefusedError(`${target} needs a cluster (--cluster 3); this run has one broker`);
      return { node: broker, name: "broker" };
    }
    if (target === "broker") throw new FaultRefusedError(`name a node of the cluster: broker/leader or broker/1..${cluster!.nodes.length}`);
    const which = target.slice("broker/".length);
    const index = which === "leader" ? await cluster!.leaderOf(STREAMS.orders) : Number(which) - 1;
    const node = cluster!.nodes[index];
    if (!node) throw new FaultRefusedError(`no node ${target}: the cluster has broker/1..${cluster!.nodes.length}`);
    return { node, name: `broker/${index + 1}` };
  }

  private async brokerFault(f: FaultRequest): Promise<(() => Promise<void>) | null> {
    const { node: broker, name } = await this.brokerNode(f.target!);
    if (name !== f.target) f.params = { ...f.params, node: name };
    switch (f.kind) {
      case "kill":
        await broker.kill();
        return f.restartAfterMs !== undefined ? () => broker.restart() : null;
      case "stop":
        await broker.shutdown();
        return f.restartAfterMs !== undefined ? () => broker.restart() : null;
      case "restart":
        await broker.restart();
        return null;
      case "pause":
        broker.pause();
        return async () => broker.resume();
      default:
        throw new FaultRefusedError(`${f.kind} does not apply to the broker`);
    }
  }

  /**
   * The canonical target: `order/1` -> `order/order-1`, a bare `payment` -> its only instance;
   * anything unknown is left as written (and refused when the fault needs it).
   */
  resolveTarget(target: string | null): string | null {
    if (!target || target === "broker" || target.startsWith("broker/")) return target;
    const all = this.env.launcher.list();
    if (all.some((i) => i.id === target)) return target;
    const [service, rest] = target.split("/");
    const ofService = all.filter((i) => i.service === service);
    if (rest === undefined) return ofService.length === 1 ? ofService[0].id : target;
    if (/^\d+$/.test(rest)) return ofService.find((i) => i.instance === `${service}-${rest}`)?.id ?? target;
    return target;
  }

  private instance(target: string | null): string {
    if (!target) throw new FaultRefusedError("this fault needs a target such as kitchen/chef_anna");
    const known = this.env.launcher.get(target);
    if (!known) throw new FaultRefusedError(`no service instance ${target} (known: ${this.env.launcher.list().map((i) => i.id).join(", ")})`);
    return target;
  }

  private instancesOf(service: string, target: string | null): string[] {
    if (target) return [this.instance(target)];
    const ids = this.env.launcher.list().filter((i) => i.service === service && i.state === "up").map((i) => i.id);
    if (ids.length === 0) throw new FaultRefusedError(`no ${service} instance is up`);
    return ids;
  }
}

/** A scenario's network-fault parameters as the proxy's toxic. */
export function toxicSpec(kind: string, p: Record<string, number | string>): ToxicSpec {
  const n = (key: string, fallback = 0) => Number(p[key] ?? fallback);
  switch (kind) {
    case "latency":
      return { type: "latency", latencyMs: n("latencyMs", 100), jitterMs: n("jitterMs") };
    case "bandwidth":
      return { type: "bandwidth", rateKBps: n("rate", 100) };
    case "timeout":
      return { type: "timeout", timeoutMs: n("timeoutMs") };
    case "reset_peer":
      return { type: "reset_peer", timeoutMs: n("timeoutMs") };
    case "slicer":
      return { type: "slicer", averageSize: n("averageSize", 64), sizeVariation: n("sizeVariation"), delayUs: n("delayMs") * 1000 };
    default:
      return { type: "partition" };
  }
}

export function describe(f: FaultRequest): string {
  const parts = [`${f.kind}${f.target ? ` ${f.target}` : ""}`];
  if (f.forMs !== undefined) parts.push(`for ${formatDuration(f.forMs)}`);
  if (f.restartAfterMs !== undefined) parts.push(`restart after ${formatDuration(f.restartAfterMs)}`);
  for (const [k, v] of Object.entries(f.params ?? {})) parts.push(`${k}=${v}`);
  return parts.join(", ");
}
