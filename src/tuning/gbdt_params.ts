/**
 * The `train` stage's parameters (snake_case in params.yaml) as learner parameters, and
 * the rule that merges tuned values over them: train params are the base; the tuned keys
 * (search_space.ts) override them unless `use_tuned` is false or tuning was disabled.
 */
import type { GbdtParams, Objective } from "../gbdt/params.ts";
import { TUNED_KEYS, type TunedParams } from "./search_space.ts";

/** The learner settings of the train section, as resolved by the pipeline. */
export function gbdtParamsFrom(train: Record<string, unknown>, seed: number): Partial<GbdtParams> {
  const n = (k: string) => {
    const v = train[k];
    if (typeof v !== "number") {
      throw new TypeError(`Cannot read train.${k}: expected a number, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return {
    nEstimators: n("n_estimators"),
    learningRate: n("learning_rate"),
    maxDepth: n("max_depth"),
    maxLeaves: n("max_leaves"),
    minChildWeight: n("min_child_weight"),
    subsample: n("subsample"),
    colsampleBytree: n("colsample_bytree"),
    lambda: n("lambda"),
    gamma: n("gamma"),
    maxBins: n("max_bins"),
    objective: String(train["objective"]) as Objective,
    earlyStoppingRounds: n("early_stopping_rounds"),
    seed: seed >>> 0,
  };
}

/** The tuned keys of `p`. */
export function tunedPart(p: Partial<GbdtParams>): TunedParams {
  const out: Record<string, unknown> = {};
  for (const k of TUNED_KEYS) out[k] = p[k];
  return out as TunedParams;
}

/** `base` with the tuned keys of `tuned` over it (only keys present and finite). */
export function mergeTuned(
  base: Partial<GbdtParams>,
  tuned: Partial<TunedParams> | null,
): Partial<GbdtParams> {
  const out: Partial<GbdtParams> = { ...base };
  if (!tuned) return out;
  for (const k of TUNED_KEYS) {
    const v = tuned[k];
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  }
  return out;
}
