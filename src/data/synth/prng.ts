/**
 * A small seeded PRNG for the synthetic generator: sfc32 (Chris Doty-Humphrey's "small fast
 * chaotic" generator, 128-bit state), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. Passed explicitly everywhere: the generator never touches Math.random,
 * which is what makes the same seed give bit-identical files.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
}

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/** A PRNG from an integer seed and optional stream keys (e.g. a station index). */
export function createPrng(seed: number, ...keys: number[]): Prng {
  if (!Number.isInteger(seed)) {
    throw new TypeError(`Cannot seed the PRNG: expected an integer seed, got ${seed}`);
  }
  let s = seed | 0;
  for (const k of keys) {
    let h: number;
    [s, h] = splitmix32(s ^ Math.imul(k + 1, 0x27d4eb2d));
    s ^= h;
  }
  const w: number[] = [];
  for (let i = 0; i < 4; i++) {
    let h: number;
    [s, h] = splitmix32(s);
    w.push(h);
  }
  let [a, b, c, d] = w as [number, number, number, number];
  const prng: Prng = {
    next() {
      a >>>= 0, b >>>= 0, c >>>= 0, d >>>= 0;
      const t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      const r = (t + d) | 0;
      c = (c + r) | 0;
      return (r >>> 0) / 4294967296;
    },
  };
  // Discard the first outputs: sfc32 mixes its state over its first few rounds.
  for (let i = 0; i < 12; i++) prng.next();
  return prng;
}

/** Standard normal deviate (Box-Muller; one value per call keeps the stream simple). */
export function normal(prng: Prng): number {
  const u = 1 - prng.next();
  const v = prng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Exponential deviate with the given mean. */
export function exponential(prng: Prng, mean: number): number {
  return -mean * Math.log(1 - prng.next());
}

/** Integer in [lo, hi] inclusive. */
export function intBetween(prng: Prng, lo: number, hi: number): number {
  return lo + Math.floor(prng.next() * (hi - lo + 1));
}
