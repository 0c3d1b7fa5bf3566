/**
 * The `train` stage's learner parameters (snake_case in params.yaml) as typed learner
 * parameters, and the rule that merges tuned values over them: train params are the base
 * (and the untuned default); the tuned keys (search_space.ts) override them.
 */
import type { GbdtParams, Objective } from "../gbdt/params.ts";
import { TUNED_KEYS, type TunedParams } from "./search_space.ts";

/** The learner settings of the `train` section of params.yaml. */
export interface GbdtSettings {
  n_estimators: number;
  learning_rate: number;
  max_depth: number;
  max_leaves: number;
  min_child_weight: number;
  subsample: number;
  colsample_bytree: number;
  lambda: number;
  gamma: number;
  max_bins: number;
  objective: string;
}

/** The keys of GbdtSettings: what the tune stage reads from the train section. */
export const GBDT_SETTING_KEYS: readonly (keyof GbdtSettings)[] = [
  "n_estimators",
  "learning_rate",
  "max_depth",
  "max_leaves",
  "min_child_weight",
  "subsample",
  "colsample_bytree",
  "lambda",
  "gamma",
  "max_bins",
  "objective",
];

/** GbdtSettings read from another stage's section, checked; throws naming the key. */
export function readGbdtSettings(train: Record<string, unknown> | undefined): GbdtSettings {
  const out: Record<string, unknown> = {};
  for (const k of GBDT_SETTING_KEYS) {
    const v = train?.[k];
    const ok = k === "objective" ? typeof v === "string" : typeof v === "number";
    if (!ok) {
      throw new TypeError(
        `Cannot read train.${k}: expected a ${k === "objective" ? "string" : "number"}, got ${
          JSON.stringify(v)
        }`,
      );
    }
    out[k] = v;
  }
  return out as unknown as GbdtSettings;
}

/** The learner parameters of the train settings. */
export function gbdtParamsFrom(train: GbdtSettings, seed: number): Partial<GbdtParams> {
  return {
    nEstimators: train.n_estimators,
    learningRate: train.learning_rate,
    maxDepth: train.max_depth,
    maxLeaves: train.max_leaves,
    minChildWeight: train.min_child_weight,
    subsample: train.subsample,
    colsampleBytree: train.colsample_bytree,
    lambda: train.lambda,
    gamma: train.gamma,
    maxBins: train.max_bins,
    objective: train.objective as Objective,
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
