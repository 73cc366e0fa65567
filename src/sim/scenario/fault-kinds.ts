/**
 * The fault vocabulary: one row per fault kind, read by everything that speaks of faults: the
 * scenario's chaos grammar (chaos-steps.ts), `Chaos` (which targets a kind takes, the toxic a
 * network kind adds), the proxy's toxic checks, `pizzeria chaos` (choices, flags, help) and the
 * dashboard (keys, marks). What each kind *does* is in faults/fault-actions.ts, keyed by the same
 * kinds. Pure data, importing nothing that reaches NATS or sockets: scenario/ reads it, and
 * faults/ imports scenario/, so the table lives here to keep the folders free of cycles.
 */
import type { ServiceName } from "../../services/shared/contracts.js";

/** Which targets a kind takes: an instance or a broker node, a service instance only, or an instance of one service. */
export type TargetPool = "instance or broker" | "instance" | ServiceName;

export interface FaultParam {
  /** Its key in a scenario step; kebab-cased, the `pizzeria chaos` flag. */
  readonly key: string;
  readonly type: "duration" | "number" | "integer";
  /** Where a step keeps the value: durations in ms, under keys ending in `Ms`. */
  readonly out: string;
  readonly min?: number;
  readonly max?: number;
  /** min is excluded: "above min". */
  readonly above?: boolean;
  /** What a scenario step that leaves it out gets; absent: the step must give it. */
  readonly default?: number;
  /** What a fault injected without it gets (`pizzeria chaos`, the dashboard): those skip the scenario's checks. */
  readonly injectDefault: number;
  /** The `pizzeria chaos` flag's help, after the names of the kinds that take it. */
  readonly help: string;
}

/** How the proxy checks a toxic's field (toxics.ts `normalizeToxic`). */
export type ToxicFieldCheck = "at least 0" | "above 0" | "integer from 1";

export interface ToxicField {
  /** The field of the proxy's toxic. */
  readonly field: string;
  /** The step param (its `out` key) it is made from, times `scale`. */
  readonly param: string;
  readonly scale?: number;
  readonly check: ToxicFieldCheck;
  /** A toxic that leaves it out gets 0; absent: the toxic must give it. */
  readonly optional?: boolean;
  /** Said after a failed check, when there is a better way to get what was meant. */
  readonly hint?: string;
}

export interface ToxicMapping {
  /** The proxy's toxic type (after Toxiproxy's). */
  readonly type: string;
  readonly fields: readonly ToxicField[];
  /** Acts on one direction of the data (upstream, downstream, both) rather than on whole connections. */
  readonly directional: boolean;
}

export interface DashboardKey {
  readonly key: string;
  /** What it acts on: the selected process, or always the broker. */
  readonly on: "selected" | "broker";
  /** The footer's word for it. */
  readonly label: string;
  /** The help overlay's line for it. */
  readonly help: string;
  /** On a paused process the key sends this instead (pause's key resumes). */
  readonly whenPaused?: string;
}

export interface FaultKindRow {
  /** Whether a target is needed, may be left out (every instance concerned), or is not taken; and which. */
  readonly target: { readonly need: "required" | "optional"; readonly of: TargetPool } | { readonly need: "none" };
  /** How long it lasts: `for` in a step, `--for` for `pizzeria chaos`. */
  readonly for: "required" | "optional" | "none";
  /** A fault injected without `for` lasts this long where the effect needs a length of its own (the provider's outage). */
  readonly defaultForMs?: number;
  /** Takes `restartAfter`: start what it took down again after that long. */
  readonly restartAfter: boolean;
  /** May be written `{ at, <kind>: <target> }` in a scenario. */
  readonly shorthand: boolean;
  readonly params: readonly FaultParam[];
  /** A network fault: the toxic it adds to the proxies in front of the target. */
  readonly toxic?: ToxicMapping;
  /** Whether it works on a service run in-process; when not, how its refusal names the act and why. */
  readonly inProcess: { readonly works: true } | { readonly works: false; readonly act: string; readonly reason: string };
  /** What happens, in a sentence (the README's fault table). */
  readonly description: string;
  readonly dashboard: {
    /** Place in the dashboard's lists (keys, marks); kinds sharing a mark share a place. */
    readonly rank: number;
    /** Drawn under the sparklines where its window starts. */
    readonly mark: string;
    /** The mark's word in the help overlay. */
    readonly legend: string;
    readonly keys?: readonly DashboardKey[];
  };
}

const MAX_PARAM_MS = 600_000;
const duration = (key: string, injectDefault: number, help: string, extra: Partial<FaultParam> = {}): FaultParam => ({
  key, type: "duration", out: `${key}Ms`, max: MAX_PARAM_MS, injectDefault, help, ...extra,
});
const TIMEOUT_PARAM = duration("timeout", 0, "after how long (0 = blackhole forever)", { default: 0 });
const TIMEOUT_FIELD: ToxicField = { field: "timeoutMs", param: "timeoutMs", check: "at least 0" };
const INSTANCE = { need: "required", of: "instance" } as const;
const INSTANCE_OR_BROKER = { need: "required", of: "instance or broker" } as const;
const IN_PROCESS = { works: true } as const;
const NETWORK = { rank: 5, mark: "N", legend: "network" } as const;

const ROWS = {
  stop: {
    target: INSTANCE_OR_BROKER, for: "none", restartAfter: true, shorthand: true, params: [], inProcess: IN_PROCESS,
    description: "graceful stop (SIGTERM as a process)",
    dashboard: { rank: 2, mark: "S", legend: "stop", keys: [{ key: "s", on: "selected", label: "stop", help: "stop it gracefully" }] },
  },
  kill: {
    target: INSTANCE_OR_BROKER, for: "none", restartAfter: true, shorthand: true, params: [], inProcess: IN_PROCESS,
    description: "a crash: SIGKILL as a process, connection and database dropped in-process; kill -9 of the nats-server",
    dashboard: {
      rank: 1, mark: "K", legend: "kill",
      keys: [
        { key: "k", on: "selected", label: "kill", help: "kill the selected process (no goodbye)" },
        { key: "b", on: "broker", label: "kill broker", help: "kill the broker" },
      ],
    },
  },
  restart: {
    target: INSTANCE_OR_BROKER, for: "none", restartAfter: false, shorthand: true, params: [], inProcess: IN_PROCESS,
    description: "stop and start again (same store for a broker)",
    dashboard: { rank: 3, mark: "R", legend: "restart", keys: [{ key: "r", on: "selected", label: "restart", help: "restart it" }] },
  },
  pause: {
    target: INSTANCE_OR_BROKER, for: "required", restartAfter: false, shorthand: true, params: [],
    inProcess: { works: false, act: "pausing", reason: "in-process services cannot be frozen" },
    description: "SIGSTOP, then SIGCONT",
    dashboard: { rank: 4, mark: "P", legend: "pause", keys: [{ key: "p", on: "selected", label: "pause", help: "pause / resume it", whenPaused: "resume" }] },
  },
  latency: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS,
    params: [duration("latency", 100, "delay per direction, e.g. 200ms"), duration("jitter", 0, "random extra delay, e.g. 50ms", { default: 0 })],
    toxic: {
      type: "latency", directional: true,
      fields: [{ field: "latencyMs", param: "latencyMs", check: "at least 0" }, { field: "jitterMs", param: "jitterMs", check: "at least 0", optional: true }],
    },
    description: "a delay with jitter on the network between the instance and NATS",
    dashboard: NETWORK,
  },
  bandwidth: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS,
    params: [{ key: "rate", type: "number", out: "rate", min: 0, above: true, max: 1e9, injectDefault: 100, help: "KB/s" }],
    toxic: { type: "bandwidth", directional: true, fields: [{ field: "rateKBps", param: "rate", check: "above 0", hint: "use a timeout toxic to stop data" }] },
    description: "the instance's network to NATS limited to so many KB/s",
    dashboard: NETWORK,
  },
  timeout: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS, params: [TIMEOUT_PARAM],
    toxic: { type: "timeout", directional: true, fields: [TIMEOUT_FIELD] },
    description: "a blackhole: data to and from NATS is dropped, the connection closed after the timeout (0: never)",
    dashboard: NETWORK,
  },
  reset_peer: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS, params: [TIMEOUT_PARAM],
    toxic: { type: "reset_peer", directional: false, fields: [{ ...TIMEOUT_FIELD, optional: true }] },
    description: "the connections to NATS reset (TCP RST) after the timeout, and new ones as they come",
    dashboard: NETWORK,
  },
  slicer: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS,
    params: [
      { key: "averageSize", type: "integer", out: "averageSize", min: 1, max: 1_048_576, injectDefault: 64, help: "bytes per slice" },
      { key: "sizeVariation", type: "integer", out: "sizeVariation", min: 0, max: 1_048_576, default: 0, injectDefault: 0, help: "+- bytes" },
      duration("delay", 0, "delay between slices", { default: 0 }),
    ],
    toxic: {
      type: "slicer", directional: true,
      fields: [
        { field: "averageSize", param: "averageSize", check: "integer from 1" },
        { field: "sizeVariation", param: "sizeVariation", check: "at least 0", optional: true },
        { field: "delayUs", param: "delayMs", scale: 1000, check: "at least 0", optional: true },
      ],
    },
    description: "the data to and from NATS cut into small slices, delayed between them",
    dashboard: NETWORK,
  },
  partition: {
    target: INSTANCE, for: "required", restartAfter: false, shorthand: false, inProcess: IN_PROCESS, params: [],
    toxic: { type: "partition", directional: false, fields: [] },
    description: "a full cut: every connection to NATS dropped, new ones refused",
    dashboard: { rank: 6, mark: "X", legend: "partition" },
  },
  payment_outage: {
    target: { need: "optional", of: "payment" }, for: "required", defaultForMs: 5_000, restartAfter: false, shorthand: false, params: [], inProcess: IN_PROCESS,
    description: "the mock provider answers \"unavailable\": retries with backoff behind a circuit breaker",
    dashboard: { rank: 7, mark: "$", legend: "payments" },
  },
  slow_kitchen: {
    target: { need: "optional", of: "kitchen" }, for: "optional", restartAfter: false, shorthand: false, inProcess: IN_PROCESS,
    params: [{ key: "factor", type: "number", out: "factor", min: 1, above: true, max: 1000, injectDefault: 3, help: "cooking takes this many times longer" }],
    description: "cooking takes `factor` times longer",
    dashboard: { rank: 8, mark: "C", legend: "slow kitchen" },
  },
  poison: {
    target: { need: "none" }, for: "none", restartAfter: false, shorthand: false, inProcess: IN_PROCESS,
    params: [{ key: "count", type: "integer", out: "count", min: 1, max: 10_000, default: 1, injectDefault: 1, help: "malformed messages to publish" }],
    description: "malformed events published by hand: each consumer dead-letters them once, none loops",
    dashboard: { rank: 9, mark: "!", legend: "poison" },
  },
  disk_full: {
    target: INSTANCE, for: "required", defaultForMs: 5_000, restartAfter: false, shorthand: false, params: [], inProcess: IN_PROCESS,
    description: "the instance's database may not grow (its free pages filled, then SQLite max_page_count held at its size), then may again: new work answered 503, messages held in progress (no delivery spent, however long) and stored once it may grow, nothing accepted lost",
    dashboard: { rank: 10, mark: "D", legend: "disk full", keys: [{ key: "d", on: "selected", label: "disk full", help: "fill the selected service's disk for 5 s" }] },
  },
  slow_disk: {
    target: INSTANCE, for: "required", defaultForMs: 5_000, restartAfter: false, shorthand: false,
    params: [duration("delay", 200, "slow_disk: added to every commit", { min: 1 })],
    inProcess: IN_PROCESS,
    description:
      "every commit of the instance's database takes `delay` longer, one after the other: its answers, acks and publishes wait (as a process its thread is held, as by a slow fsync; in-process a timer per commit, the thread free)",
    dashboard: { rank: 11, mark: "W", legend: "slow disk", keys: [{ key: "w", on: "selected", label: "slow disk", help: "slow the selected process's disk for 5 s (200 ms a commit)" }] },
  },
} satisfies Record<string, FaultKindRow>;

export type FaultKind = keyof typeof ROWS;
/** One row per fault kind. */
export const FAULT_KIND_ROWS: Readonly<Record<FaultKind, FaultKindRow>> = ROWS;
/** Every kind, in the table's order (the order of choices and of error messages). */
export const FAULT_KINDS = Object.keys(ROWS) as FaultKind[];

export function isFaultKind(kind: string): kind is FaultKind {
  return Object.hasOwn(ROWS, kind);
}

/** The row of a kind, or undefined for a word that is none (a request from outside may say anything). */
export function faultKindRow(kind: string): FaultKindRow | undefined {
  return isFaultKind(kind) ? FAULT_KIND_ROWS[kind] : undefined;
}

/** The kinds that add a toxic to the instance's proxies: a run with any of them needs proxies. */
export const NETWORK_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => FAULT_KIND_ROWS[k].toxic);
/** Kinds that may be written as `{ at, <kind>: <target> }`. */
export const SHORTHAND_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => FAULT_KIND_ROWS[k].shorthand);

/** Each param once (kinds may share one, as timeout and reset_peer do), with the kinds that take it, in table order. */
export function faultParams(): Array<{ param: FaultParam; kinds: FaultKind[] }> {
  const byKey = new Map<string, { param: FaultParam; kinds: FaultKind[] }>();
  for (const kind of FAULT_KINDS) {
    for (const param of FAULT_KIND_ROWS[kind].params) {
      const entry = byKey.get(param.key) ?? byKey.set(param.key, { param, kinds: [] }).get(param.key)!;
      // Kinds that share a key with a meaning of their own (slicer's and slow_disk's delay): both helps said.
      if (!entry.param.help.includes(param.help)) entry.param = { ...entry.param, help: `${entry.param.help}; ${param.help}` };
      entry.kinds.push(kind);
    }
  }
  return [...byKey.values()];
}

/** The dashboard's fault keys: those on the selected process first, then those on the broker, each by rank. */
export function dashboardFaultKeys(): Array<DashboardKey & { kind: FaultKind }> {
  const keys = FAULT_KINDS.flatMap((kind) => (FAULT_KIND_ROWS[kind].dashboard.keys ?? []).map((key) => ({ ...key, kind, rank: FAULT_KIND_ROWS[kind].dashboard.rank })));
  const side = (k: DashboardKey) => (k.on === "selected" ? 0 : 1);
  return keys.sort((a, b) => side(a) - side(b) || a.rank - b.rank).map(({ rank: _rank, ...key }) => key);
}

/** The marks under the sparklines with their words, by rank, each mark once. */
export function faultMarkLegend(): Array<{ mark: string; legend: string }> {
  const byMark = new Map<string, { mark: string; legend: string; rank: number }>();
  for (const kind of FAULT_KINDS) {
    const { mark, legend, rank } = FAULT_KIND_ROWS[kind].dashboard;
    if (!byMark.has(mark)) byMark.set(mark, { mark, legend, rank });
  }
  return [...byMark.values()].sort((a, b) => a.rank - b.rank).map(({ mark, legend }) => ({ mark, legend }));
}
