/**
 * A small seedable generator (sfc32) whose whole state is four uint32s, so a checkpoint can store it and a resumed
 * run draws exactly the numbers the uninterrupted run would have drawn.
 */
export type RngState = [number, number, number, number];

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Standard normal (Box–Muller, no cached spare so the state stays four words). */
  normal(): number;
  state(): RngState;
}

/** Mixes any number of integers into one uint32 (for per-image, per-epoch sub-seeds). */
export function hashSeed(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d) >>> 0;
    h ^= h >>> 12;
  }
  return h >>> 0;
}

export function createRng(seedOrState: number | RngState): Rng {
  let [a, b, c, d] = typeof seedOrState === 'number'
    ? [0x9e3779b9, hashSeed(seedOrState, 1), hashSeed(seedOrState, 2), hashSeed(seedOrState, 3)]
    : seedOrState;
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  if (typeof seedOrState === 'number') for (let i = 0; i < 12; i++) nextU32(); // warm up away from the seed
  const next = (): number => nextU32() / 0x100000000;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    range: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => [a, b, c, d],
  };
}
