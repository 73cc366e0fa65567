import { BUCKETS } from "../shared/contracts.js";
import type { KV } from "../shared/kv.js";
import type { Logger } from "../shared/logger.js";
import { PizzeriaError } from "../shared/errors.js";

/** No order number could be reserved (the broker is unreachable and the local block is used up). */
export class OrderNumbersUnavailableError extends PizzeriaError {}

/** `YYYYMMDD` of a time, in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10).replaceAll("-", "");
}

/** `ORD_YYYYMMDD_NNN`: at least three digits, more past 999 orders a day. */
export function formatOrderNumber(day: string, n: number): string {
  return `ORD_${day}_${String(n).padStart(3, "0")}`;
}

export function parseOrderNumber(number: string): { day: string; n: number } | null {
  const m = /^ORD_(\d{8})_(\d{3,})$/.exec(number);
  return m ? { day: m[1], n: Number(m[2]) } : null;
}

/** Numbers a day can hold in an order key: ten digits' worth, more than a day of any rate. */
export const ORDER_KEYS_PER_DAY = 1e10;

/** The first key of a UTC day (`YYYYMMDD`): its days since 1970 times ORDER_KEYS_PER_DAY. */
export function dayKey(day: string): number {
  return (Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))) / 86_400_000) * ORDER_KEYS_PER_DAY;
}

/**
 * An order number as an integer that sorts as the numbers were handed out (by day, then by number):
 * the order table's rowid, so finding an order by number needs no index of its own. Exact in a
 * double until the year 4400. Null for what is not an order number.
 */
export function orderKey(number: string): number | null {
  const parsed = parseOrderNumber(number);
  return parsed ? orderKeyOf(parsed) : null;
}

/** orderKey of a number already parsed. */
export function orderKeyOf(parsed: { day: string; n: number }): number | null {
  return parsed.n < ORDER_KEYS_PER_DAY ? dayKey(parsed.day) + parsed.n : null;
}

interface Block {
  next: number;
  end: number;
}

/**
 * Order numbers unique across order-service instances. Each instance reserves a block of numbers
 * per UTC day from a KV counter with compare-and-set, and hands them out synchronously inside its
 * SQLite transaction; it reserves the next block when half of the current one is used, so short
 * broker outages do not stop order taking. Gaps (an instance stopping mid-block) are fine; reuse
 * is not: a block never starts below what this instance's own database already holds.
 */
export class OrderNumbers {
  private readonly blocks = new Map<string, Block[]>();
  private readonly reserving = new Map<string, Promise<void>>();

  constructor(
    private readonly kv: KV,
    private readonly blockSize: number,
    private readonly localMax: (day: string) => number,
    private readonly log: Logger,
    /**
     * TEST-ONLY (PIZZERIA_MUTANT=order-number-reuse, see shared/mutants.ts; never in production):
     * start each block from this instance's own database, as if the shared counter were not there,
     * so two instances hand out the same numbers.
     */
    private readonly options: { ignoreSharedCounter?: boolean } = {},
  ) {}

  /** A number for this day, or null when none is reserved (call `ensure` and try again). */
  take(day: string): string | null {
    const queue = this.blocks.get(day);
    if (!queue) return null;
    while (queue.length > 0 && queue[0].next > queue[0].end) queue.shift();
    const block = queue[0];
    if (!block) return null;
    const n = block.next++;
    const left = queue.reduce((sum, b) => sum + (b.end - b.next + 1), 0);
    if (left < this.blockSize / 2) void this.reserve(day).catch(() => undefined);
    return formatOrderNumber(day, n);
  }

  /** Make sure a number is available for this day (reserving a block over NATS when needed). */
  async ensure(day: string): Promise<void> {
    const queue = this.blocks.get(day);
    if (queue?.some((b) => b.next <= b.end)) return;
    await this.reserve(day);
  }

  private reserve(day: string): Promise<void> {
    const inFlight = this.reserving.get(day);
    if (inFlight) return inFlight;
    const p = this.reserveBlock(day).finally(() => this.reserving.delete(day));
    this.reserving.set(day, p);
    return p;
  }

  private async reserveBlock(day: string): Promise<void> {
    const key = `seq_${day}`;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const entry = await this.kv.get(key);
        const current = entry && entry.operation === "PUT" ? Number(entry.string()) : 0;
        const start = Math.max(this.options.ignoreSharedCounter ? 0 : current, this.localMax(day)) + 1;
        const end = start + this.blockSize - 1;
        if (entry && entry.operation === "PUT") await this.kv.update(key, String(end), entry.revision);
        else await this.kv.create(key, String(end));
        // Drop any block of other days: only today's (and a day crossing in progress) matter.
        for (const d of this.blocks.keys()) if (d < day) this.blocks.delete(d);
        const queue = this.blocks.get(day) ?? [];
        queue.push({ next: start, end });
        this.blocks.set(day, queue);
        this.log.debug({ action: "order_numbers_reserved", day, start, end }, "Reserved a block of order numbers");
        return;
      } catch (err) {
        if (/wrong last sequence|exists/i.test((err as Error).message)) continue; // another instance won the race
        throw new OrderNumbersUnavailableError(`cannot reserve order numbers in KV bucket ${BUCKETS.orderSequence}: ${(err as Error).message}`, { cause: err });
      }
    }
    throw new OrderNumbersUnavailableError(`cannot reserve order numbers: too much contention on ${BUCKETS.orderSequence}`);
  }
}
