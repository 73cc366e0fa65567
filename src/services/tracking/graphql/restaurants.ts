import type { KV } from "../../shared/kv.js";
import type { Logger } from "../../shared/logger.js";
import type { RestaurantDefinition } from "../../shared/menus.js";
import { errorField } from "../../shared/errors.js";

/**
 * The restaurants bucket as tracking last heard it: a watch keeps the map current (a definition
 * the restaurant service writes arrives here), so a query reads memory, not the broker.
 */
export class RestaurantDirectory {
  private readonly known = new Map<string, RestaurantDefinition>();
  private stopWatch: () => void = () => undefined;

  static async watch(kv: KV, log: Logger): Promise<RestaurantDirectory> {
    const directory = new RestaurantDirectory();
    const watcher = await kv.watch();
    directory.stopWatch = () => watcher.stop();
    void (async () => {
      for await (const entry of watcher) {
        if (entry.operation !== "PUT") {
          directory.known.delete(entry.key);
          continue;
        }
        try {
          const value = entry.json() as RestaurantDefinition;
          if (typeof value?.id !== "string" || typeof value.name !== "string") throw new Error("not a restaurant definition (id and name)");
          directory.known.set(entry.key, value);
        } catch (err) {
          log.warn({ action: "restaurant_record_unreadable", key: entry.key, error: errorField(err) }, "Unreadable restaurant record ignored");
        }
      }
    })().catch(() => undefined);
    return directory;
  }

  get(id: string): RestaurantDefinition | undefined {
    return this.known.get(id);
  }

  all(): RestaurantDefinition[] {
    return [...this.known.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  stop(): void {
    this.stopWatch();
  }
}
