/**
 * What each fault kind does, keyed by the kinds of the fault table (scenario/fault-kinds.ts):
 * a kind without an action here does not compile. `Chaos` resolves the target and the instances
 * it names (by the row's target rule) and refuses what the row says cannot work; the action only
 * acts, and says how to end what it started.
 */
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../services/shared/contracts.js";
import { PizzeriaError } from "../../services/shared/errors.js";
import { DEFAULT_RESTAURANT_ID } from "../../services/shared/menus.js";
import { FAULT_KIND_ROWS, type FaultKind } from "../scenario/fault-kinds.js";
import type { LocalBroker } from "../system/broker.js";
import { control } from "../system/control-client.js";
import type { Launcher } from "../system/launcher.js";
import type { InstanceProxies } from "./instance-proxies.js";
import type { ToxicSpec } from "./toxics.js";

/** A fault to inject: a scenario's chaos step, a key in the dashboard, or `pizzeria chaos`. */
export interface FaultRequest {
  kind: string;
  target: string | null;
  forMs?: number;
  restartAfterMs?: number;
  params?: Record<string, number | string>;
}

/** A fault that cannot be injected here; the reason is shown to the user and recorded. */
export class FaultRefusedError extends PizzeriaError {}

/** How to end a fault with a window; null when it is over once applied. */
export type FaultEnding = (() => Promise<void>) | null;

export interface FaultContext {
  launcher: Launcher;
  /** The harness's own connection (control requests, poison messages). */
  nc: NatsConnection;
  proxies: InstanceProxies | null;
  /** The fault's number in the run (keeps the ids of the messages it publishes its own). */
  faultNumber: number;
  /** A message the fault put on ORDERS (poison), once the stream has stored it: the checker expects its dead letters. */
  published(message: InjectedMessage): void;
}

/** A message a fault published on ORDERS: its msgID, its stream sequence and subject. */
export interface InjectedMessage {
  id: string;
  seq: number;
  subject: string;
}

export interface FaultAction {
  /** Act on the instances the target names (every one concerned when it names none; none for a kind without targets). */
  instances(ctx: FaultContext, f: FaultRequest, ids: string[]): Promise<FaultEnding>;
  /** Act on a broker node; absent: the kind does not apply to the broker. */
  broker?(node: LocalBroker, f: FaultRequest): Promise<FaultEnding>;
}

const restartIf = (f: FaultRequest, restart: () => Promise<void>): FaultEnding => (f.restartAfterMs !== undefined ? restart : null);

const networkFault = (kind: FaultKind): FaultAction => ({
  async instances({ proxies: all }, f, [id]) {
    const proxies = all?.of(id) ?? [];
    if (proxies.length === 0) {
      throw new FaultRefusedError(`network faults need a proxy in front of each service; this run started without them (run with --proxies, or put a network fault in the scenario)`);
    }
    const spec = toxicSpec(kind, f.params ?? {});
    const toxicIds = proxies.map((p) => p.addToxic(spec));
    return async () => proxies.forEach((p, i) => p.removeToxic(toxicIds[i]));
  },
});

export const FAULT_ACTIONS: Record<FaultKind, FaultAction> = {
  stop: {
    async instances({ launcher }, f, [id]) {
      await launcher.stopInstance(id);
      return restartIf(f, () => launcher.restartInstance(id));
    },
    async broker(node, f) {
      await node.shutdown();
      return restartIf(f, () => node.restart());
    },
  },
  kill: {
    async instances({ launcher }, f, [id]) {
      await launcher.crashInstance(id);
      return restartIf(f, () => launcher.restartInstance(id));
    },
    async broker(node, f) {
      await node.kill();
      return restartIf(f, () => node.restart());
    },
  },
  restart: {
    async instances({ launcher }, _f, [id]) {
      await launcher.stopInstance(id);
      await launcher.restartInstance(id);
      return null;
    },
    async broker(node) {
      await node.restart();
      return null;
    },
  },
  pause: {
    async instances({ launcher }, _f, [id]) {
      launcher.pauseInstance(id);
      return async () => launcher.resumeInstance(id);
    },
    async broker(node) {
      node.pause();
      return async () => node.resume();
    },
  },
  latency: networkFault("latency"),
  bandwidth: networkFault("bandwidth"),
  timeout: networkFault("timeout"),
  reset_peer: networkFault("reset_peer"),
  slicer: networkFault("slicer"),
  partition: networkFault("partition"),
  payment_outage: {
    async instances({ nc }, f, ids) {
      const outageMs = f.forMs ?? FAULT_KIND_ROWS.payment_outage.defaultForMs;
      await Promise.all(ids.map((id) => control(nc, "payment", id.split("/")[1], "provider", { outageMs })));
      return async () => undefined; // the provider ends the outage itself; the timer closes the record
    },
  },
  slow_kitchen: {
    async instances({ nc }, f, ids) {
      const factor = Number(f.params?.factor ?? injectDefault("slow_kitchen", "factor"));
      const set = (value: number) => Promise.all(ids.map((id) => control(nc, "kitchen", id.split("/")[1], "slow", { factor: value })));
      await set(factor);
      return f.forMs !== undefined ? async () => void (await set(1)) : null;
    },
  },
  poison: {
    async instances({ nc, faultNumber, published }, f) {
      const count = Number(f.params?.count ?? injectDefault("poison", "count"));
      const js = jetstream(nc);
      // origin "poison": no order service owns it; every other consumer must dead-letter it.
      const subject = subjects.orderEvent("placed", DEFAULT_RESTAURANT_ID, "takeout", "poison");
      for (let i = 0; i < count; i++) {
        const id = `poison-${faultNumber}-${i}`;
        const ack = await js.publish(subject, `{"poison": ${i}, not json`, { msgID: id });
        published({ id, seq: ack.seq, subject });
      }
      return null;
    },
  },
};

function injectDefault(kind: FaultKind, out: string): number {
  const param = FAULT_KIND_ROWS[kind].params.find((p) => p.out === out);
  if (!param) throw new Error(`the fault table has no param ${out} for ${kind}`);
  return param.injectDefault;
}

/** A network fault's params (as a step or a request carries them) as the toxic its row maps them to. */
export function toxicSpec(kind: FaultKind, params: Record<string, number | string>): ToxicSpec {
  const row = FAULT_KIND_ROWS[kind];
  if (!row.toxic) throw new Error(`${kind} is not a network fault`);
  const out: Record<string, unknown> = { type: row.toxic.type };
  for (const field of row.toxic.fields) {
    const param = row.params.find((p) => p.out === field.param);
    out[field.field] = Number(params[field.param] ?? param?.injectDefault ?? 0) * (field.scale ?? 1);
  }
  return out as unknown as ToxicSpec;
}
