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

/** The train section's learner settings as another stage declares them in `uses`. */
export const GBDT_USES = {
  "train.n_estimators": "number",
  "train.learning_rate": "number",
  "train.max_depth": "number",
  "train.max_leaves": "number",
  "train.min_child_weight": "number",
  "train.subsample": "number",
  "train.colsample_bytree": "number",
  "train.lambda": "number",
  "train.gamma": "number",
  "train.max_bins": "number",
  "train.objective": "string",
} as const;

type GbdtUsed = {
  readonly [K in keyof typeof GBDT_USES]: (typeof GBDT_USES)[K] extends "number" ? number
    : string;
};

/** GbdtSettings from a stage's typed `ctx.used` (declared with GBDT_USES). */
export function gbdtSettingsOf(used: GbdtUsed): GbdtSettings {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(GBDT_USES) as (keyof typeof GBDT_USES)[]) {
    out[k.slice("train.".length)] = used[k];
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
