import { defineStage } from "../src/pipeline/stage.ts";
import { bool, int, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import type { SplitReport } from "../src/features/split.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { GBDT_USES, gbdtParamsFrom, gbdtSettingsOf } from "../src/tuning/gbdt_params.ts";
import { targetForms } from "../src/tuning/target.ts";
import { SAMPLERS, tuneGbdt } from "../src/tuning/tune.ts";
import { bestMetrics, describeBest, writeTuneArtifacts } from "../src/tuning/tune_tables.ts";
import {
  BEST_PATH,
  FOLDS_PATH,
  OOF_PATH,
  SPLIT_REPORT,
  SPLITS,
  TRIALS_PATH,
} from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "tune",
  description:
    "every choice by rolling-origin cross-validation in the training period: GBDT parameters (successive halving, TPE), target form, tree count",
  after: ["split"],
  enabled: (g) => !g.model_path,
  params: {
    enabled: bool(
      true,
      "search hyper-parameters; false = cross-validate the train stage's values only",
    ),
    sampler: str(
      "tpe",
      "how first-rung configurations are drawn: tpe (model-based) or random",
      SAMPLERS,
    ),
    max_trials: int(8, "configurations at the first rung, the untuned default(s) included", {
      min: 1,
      max: 1000,
    }),
    eta: int(3, "keep the best 1/eta of each rung; each rung fits eta times more rows", {
      min: 2,
      max: 10,
    }),
    rungs: int(3, "rungs of successive halving (the last one fits every row of each fold)", {
      min: 1,
      max: 6,
    }),
    early_stopping_rounds: int(20, "a fold stops after this many rounds without a better RMSE", {
      min: 1,
    }),
    budget_seconds: int(
      0,
      "wall-clock cap: no new trial starts after it (0 = none; recorded when it binds)",
      {
        min: 0,
      },
    ),
  },
  uses: {
    "pipeline.seed": "number",
    "features.target": "string",
    "train.threads": "number",
    ...GBDT_USES,
  },
  inputs: () => [SPLITS.train, SPLIT_REPORT],
  outputs: () => [TRIALS_PATH, BEST_PATH, FOLDS_PATH, OOF_PATH],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const split = JSON.parse(await Deno.readTextFile(ctx.path(SPLIT_REPORT))) as SplitReport;
    const threads = ctx.used["train.threads"];
    const c = await openDuck();
    try {
      const tr = await loadSplit(c, ctx.path(SPLITS.train), {
        features: FEATURE_NAMES,
        target: TARGET,
        label: "training",
      });
      ctx.rows("train", tr.X.nRows);
      const o = await tuneGbdt(tr, split.folds, {
        enabled: p.enabled,
        sampler: p.sampler as (typeof SAMPLERS)[number],
        maxTrials: p.max_trials,
        eta: p.eta,
        rungs: p.rungs,
        earlyStoppingRounds: p.early_stopping_rounds,
        budgetSeconds: p.budget_seconds,
        seed: ctx.globals.seed,
        ...(threads > 0 ? { threads } : {}),
        forms: targetForms(ctx.used["features.target"]),
        base: gbdtParamsFrom(gbdtSettingsOf(ctx.used), ctx.globals.seed),
        log: (m) => ctx.log(m),
      }).catch((e) => {
        throw new Error(`Cannot tune on ${SPLITS.train}: ${(e as Error).message}`, { cause: e });
      });
      await writeTuneArtifacts(c, o, tr, split.folds, {
        trials: ctx.out(TRIALS_PATH),
        folds: ctx.out(FOLDS_PATH),
        oof: ctx.out(OOF_PATH),
        best: ctx.out(BEST_PATH),
      });
      const b = o.best;
      for (const [k, v] of Object.entries(bestMetrics(b))) ctx.metric(k, v);
      ctx.record("best", b);
      if (b.stopped) ctx.warn(`tune.budget_seconds (${p.budget_seconds} s) bound: stopped early`);
      ctx.log(describeBest(b));
    } finally {
      c.closeSync();
    }
  },
});
