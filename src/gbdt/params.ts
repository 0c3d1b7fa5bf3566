/** Hyper-parameters of the gradient-boosting learner, with their defaults and validation. */

export type Objective = "squared_error" | "pseudo_huber";

export interface GbdtParams {
  /** Number of boosting rounds (trees). */
  nEstimators: number;
  /** Shrinkage applied to every leaf value, in (0, 1]. */
  learningRate: number;
  /** Maximum tree depth (root = depth 0). 0 = no limit, allowed only with maxLeaves > 0. */
  maxDepth: number;
  /** 0 = depth-wise growth (every node to maxDepth); 2..4096 = leaf-wise, best-first, this many leaves. */
  maxLeaves: number;
  /** Minimum sum of hessians in each child (row count for squared error). */
  minChildWeight: number;
  /** L2 regularisation on leaf values. */
  lambda: number;
  /** Minimum gain for a split (XGBoost's gamma / min_split_loss, in its unhalved gain units). */
  gamma: number;
  /** Share of rows drawn (Bernoulli, per tree) to grow each tree, in (0, 1]. */
  subsample: number;
  /** Share of features drawn per tree, in (0, 1]. */
  colsampleBytree: number;
  /** Value bins per feature, in [2, 255] (the missing bin comes on top). */
  maxBins: number;
  objective: Objective;
  /** Pseudo-Huber transition scale δ (loss δ²(√(1+(r/δ)²) − 1)), > 0. */
  huberSlope: number;
  /** Stop when the validation RMSE has not improved for this many rounds (0 = never). */
  earlyStoppingRounds: number;
  /** Seed of the PCG32 used for row and column sampling. */
  seed: number;
}

/** Defaults: XGBoost's where it has one (eta 0.3 aside: 0.1 suits 100s of trees better). */
export const DEFAULT_PARAMS: Readonly<GbdtParams> = Object.freeze({
  nEstimators: 100,
  learningRate: 0.1,
  maxDepth: 6,
  maxLeaves: 0,
  minChildWeight: 1,
  lambda: 1,
  gamma: 0,
  subsample: 1,
  colsampleBytree: 1,
  maxBins: 255,
  objective: "squared_error",
  huberSlope: 1,
  earlyStoppingRounds: 0,
  seed: 0,
});

const KEYS = Object.keys(DEFAULT_PARAMS) as (keyof GbdtParams)[];

/** Defaults merged with `p`, validated; throws a RangeError or TypeError naming the parameter. */
export function resolveParams(p: Partial<GbdtParams>): GbdtParams {
  for (const k of Object.keys(p)) {
    if (!(KEYS as string[]).includes(k)) {
      throw new TypeError(
        `Cannot train: unknown parameter "${k}": expected one of ${KEYS.join(", ")}`,
      );
    }
  }
  const q: GbdtParams = { ...DEFAULT_PARAMS, ...p };
  const bad = (name: string, want: string, got: unknown): never => {
    throw new RangeError(`Cannot train: ${name} must be ${want}: got ${String(got)}`);
  };
  const int = (name: keyof GbdtParams, min: number, max = Infinity) => {
    const v = q[name] as number;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      bad(name, `an integer in [${min}, ${max === Infinity ? "∞)" : `${max}]`}`, v);
    }
  };
  const unit = (name: keyof GbdtParams) => {
    const v = q[name] as number;
    if (typeof v !== "number" || !(v > 0 && v <= 1)) bad(name, "in (0, 1]", v);
  };
  const nonNeg = (name: keyof GbdtParams) => {
    const v = q[name] as number;
    if (typeof v !== "number" || !(v >= 0 && v < Infinity)) bad(name, "finite and >= 0", v);
  };
  int("nEstimators", 1);
  unit("learningRate");
  int("maxDepth", 0, 31);
  int("maxLeaves", 0, 4096);
  if (q.maxLeaves === 1) bad("maxLeaves", "0 (depth-wise) or at least 2", 1);
  if (q.maxDepth === 0 && q.maxLeaves === 0) {
    bad("maxDepth", "at least 1 when maxLeaves is 0 (depth-wise growth)", 0);
  }
  nonNeg("minChildWeight");
  nonNeg("lambda");
  nonNeg("gamma");
  unit("subsample");
  unit("colsampleBytree");
  int("maxBins", 2, 255);
  if (q.objective !== "squared_error" && q.objective !== "pseudo_huber") {
    bad("objective", '"squared_error" or "pseudo_huber"', JSON.stringify(q.objective));
  }
  if (typeof q.huberSlope !== "number" || !(q.huberSlope > 0 && q.huberSlope < Infinity)) {
    bad("huberSlope", "finite and > 0", q.huberSlope);
  }
  int("earlyStoppingRounds", 0);
  if (typeof q.seed !== "number" || !Number.isInteger(q.seed) || q.seed < 0) {
    bad("seed", "a non-negative integer", q.seed);
  }
  return q;
}
