/**
 * The GBDT search space of the `tune` stage: learning rate, tree shape (depth-wise with a
 * depth limit, or leaf-wise with a leaf limit), min child weight, row and column
 * subsampling and L2 penalty. Scale parameters are drawn log-uniformly.
 */
import type { GbdtParams } from "../gbdt/params.ts";
import { Pcg32 } from "../gbdt/random.ts";

export type TunedParams = Pick<
  GbdtParams,
  | "learningRate"
  | "maxDepth"
  | "maxLeaves"
  | "minChildWeight"
  | "subsample"
  | "colsampleBytree"
  | "lambda"
>;

export const TUNED_KEYS: readonly (keyof TunedParams)[] = [
  "learningRate",
  "maxDepth",
  "maxLeaves",
  "minChildWeight",
  "subsample",
  "colsampleBytree",
  "lambda",
];

/** `n` configurations drawn with a PCG32 seeded by `seed`: the same seed, the same list. */
export function sampleConfigs(n: number, seed: number): TunedParams[] {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot sample configurations: n must be a positive integer, got ${n}`);
  }
  const rng = new Pcg32(seed, 0x7475);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.nextFloat();
  const logUniform = (lo: number, hi: number) => Math.exp(uniform(Math.log(lo), Math.log(hi)));
  const out: TunedParams[] = [];
  for (let i = 0; i < n; i++) {
    const leafWise = rng.nextFloat() < 0.5;
    const maxDepth = leafWise ? 12 : 3 + rng.nextInt(6); // 3..8
    const maxLeaves = leafWise ? Math.round(logUniform(15, 127)) : 0;
    out.push({
      learningRate: round(logUniform(0.03, 0.3)),
      maxDepth,
      maxLeaves,
      minChildWeight: round(logUniform(1, 100)),
      subsample: round(uniform(0.5, 1)),
      colsampleBytree: round(uniform(0.5, 1)),
      lambda: round(logUniform(0.1, 30)),
    });
  }
  return out;
}

/** Four significant digits: short, readable parameters in best.json and the trials table. */
function round(v: number): number {
  return Number(v.toPrecision(4));
}
