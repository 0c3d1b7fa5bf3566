/**
 * The GBDT search space of the `tune` stage: learning rate, depth, min child weight, row
 * and column subsampling, L2 penalty, and the target's form where `features.target` is
 * `auto`. Scale parameters are searched on a log scale. The space holds the reference
 * settings (depth 8, eta 0.05, subsample 0.8, colsample 0.8): the untuned default the
 * search starts from (the `train` parameters) is always one of its configurations.
 */
import type { GbdtParams } from "../gbdt/params.ts";
import { Pcg32 } from "../gbdt/random.ts";
import type { TargetForm } from "./target.ts";

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

/** One point of the search: learner parameters and the target's form. */
export interface TuneConfig {
  params: TunedParams;
  target: TargetForm;
}

/** A numeric dimension: uniform on [low, high], or on [log low, log high] when `log`. */
export interface Dimension {
  key: Exclude<keyof TunedParams, "maxLeaves">;
  low: number;
  high: number;
  log: boolean;
  integer: boolean;
}

/** Depth-wise trees (maxLeaves 0): the reference's growth, and the one searched. */
export const SPACE: readonly Dimension[] = [
  { key: "learningRate", low: 0.02, high: 0.2, log: true, integer: false },
  { key: "maxDepth", low: 4, high: 10, log: false, integer: true },
  { key: "minChildWeight", low: 1, high: 200, log: true, integer: false },
  { key: "subsample", low: 0.5, high: 1, log: false, integer: false },
  { key: "colsampleBytree", low: 0.5, high: 1, log: false, integer: false },
  { key: "lambda", low: 0.1, high: 50, log: true, integer: false },
];

/** A dimension's value in the sampler's space (log where `log`), and back (rounded). */
export function toUnit(d: Dimension, v: number): number {
  return d.log ? Math.log(v) : v;
}
export function fromUnit(d: Dimension, u: number): number {
  const lo = toUnit(d, d.low), hi = toUnit(d, d.high);
  const c = Math.min(hi, Math.max(lo, u));
  const v = d.log ? Math.exp(c) : c;
  return d.integer ? Math.round(v) : round(v);
}

/** A configuration from dimension values (sampler space) and a target form. */
export function configOf(units: readonly number[], target: TargetForm): TuneConfig {
  const params = { maxLeaves: 0 } as TunedParams;
  SPACE.forEach((d, k) => (params[d.key] = fromUnit(d, units[k]!)));
  return { params, target };
}

/** `n` configurations drawn uniformly with a PCG32 seeded by `seed`: the same seed, the same list. */
export function sampleConfigs(
  n: number,
  seed: number,
  forms: readonly TargetForm[] = ["level"],
): TuneConfig[] {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot sample configurations: n must be a positive integer, got ${n}`);
  }
  const rng = new Pcg32(seed, 0x7475);
  return Array.from({ length: n }, () => randomConfig(rng, forms));
}

/** One configuration drawn uniformly (log-uniformly for log dimensions). */
export function randomConfig(rng: Pcg32, forms: readonly TargetForm[]): TuneConfig {
  const units = SPACE.map((d) => {
    const lo = toUnit(d, d.low), hi = toUnit(d, d.high);
    // Integers: every value equally likely once rounded.
    return d.integer
      ? lo - 0.5 + (hi - lo + 1) * rng.nextFloat()
      : lo + (hi - lo) * rng.nextFloat();
  });
  const target = forms[forms.length > 1 ? rng.nextInt(forms.length) : 0]!;
  return configOf(units, target);
}

/** Four significant digits: short, readable parameters in best.json and the trials table. */
function round(v: number): number {
  return Number(v.toPrecision(4));
}
