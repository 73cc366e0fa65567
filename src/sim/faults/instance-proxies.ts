import type { NatsOptions } from "../../services/shared/nats.js";
import { startProxy, type NetProxy } from "./net-proxy.js";

/**
 * A TCP proxy between each service instance and NATS (one per broker node), so a network fault
 * can be put on that one link. The launcher routes an instance through `route`; chaos finds an
 * instance's proxies with `of`.
 */
export class InstanceProxies {
  private readonly proxies = new Map<string, NetProxy[]>();

  /** The NATS options instance `id` connects with: its own proxies in front of the system's servers. */
  async route(id: string, nats: NatsOptions): Promise<NatsOptions> {
    let list = this.proxies.get(id);
    if (!list) {
      const servers = [nats.servers].flat();
      list = await Promise.all(
        servers.map((url) => {
          const u = new URL(url.includes("://") ? url : `nats://${url}`);
          return startProxy({ upstream: { host: u.hostname, port: Number(u.port || 4222) } });
        }),
      );
      this.proxies.set(id, list);
    }
    return { ...nats, servers: list.map((p) => p.url("nats")) };
  }

  /** The proxies in front of instance `id` (none before it first started). */
  of(id: string): NetProxy[] {
    return this.proxies.get(id) ?? [];
  }

  async closeAll(): Promise<void> {
    for (const list of this.proxies.values()) await Promise.allSettled(list.map((p) => p.close()));
    this.proxies.clear();
  }
}
