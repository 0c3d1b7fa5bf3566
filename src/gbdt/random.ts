/**
 * PCG32 (O'Neill 2014, XSH-RR output, 64-bit LCG state): a small seeded generator passed
 * explicitly to whatever needs randomness, so a seed reproduces a model bit for bit.
 * The 64-bit state is kept as two 32-bit halves to stay in integer arithmetic.
 */
export class Pcg32 {
  #hi = 0;
  #lo = 0;

  constructor(seed: number, stream = 0x14057b7e) {
    const s = Math.floor(Math.abs(seed)) >>> 0;
    const sHi = Math.floor(Math.abs(seed) / 4294967296) >>> 0;
    // Increment must be odd; derived from the stream id as in the reference seeding.
    this.#incHi = (stream >>> 31) >>> 0;
    this.#incLo = ((stream << 1) | 1) >>> 0;
    this.#step();
    this.#add(sHi, s);
    this.#step();
  }

  #incHi: number;
  #incLo: number;

  #add(hi: number, lo: number): void {
    const l = this.#lo + lo;
    this.#lo = l >>> 0;
    this.#hi = (this.#hi + hi + (l > 0xffffffff ? 1 : 0)) >>> 0;
  }

  /** state = state * 6364136223846793005 + inc (mod 2^64). */
  #step(): void {
    const mHi = 0x5851f42d, mLo = 0x4c957f2d;
    const aLo = this.#lo, aHi = this.#hi;
    // 64-bit product of (aHi:aLo) and (mHi:mLo), low 64 bits, via 16-bit limbs for the low word.
    const a0 = aLo & 0xffff, a1 = aLo >>> 16;
    const m0 = mLo & 0xffff, m1 = mLo >>> 16;
    const p00 = a0 * m0;
    const p01 = a0 * m1;
    const p10 = a1 * m0;
    const p11 = a1 * m1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid & 0xffff) << 16 | (p00 & 0xffff)) >>> 0;
    const carry = Math.floor(mid / 65536) + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) +
      p11;
    const hi = (carry + Math.imul(aLo, mHi) + Math.imul(aHi, mLo)) >>> 0;
    this.#lo = lo;
    this.#hi = hi;
    this.#add(this.#incHi, this.#incLo);
  }

  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const hi = this.#hi, lo = this.#lo;
    // The step, inlined (this runs once per row per tree): state = state * M + inc.
    const a0 = lo & 0xffff, a1 = lo >>> 16;
    const p00 = a0 * 0x7f2d, p01 = a0 * 0x4c95, p10 = a1 * 0x7f2d, p11 = a1 * 0x4c95;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const nLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
    const carry = Math.floor(mid / 65536) + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) +
      p11;
    const nHi = (carry + Math.imul(lo, 0x5851f42d) + Math.imul(hi, 0x4c957f2d)) >>> 0;
    const l = nLo + this.#incLo;
    this.#lo = l >>> 0;
    this.#hi = (nHi + this.#incHi + (l > 0xffffffff ? 1 : 0)) >>> 0;
    // xorshifted = ((state >> 18) ^ state) >> 27, as 32 bits; rot = state >> 59.
    const xHi = (hi ^ (hi >>> 18)) >>> 0;
    const xLo = (lo ^ ((lo >>> 18) | (hi << 14))) >>> 0;
    const xs = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = hi >>> 27;
    return ((xs >>> rot) | (xs << ((32 - rot) & 31))) >>> 0;
  }

  /**
   * Fills `out[from, to)` with the next draws, exactly as that many nextU32 calls would (the
   * state stays in locals through the loop: several times faster per draw).
   */
  fillU32(out: Uint32Array, from: number, to: number): void {
    let hi = this.#hi, lo = this.#lo;
    const incHi = this.#incHi, incLo = this.#incLo;
    for (let i = from; i < to; i++) {
      const a0 = lo & 0xffff, a1 = lo >>> 16;
      const p00 = a0 * 0x7f2d, p01 = a0 * 0x4c95, p10 = a1 * 0x7f2d, p11 = a1 * 0x4c95;
      const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      const nLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
      // Every product is below 2^31 (the multiplier's 16-bit limbs are below 2^15), so a
      // shift is its exact floor(/ 65536).
      const carry = (mid >>> 16) + (p01 >>> 16) + (p10 >>> 16) + p11;
      const nHi = (carry + Math.imul(lo, 0x5851f42d) + Math.imul(hi, 0x4c957f2d)) >>> 0;
      const xHi = (hi ^ (hi >>> 18)) >>> 0;
      const xLo = (lo ^ ((lo >>> 18) | (hi << 14))) >>> 0;
      const xs = ((xLo >>> 27) | (xHi << 5)) >>> 0;
      const rot = hi >>> 27;
      out[i] = (xs >>> rot) | (xs << ((32 - rot) & 31));
      const l = nLo + incLo;
      lo = l >>> 0;
      hi = (nHi + incHi + (l > 0xffffffff ? 1 : 0)) >>> 0;
    }
    this.#hi = hi;
    this.#lo = lo;
  }

  /** The generator's state and increment as four uint32s: [state hi, lo, inc hi, lo]. */
  getState(): [number, number, number, number] {
    return [this.#hi, this.#lo, this.#incHi, this.#incLo];
  }

  /** A generator at the state `s` (from getState). */
  static fromState(s: ArrayLike<number>): Pcg32 {
    const g = new Pcg32(0);
    g.#hi = s[0]! >>> 0;
    g.#lo = s[1]! >>> 0;
    g.#incHi = s[2]! >>> 0;
    g.#incLo = s[3]! >>> 0;
    return g;
  }

  /**
   * Moves the generator `delta` draws ahead in O(log delta) (the LCG's jump-ahead, Brown
   * 1994: the composed step is again state * M' + C'), so that threads can each start at
   * their share of one stream and draw exactly what a single thread would.
   */
  advance(delta: number): void {
    const inc = (BigInt(this.#incHi) << 32n) | BigInt(this.#incLo);
    const [m, c] = jumpOf(inc, delta);
    const st = (m * ((BigInt(this.#hi) << 32n) | BigInt(this.#lo)) + c) & MASK64;
    this.#hi = Number(st >> 32n);
    this.#lo = Number(st & 0xffffffffn);
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) (n <= 2^32), without modulo bias. */
  nextInt(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }
}

const MASK64 = (1n << 64n) - 1n;
const MULTIPLIER = 6364136223846793005n;
/** Jump constants by increment and distance (a run uses a handful of distances). */
const jumps = new Map<string, [bigint, bigint]>();

/** (M', C') with state after `delta` steps = M' * state + C' (mod 2^64). */
function jumpOf(inc: bigint, delta: number): [bigint, bigint] {
  const key = `${inc}:${delta}`;
  const hit = jumps.get(key);
  if (hit) return hit;
  let accMult = 1n, accPlus = 0n, curMult = MULTIPLIER, curPlus = inc;
  for (let d = BigInt(delta); d > 0n; d >>= 1n) {
    if (d & 1n) {
      accMult = (accMult * curMult) & MASK64;
      accPlus = (accPlus * curMult + curPlus) & MASK64;
    }
    curPlus = ((curMult + 1n) * curPlus) & MASK64;
    curMult = (curMult * curMult) & MASK64;
  }
  const out: [bigint, bigint] = [accMult, accPlus];
  if (jumps.size >= 4096) jumps.clear();
  jumps.set(key, out);
  return out;
}
