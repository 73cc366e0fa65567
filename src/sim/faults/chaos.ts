import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS } from "../../services/shared/contracts.js";
import { errorMessage } from "../../services/shared/errors.js";
import { formatDuration } from "../scenario/duration.js";
import type { ChaosStep } from "../scenario/chaos-steps.js";
import { faultKindRow, isFaultKind, type FaultKind, type FaultKindRow } from "../scenario/fault-kinds.js";
import { isBrokerTarget, resolveTarget } from "../scenario/fault-targets.js";
import type { LocalBroker } from "../system/broker.js";
import type { LocalCluster } from "../system/cluster.js";
import type { Launcher } from "../system/launcher.js";
import type { FaultRecord, FaultSource, RunMode } from "../telemetry/run-events.js";
import { FAULT_ACTIONS, FaultRefusedError, type FaultEnding, type FaultRequest, type InjectedMessage } from "./fault-actions.js";
import type { InstanceProxies } from "./instance-proxies.js";

export { FaultRefusedError, type FaultRequest } from "./fault-actions.js";

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

/**
 * Injects faults and records each with its time (offsets on the load clock) whatever its source.
 * Faults with a window (pause, outage, slow kitchen, a stop with restartAfter) are ended by
 * timers here, and `endAll()` ends whatever is still open when the run stops.
 */
export class Chaos {
  readonly records: FaultRecord[] = [];
  /** What the faults published on ORDERS (poison), in order: the run expects each to be dead-lettered. */
  readonly injected: InjectedMessage[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly endings = new Map<string, () => Promise<void>>();
  private counter = 0;

  constructor(
    private readonly env: ChaosEnv,
    private readonly emit: (record: FaultRecord) => void,
  ) {}

  async inject(request: FaultRequest, source: FaultSource): Promise<FaultRecord> {
    request = { ...request, target: this.resolveTarget(request.target) };
    const faultNumber = ++this.counter;
    const record: FaultRecord = {
      id: `f${faultNumber}`,
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
      const end = await this.apply(request, faultNumber);
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

  /** Inject each step of a scenario's chaos timeline when the load clock reaches it, until stopped. */
  schedule(timeline: readonly ChaosStep[]): { stop(): Promise<void> } {
    const steps = [...timeline];
    const started: Array<Promise<unknown>> = [];
    let running = true;
    const loop = (async () => {
      while (running && steps.length > 0) {
        while (steps.length > 0 && steps[0].at <= this.env.now()) {
          const step = steps.shift()!;
          started.push(this.inject({ kind: step.kind, target: step.target, forMs: step.forMs, restartAfterMs: step.restartAfterMs, params: step.params }, "scenario"));
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        await Promise.allSettled(started);
      },
    };
  }

  /** End every open fault now (restart what is down, resume what is paused). */
  async endAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.endings.values()].map((end) => end()));
  }

  /** Apply a fault as its row in the fault table says; returns how to end it when it has a window. */
  private async apply(f: FaultRequest, faultNumber: number): Promise<FaultEnding> {
    const { launcher } = this.env;
    if (f.target !== null && isBrokerTarget(f.target)) return this.brokerFault(f);
    if (f.kind === "resume") {
      // Not a fault of its own: ends a pause early (the dashboard's `p` on a paused process).
      launcher.resumeInstance(this.instance(f.target));
      return null;
    }
    const row = faultKindRow(f.kind);
    if (!row) throw new FaultRefusedError(`unknown fault ${f.kind}`);
    const ids = this.targetIds(row, f.target);
    if (!row.inProcess.works) {
      // Only a process of its own can take it; an in-process service's handle cannot be frozen.
      const { act, reason } = row.inProcess;
      if (ids.some((id) => !launcher.handle<{ pause?: unknown }>(id)?.pause)) throw new FaultRefusedError(`${act} ${f.target} needs its own process: run with --mode processes (${reason})`);
    }
    return FAULT_ACTIONS[f.kind as FaultKind].instances({ launcher, nc: this.env.nc, proxies: this.env.proxies, faultNumber, published: (m) => void this.injected.push(m) }, f, ids);
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

  private async brokerFault(f: FaultRequest): Promise<FaultEnding> {
    const { node, name } = await this.brokerNode(f.target!);
    if (name !== f.target) f.params = { ...f.params, node: name };
    const onBroker = isFaultKind(f.kind) ? FAULT_ACTIONS[f.kind].broker : undefined;
    if (!onBroker) throw new FaultRefusedError(`${f.kind} does not apply to the broker`);
    return onBroker(node, f);
  }

  /**
   * The canonical target among what the launcher runs (`order/1` -> `order/order-1`, a bare
   * `payment` -> its only instance); anything unknown is left as written, and refused when the
   * fault needs it.
   */
  resolveTarget(target: string | null): string | null {
    if (!target) return target;
    const resolved = resolveTarget(target, this.env.launcher.list().map((i) => i.id), "instance or broker");
    return "target" in resolved ? resolved.target : target;
  }

  /** The instances a (non-broker) target names, by the kind's target rule: none, one, or every one of a service that is up. */
  private targetIds(row: FaultKindRow, target: string | null): string[] {
    if (row.target.need === "none") return [];
    const { of } = row.target;
    return of === "instance" || of === "instance or broker" ? [this.instance(target)] : this.instancesOf(of, target);
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

export function describe(f: FaultRequest): string {
  const parts = [`${f.kind}${f.target ? ` ${f.target}` : ""}`];
  if (f.forMs !== undefined) parts.push(`for ${formatDuration(f.forMs)}`);
  if (f.restartAfterMs !== undefined) parts.push(`restart after ${formatDuration(f.restartAfterMs)}`);
  for (const [k, v] of Object.entries(f.params ?? {})) parts.push(`${k}=${v}`);
  return parts.join(", ");
}
