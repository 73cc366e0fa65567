import { EventEmitter } from "node:events";
import type { ServiceName } from "../../services/shared/contracts.js";
import { errorMessage, isClaimRefusal } from "../../services/shared/errors.js";
import type { NatsOptions } from "../../services/shared/nats.js";
import type { ProviderSettings } from "../../services/payment/payment-provider.js";
import type { RestaurantDefinition } from "../../services/shared/menus.js";
import type { SystemSettings } from "./settings.js";
import type { Roster, WorkerSpec } from "../scenario/roster.js";

export type InstanceState = "starting" | "up" | "stopping" | "stopped" | "crashed" | "failed" | "paused";

export interface InstanceInfo {
  /** `<service>/<instance>`, e.g. `kitchen/chef_anna`, `order/order-1`. */
  id: string;
  service: ServiceName;
  instance: string;
  state: InstanceState;
  url?: string;
  /** Its GET /metrics (Prometheus text): on its API's port, or on a metrics port of its own. */
  metricsUrl?: string;
  pid?: number;
  restarts: number;
  lastError?: string;
}

/** What an instance said that its log may not have taken (its disk is full, its log file cannot be written). */
export interface InstanceNotice {
  id: string;
  level: "info" | "warn" | "error";
  message: string;
}

export interface LauncherEvents {
  instance: [InstanceInfo];
  notice: [InstanceNotice];
}

/** One instance of the roster, as either launcher starts it. */
export interface InstanceSpec {
  id: string;
  service: ServiceName;
  instance: string;
  /** HTTP services: the port (0 = any; a restart reuses the one it got). */
  port?: number;
  /** Services without HTTP: the metrics port (0 = any; a restart reuses the one it got). */
  metricsPort?: number;
  maxConcurrent?: number;
  worker?: WorkerSpec;
  provider?: Partial<ProviderSettings>;
  concurrency?: number;
  /** The restaurant service: the restaurants it runs, and the seed of its auto rejections. */
  restaurants?: readonly RestaurantDefinition[];
  seed?: number;
}

/** A running instance, however it runs. */
export interface InstanceHandle {
  stop(): Promise<void>;
  /** Crash: in-process, drop everything; as a process, SIGKILL. */
  abort(): Promise<void>;
  url?: string;
  port?: number;
  metricsUrl?: string;
  metricsPort?: number;
  pid?: number;
  /** Freeze and thaw (processes only: SIGSTOP / SIGCONT). */
  pause?(): void;
  resume?(): void;
}

interface Slot {
  info: InstanceInfo;
  spec: InstanceSpec;
  handle: InstanceHandle | null;
  /** The last incarnation was crashed by us and nothing has started since (retries keep knowing it). */
  crashedBefore?: boolean;
}

/** The roster as instances, in start order: consumers of events first, the order API last. */
export function rosterSpecs(roster: Roster, settings: Pick<SystemSettings, "orderPort" | "trackingPort" | "customerPort">): InstanceSpec[] {
  const specs: InstanceSpec[] = [];
  const add = (service: ServiceName, instance: string, extra: Partial<InstanceSpec> = {}) =>
    specs.push({ id: `${service}/${instance}`, service, instance, ...extra });
  for (let i = 1; i <= roster.notification.instances; i++) add("notification", `notification-${i}`);
  for (let i = 1; i <= roster.tracking.instances; i++) add("tracking", `tracking-${i}`, { port: i === 1 ? (roster.tracking.port ?? settings.trackingPort ?? 0) : 0 });
  for (let i = 1; i <= (roster.reporting?.instances ?? 0); i++) add("reporting", `reporting-${i}`, { port: i === 1 ? (roster.reporting.port ?? 0) : 0 });
  for (const worker of roster.kitchen) add("kitchen", worker.name, { worker });
  const r = roster.restaurant;
  for (let i = 1; i <= r.instances; i++) add("restaurant", `restaurant-${i}`, { port: i === 1 ? (r.port ?? 0) : 0, restaurants: r.restaurants, seed: r.seed });
  for (let i = 1; i <= (roster.customer?.instances ?? 0); i++) add("customer", `customer-${i}`, { port: i === 1 ? (roster.customer.port ?? settings.customerPort ?? 0) : 0 });
  for (let i = 1; i <= roster.payment.instances; i++) add("payment", `payment-${i}`, { provider: roster.payment.provider, concurrency: roster.payment.concurrency });
  for (let i = 1; i <= roster.order.instances; i++) add("order", `order-${i}`, { port: i === 1 ? (roster.order.port ?? settings.orderPort ?? 0) : 0, maxConcurrent: roster.order.maxConcurrent });
  return specs;
}

/** How an instance reaches NATS: the system's options, or a path of the harness's own in front of them. */
export type NatsRoute = (id: string, nats: NatsOptions) => Promise<NatsOptions>;

/**
 * Runs a roster of services and reports their state as `instance` events. Subclasses decide how
 * an instance runs (inside this process, or as a child process); this class keeps the slots,
 * the start/stop/crash/restart verbs, and how each instance reaches NATS (`route`: as it is, or
 * through something of the harness's own in front of it, such as the fault proxies).
 */
export abstract class Launcher extends EventEmitter<LauncherEvents> {
  private readonly slots = new Map<string, Slot>();
  // Notices said before anyone listens (a log file that fails at a service's first flush, while
  // the roster is still starting): kept, and told to the first listener.
  private readonly unheard: InstanceNotice[] = [];
  constructor(
    protected readonly settings: SystemSettings,
    private readonly route: NatsRoute = async (_id, nats) => nats,
  ) {
    super();
  }

  /** Hear every notice, first those said before anyone listened; returns how to stop. */
  listenNotices(listener: (notice: InstanceNotice) => void): () => void {
    this.on("notice", listener);
    for (const n of this.unheard.splice(0)) listener(n);
    return () => void this.off("notice", listener);
  }

  /** `afterCrash`: this launcher crashed the previous incarnation itself, so it is certainly gone. */
  protected abstract launch(spec: InstanceSpec, nats: NatsOptions, afterCrash: boolean): Promise<InstanceHandle>;

  async startRoster(roster: Roster): Promise<void> {
    for (const spec of rosterSpecs(roster, this.settings)) {
      this.slots.set(spec.id, { info: { id: spec.id, service: spec.service, instance: spec.instance, state: "stopped", restarts: 0 }, spec, handle: null });
    }
    const ids = [...this.slots.keys()];
    // Workers and subscribers start side by side; the order API comes up after them.
    await Promise.all(ids.filter((id) => !id.startsWith("order/")).map((id) => this.startInstance(id)));
    await Promise.all(ids.filter((id) => id.startsWith("order/")).map((id) => this.startInstance(id)));
  }

  list(): InstanceInfo[] {
    return [...this.slots.values()].map((s) => ({ ...s.info }));
  }

  get(id: string): InstanceInfo | undefined {
    const slot = this.slots.get(id);
    return slot ? { ...slot.info } : undefined;
  }

  /** The running handle of an instance (in-process tests reach into services through it). */
  handle<T = InstanceHandle>(id: string): T | null {
    return (this.slots.get(id)?.handle as T | null) ?? null;
  }

  /** Every instance's GET /metrics, as the last start gave it (a stopped one keeps its place in a scrape config). */
  metricsTargets(): Array<{ service: ServiceName; instance: string; url: string }> {
    return [...this.slots.values()].filter((s) => s.info.metricsUrl).map((s) => ({ service: s.info.service, instance: s.info.instance, url: s.info.metricsUrl! }));
  }

  /**
   * The base URLs of the instances that are up; with `paused`, also of those frozen by a pause
   * fault (a client cannot tell a frozen process from a slow one, so the load still sends to it).
   */
  urls(service: "order" | "tracking" | "restaurant" | "customer" | "reporting", options: { paused?: boolean } = {}): string[] {
    const reachable = (state: InstanceState) => state === "up" || (options.paused === true && state === "paused");
    return [...this.slots.values()].filter((s) => s.info.service === service && reachable(s.info.state) && s.info.url).map((s) => s.info.url!);
  }

  async startInstance(id: string): Promise<void> {
    const slot = this.require(id);
    if (slot.handle) return;
    const afterCrash = slot.info.state === "crashed" || (slot.info.state === "failed" && slot.crashedBefore === true);
    slot.crashedBefore = afterCrash;
    this.update(slot, { state: "starting" });
    try {
      const handle = await this.launch(slot.spec, await this.route(slot.spec.id, this.settings.nats), afterCrash);
      slot.crashedBefore = false;
      slot.handle = handle;
      // A restarted instance comes back on the port it had, so its URL stays valid.
      if (handle.port !== undefined) slot.spec.port = handle.port;
      // Its metrics too: a scrape config written at the start stays valid.
      if (handle.metricsPort !== undefined) slot.spec.metricsPort = handle.metricsPort;
      this.update(slot, { state: "up", url: handle.url, metricsUrl: handle.metricsUrl, pid: handle.pid, lastError: undefined });
    } catch (err) {
      this.update(slot, { state: "failed", lastError: errorMessage(err) });
      throw err;
    }
  }

  /** Graceful stop of one instance. */
  async stopInstance(id: string): Promise<void> {
    const slot = this.require(id);
    const handle = slot.handle;
    if (!handle) return;
    handle.resume?.(); // a frozen process cannot act on SIGTERM
    this.update(slot, { state: "stopping" });
    slot.handle = null;
    await handle.stop();
    this.update(slot, { state: "stopped", pid: undefined });
  }

  /** Crash one instance: no graceful path. */
  async crashInstance(id: string): Promise<void> {
    const slot = this.require(id);
    const handle = slot.handle;
    if (!handle) return;
    slot.handle = null;
    await handle.abort();
    this.update(slot, { state: "crashed", pid: undefined });
  }

  pauseInstance(id: string): void {
    const slot = this.require(id);
    if (!slot.handle?.pause) throw new Error(`${id} cannot be paused: it does not run as its own process (use --mode processes)`);
    slot.handle.pause();
    this.update(slot, { state: "paused" });
  }

  resumeInstance(id: string): void {
    const slot = this.require(id);
    if (!slot.handle?.resume || slot.info.state !== "paused") return;
    slot.handle.resume();
    this.update(slot, { state: "up" });
  }

  /** Start an instance that was stopped or crashed, retrying while its name or data file is still held (a crashed holder's heartbeat must go stale first). */
  async restartInstance(id: string, timeoutMs = 60_000): Promise<void> {
    const slot = this.require(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        // Counted quietly: the "up" event is the news; the count rides along from now on.
        await this.startInstance(id);
        slot.info.restarts++;
        return;
      } catch (err) {
        if (Date.now() > deadline || !isClaimRefusal(err)) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Stop everything gracefully: the order API first (no new work), subscribers last. */
  async stopAll(): Promise<void> {
    const order: ServiceName[] = ["customer", "order", "payment", "restaurant", "kitchen", "tracking", "notification", "reporting"];
    for (const service of order) {
      const ids = [...this.slots.values()].filter((s) => s.info.service === service).map((s) => s.info.id);
      await Promise.allSettled(ids.map((id) => this.stopInstance(id)));
    }
  }

  /**
   * For subclasses: an instance ended on its own (not through stop or crash), e.g. a child
   * process that exited or was killed from outside. Reported as `crashed` with `detail` as its
   * `lastError`; ignored when `handle` is no longer the instance's running handle.
   */
  /** An instance's notice (ServiceNotice), passed on when the instance is one of this launcher's. */
  protected passNotice(notice: { service: string; instance: string; level: InstanceNotice["level"]; message: string }): void {
    const id = `${notice.service}/${notice.instance}`;
    if (!this.slots.has(id)) return;
    const told: InstanceNotice = { id, level: notice.level, message: notice.message };
    if (this.listenerCount("notice") === 0) this.unheard.push(told);
    else this.emit("notice", told);
  }

  protected markExited(id: string, handle: InstanceHandle, detail: string): void {
    const slot = this.slots.get(id);
    if (!slot || slot.handle !== handle) return;
    slot.handle = null;
    this.update(slot, { state: "crashed", pid: undefined, lastError: detail });
  }

  protected require(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no service instance ${id} (known: ${[...this.slots.keys()].join(", ")})`);
    return slot;
  }

  private update(slot: Slot, changes: Partial<InstanceInfo>): void {
    Object.assign(slot.info, changes);
    this.emit("instance", { ...slot.info });
  }
}
