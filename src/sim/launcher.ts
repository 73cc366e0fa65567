import { EventEmitter } from "node:events";
import type { ServiceName } from "../services/shared/contracts.js";
import { errorMessage } from "../services/shared/errors.js";
import { start as startOrder } from "../services/order/index.js";
import { start as startPayment } from "../services/payment/index.js";
import { start as startKitchen } from "../services/kitchen/index.js";
import { start as startTracking } from "../services/tracking/index.js";
import { start as startNotification } from "../services/notification/index.js";
import { instanceFiles, type Roster, type SystemSettings, type WorkerSpec } from "./system.js";

/** What every running service instance offers the launcher. */
interface Stoppable {
  stop(): Promise<void>;
  abort(): Promise<void>;
  url?: string;
}

export type InstanceState = "starting" | "up" | "stopping" | "stopped" | "crashed" | "failed";

export interface InstanceInfo {
  /** `<service>/<instance>`, e.g. `kitchen/chef_anna`, `order/order-1`. */
  id: string;
  service: ServiceName;
  instance: string;
  state: InstanceState;
  url?: string;
  restarts: number;
  lastError?: string;
}

export interface LauncherEvents {
  instance: [InstanceInfo];
}

interface Slot {
  info: InstanceInfo;
  launch: () => Promise<Stoppable>;
  handle: Stoppable | null;
}

/**
 * Runs a roster of services inside this process. Each instance keeps its own NATS connection
 * and SQLite file, exactly as when it runs alone; the launcher only starts, stops, crashes and
 * restarts them and reports their state as `instance` events.
 */
export class InProcessLauncher extends EventEmitter<LauncherEvents> {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly settings: SystemSettings) {
    super();
  }

  /** Start the whole roster: consumers of events first, the order API last, so nothing is missed. */
  async startRoster(roster: Roster): Promise<void> {
    const s = this.settings;
    const common = (service: string, instance: string) => ({
      nats: s.nats,
      topology: s.topology,
      logLevel: s.logLevel,
      ...instanceFiles(s.runDir, service, instance),
    });
    const add = (service: ServiceName, instance: string, launch: () => Promise<Stoppable>) => {
      const info: InstanceInfo = { id: `${service}/${instance}`, service, instance, state: "stopped", restarts: 0 };
      this.slots.set(info.id, { info, launch, handle: null });
    };
    for (let i = 1; i <= roster.notification.instances; i++) {
      const instance = `notification-${i}`;
      add("notification", instance, () => startNotification({ ...common("notification", instance), instance }));
    }
    for (let i = 1; i <= roster.tracking.instances; i++) {
      const instance = `tracking-${i}`;
      // A restarted instance comes back on the port it had, so its URL stays valid.
      let port = i === 1 ? (roster.tracking.port ?? s.trackingPort ?? 0) : 0;
      add("tracking", instance, async () => {
        const handle = await startTracking({ ...common("tracking", instance), instance, port, timeScale: s.timeScale });
        port = handle.port;
        return handle;
      });
    }
    for (const worker of roster.kitchen) {
      add("kitchen", worker.name, () => startKitchen(this.kitchenOptions(worker, common("kitchen", worker.name))));
    }
    for (let i = 1; i <= roster.payment.instances; i++) {
      const instance = `payment-${i}`;
      add("payment", instance, () =>
        startPayment({ ...common("payment", instance), instance, provider: roster.payment.provider, concurrency: roster.payment.concurrency }),
      );
    }
    for (let i = 1; i <= roster.order.instances; i++) {
      const instance = `order-${i}`;
      let port = i === 1 ? (roster.order.port ?? s.orderPort ?? 0) : 0;
      add("order", instance, async () => {
        const handle = await startOrder({ ...common("order", instance), instance, port, maxConcurrent: roster.order.maxConcurrent });
        port = handle.port;
        return handle;
      });
    }
    // Workers and subscribers start side by side; the order API comes up after them.
    const ids = [...this.slots.keys()];
    await Promise.all(ids.filter((id) => !id.startsWith("order/")).map((id) => this.startInstance(id)));
    await Promise.all(ids.filter((id) => id.startsWith("order/")).map((id) => this.startInstance(id)));
  }

  private kitchenOptions(worker: WorkerSpec, common: object) {
    const s = this.settings;
    return {
      ...common,
      name: worker.name,
      orderTypes: worker.orderTypes,
      prefetch: worker.prefetch,
      timeScale: s.timeScale,
      cookTimeMs: s.cookTimeMs,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
    } as Parameters<typeof startKitchen>[0];
  }

  list(): InstanceInfo[] {
    return [...this.slots.values()].map((s) => ({ ...s.info }));
  }

  get(id: string): InstanceInfo | undefined {
    const slot = this.slots.get(id);
    return slot ? { ...slot.info } : undefined;
  }

  /** The running handle of an instance (tests reach into services through it). */
  handle<T = Stoppable>(id: string): T | null {
    return (this.slots.get(id)?.handle as T | null) ?? null;
  }

  urls(service: "order" | "tracking"): string[] {
    return [...this.slots.values()].filter((s) => s.info.service === service && s.info.url).map((s) => s.info.url!);
  }

  async startInstance(id: string): Promise<void> {
    const slot = this.require(id);
    if (slot.handle) return;
    this.update(slot, { state: "starting" });
    try {
      slot.handle = await slot.launch();
      this.update(slot, { state: "up", url: slot.handle.url, lastError: undefined });
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
    this.update(slot, { state: "stopping" });
    slot.handle = null;
    await handle.stop();
    this.update(slot, { state: "stopped" });
  }

  /** Crash one instance: no graceful path. */
  async crashInstance(id: string): Promise<void> {
    const slot = this.require(id);
    const handle = slot.handle;
    if (!handle) return;
    slot.handle = null;
    await handle.abort();
    this.update(slot, { state: "crashed" });
  }

  /** Start an instance that was stopped or crashed, retrying while its name is still held (a crashed worker's heartbeat must go stale first). */
  async restartInstance(id: string, timeoutMs = 60_000): Promise<void> {
    const slot = this.require(id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.startInstance(id);
        this.update(slot, { restarts: slot.info.restarts + 1 });
        return;
      } catch (err) {
        if (Date.now() > deadline || !/already online/.test(errorMessage(err))) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Stop everything gracefully: the order API first (no new work), subscribers last. */
  async stopAll(): Promise<void> {
    const order: ServiceName[] = ["order", "payment", "kitchen", "tracking", "notification"];
    for (const service of order) {
      const ids = [...this.slots.values()].filter((s) => s.info.service === service).map((s) => s.info.id);
      await Promise.allSettled(ids.map((id) => this.stopInstance(id)));
    }
  }

  private require(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`no service instance ${id} (known: ${[...this.slots.keys()].join(", ")})`);
    return slot;
  }

  private update(slot: Slot, changes: Partial<InstanceInfo>): void {
    Object.assign(slot.info, changes);
    this.emit("instance", { ...slot.info });
  }
}
