import type { RestaurantDefinition } from "../shared/menus.js";
import type { Db } from "../shared/db.js";
import type { KV } from "../shared/kv.js";
import { retryWhileSettling } from "../shared/nats.js";

export const RESTAURANTS_TABLE = `
CREATE TABLE IF NOT EXISTS restaurants (
  id         TEXT PRIMARY KEY,
  definition TEXT NOT NULL, -- RestaurantDefinition as JSON (its open field is the column below)
  open       INTEGER NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
`;

/**
 * The restaurants this service runs, in its own SQLite, each written to the `pizzeria_restaurants`
 * bucket (keyed by id) where the customer service reads its menu and open state. The definitions
 * come from the options at every start; whether a restaurant is open survives restarts (staff
 * closed it: a crash does not reopen it).
 */
export class RestaurantBook {
  private readonly q;
  private readonly byId = new Map<string, RestaurantDefinition>();

  constructor(
    db: Db,
    private readonly kv: KV,
    definitions: readonly RestaurantDefinition[],
  ) {
    this.q = {
      upsert: db.prepare(
        `INSERT INTO restaurants (id, definition, open, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET definition = excluded.definition`,
      ),
      get: db.prepare("SELECT definition, open FROM restaurants WHERE id = ?"),
      setOpen: db.prepare("UPDATE restaurants SET open = ?, updated_at = ? WHERE id = ?"),
    };
    const now = new Date().toISOString();
    db.transaction(() => {
      for (const d of definitions) this.q.upsert.run(d.id, JSON.stringify(d), d.open ? 1 : 0, now);
    }).immediate();
    for (const d of definitions) {
      const row = this.q.get.get(d.id) as { open: number };
      this.byId.set(d.id, { ...d, open: row.open === 1 });
    }
  }

  /** Put every restaurant in the bucket (at start: the customer service prices carts from it). */
  async publishAll(): Promise<void> {
    // At start the bucket may be new and its stream still choosing a leader (a cluster just up):
    // no responders, a timeout. A put of the same value again changes nothing.
    for (const d of this.byId.values()) await retryWhileSettling(`publish restaurant ${d.id}`, () => this.publish(d));
  }

  list(): RestaurantDefinition[] {
    return [...this.byId.values()];
  }

  get(id: string): RestaurantDefinition | undefined {
    return this.byId.get(id);
  }

  /** Open or close a restaurant: stored, then published. Returns the definition as it now is. */
  async setOpen(id: string, open: boolean): Promise<RestaurantDefinition | undefined> {
    const current = this.byId.get(id);
    if (!current) return undefined;
    const next = { ...current, open };
    this.q.setOpen.run(open ? 1 : 0, new Date().toISOString(), id);
    this.byId.set(id, next);
    await this.publish(next);
    return next;
  }

  private async publish(d: RestaurantDefinition): Promise<void> {
    await this.kv.put(d.id, JSON.stringify(d));
  }
}
