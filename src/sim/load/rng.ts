/**
 * A small seeded PRNG (xoshiro128**) with no dependency. A stream is named by (seed, label): the
 * same pair always yields the same numbers, and different labels yield independent streams, so
 * the arrival schedule and the order bodies of a scenario never disturb each other.
 */

/** 128 bits from a string (cyrb128-style mixing); the state of a stream. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export class Rng {
  private readonly s = new Uint32Array(4);

  /** A stream named by `seed` and `label`; use `Rng.derive`. */
  private constructor(
    readonly seed: number | string,
    readonly label: string,
  ) {
    this.s.set(hash128(`${seed}\u0000${label}`));
    if (this.s[0] === 0 && this.s[1] === 0 && this.s[2] === 0 && this.s[3] === 0) this.s[0] = 0x9e3779b9;
    // Let the first outputs forget how close two labels were.
    for (let i = 0; i < 8; i++) this.nextUint32();
  }

  /** The stream of `label` under `seed`: independent of every other label's. */
  static derive(seed: number | string, label: string): Rng {
    return new Rng(seed, label);
  }

  /** A child stream, independent of this one and of its other children. */
  fork(label: string): Rng {
    return new Rng(this.seed, `${this.label}/${label}`);
  }

  /** 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`int(${min}, ${max}): need integers with min <= max`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick() from an empty list");
    return items[Math.floor(this.next() * items.length)];
  }

  /** A key drawn with probability proportional to its weight (weights >= 0, some > 0). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const keys = Object.keys(weights) as K[];
    let total = 0;
    for (const k of keys) {
      const w = weights[k];
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weighted(): weight of ${k} must be a finite number >= 0`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError("weighted(): no weight above 0");
    let u = this.next() * total;
    let last: K = keys[0];
    for (const k of keys) {
      const w = weights[k];
      if (w <= 0) continue;
      last = k;
      if (u < w) return k;
      u -= w;
    }
    return last; // rounding left u just past the end
  }

  /** An exponentially distributed draw with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    if (!(rate > 0)) throw new RangeError(`exponential(${rate}): rate must be above 0`);
    return -Math.log(1 - this.next()) / rate;
  }
}
