import { defineStage } from "../src/pipeline/stage.ts";
import { bool, int } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import { train as trainGbdt } from "../src/gbdt/boost.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { sampleConfigs, TUNED_KEYS, type TunedParams } from "../src/tuning/search_space.ts";
import { successiveHalving } from "../src/tuning/successive_halving.ts";
import { gbdtParamsFrom, tunedPart } from "../src/tuning/gbdt_params.ts";
import { sampleRowIndices, takeRows } from "../src/tuning/row_sample.ts";
import { writeColumns } from "../src/data/write_columns.ts";
import { BEST_PATH, SPLITS, TRIALS_PATH } from "../src/pipeline/catalog.ts";
import type { TuneBest } from "../src/tuning/best.ts";

/** The train section's parameters the search reads: base settings and the values used when disabled. */
const TRAIN_USES = {
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
  "train.early_stopping_rounds": "number",
} as const;

export default defineStage({
  name: "tune",
  description: "successive-halving search of GBDT hyper-parameters on the validation RMSE",
  after: ["split"],
  enabled: (g) => !g.model_path,
  params: {
    enabled: bool(true, "search hyper-parameters; false = the train stage's values as they are"),
    budget_seconds: int(60, "wall-clock budget: no new trial starts after it", { min: 1 }),
    max_trials: int(12, "configurations sampled for the first rung", { min: 1, max: 1000 }),
    eta: int(3, "keep the best 1/eta of each rung and multiply its trees by eta", {
      min: 2,
      max: 10,
    }),
    min_trees: int(20, "trees per trial at the first rung", { min: 1 }),
    max_trees: int(150, "trees per trial at the last rung", { min: 1 }),
    first_rung_rows: int(
      30000,
      "training rows at the first rung, times eta per rung, all at the last (0 = all rows)",
      { min: 0 },
    ),
    early_stopping_rounds: int(20, "stop a trial after this many rounds without improvement", {
      min: 0,
    }),
  },
  uses: { "pipeline.seed": "number", ...TRAIN_USES },
  inputs: () => [SPLITS.train, SPLITS.valid],
  outputs: () => [TRIALS_PATH, BEST_PATH],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const t0 = performance.now();
    const base = gbdtParamsFrom(ctx.all.train ?? {}, ctx.globals.seed);
    const c = await openDuck();
    try {
      if (!p.enabled) {
        const best: TuneBest = {
          enabled: false,
          params: tunedPart(base),
          trial_id: null,
          trees: null,
          valid_rmse: null,
          budgets: [],
          trials: 0,
          stopped: false,
          seconds: 0,
        };
        await writeTrials(c, ctx.out(TRIALS_PATH), []);
        await writeJsonAtomic(ctx.out(BEST_PATH), best);
        ctx.log("tuning disabled: best.json holds the train stage's parameters");
        return;
      }
      if (p.max_trees < p.min_trees) {
        throw new RangeError(
          `Cannot tune: tune.max_trees (${p.max_trees}) must be >= tune.min_trees (${p.min_trees})`,
        );
      }
      const opts = { features: FEATURE_NAMES, target: TARGET };
      const tr = await loadSplit(c, ctx.path(SPLITS.train), {
        ...opts,
        label: "training",
      });
      const va = await loadSplit(c, ctx.path(SPLITS.valid), { ...opts, label: "validation" });
      ctx.rows("train", tr.X.nRows);
      ctx.rows("valid", va.X.nRows);
      const configs = sampleConfigs(p.max_trials, ctx.globals.seed);
      const deadline = t0 + p.budget_seconds * 1000;
      // One row subset per rung, shared by its trials, so they compare on the same rows.
      const subsets = new Map<number, ReturnType<typeof takeRows>>();
      const rowsAt = (rung: number, rungs: number) =>
        rung === rungs - 1 || p.first_rung_rows === 0
          ? tr.X.nRows
          : Math.min(tr.X.nRows, Math.round(p.first_rung_rows * p.eta ** rung));
      const result = await successiveHalving(configs, async (config, { budget, rung, rungs }) => {
        const nRows = rowsAt(rung, rungs);
        let data = subsets.get(nRows);
        if (!data) {
          const idx = sampleRowIndices(tr.X.nRows, nRows, ctx.globals.seed + rung);
          subsets.set(nRows, data = takeRows(tr.X, tr.y, idx));
        }
        const r = await trainGbdt(data.X, data.y, {
          ...base,
          ...config,
          nEstimators: budget,
          earlyStoppingRounds: p.early_stopping_rounds,
        }, { valid: { X: va.X, y: va.y } });
        const score = r.curve[r.bestIteration]?.valid ?? NaN;
        ctx.log(
          `rung ${rung} trial: ${budget} trees on ${nRows} rows -> valid RMSE ${score.toFixed(3)}`,
        );
        return { score, info: { trees: r.bestIteration + 1, rows: nRows } };
      }, {
        eta: p.eta,
        minBudget: p.min_trees,
        maxBudget: p.max_trees,
        stop: () => performance.now() > deadline,
      });
      const best = result.best;
      if (!best) throw new Error("Cannot tune: no trial ran within tune.budget_seconds");
      const out: TuneBest = {
        enabled: true,
        params: best.config,
        trial_id: best.id,
        trees: Number(best.info["trees"]),
        valid_rmse: best.score,
        budgets: result.budgets,
        trials: result.trials.length,
        stopped: result.stopped,
        seconds: (performance.now() - t0) / 1000,
      };
      await writeTrials(c, ctx.out(TRIALS_PATH), result.trials);
      await writeJsonAtomic(ctx.out(BEST_PATH), out);
      ctx.metric("best_valid_rmse", best.score);
      ctx.metric("trials", result.trials.length);
      ctx.record("best", out);
      if (result.stopped) {
        ctx.warn(`budget of ${p.budget_seconds} s spent: best of rung ${best.rung} kept`);
      }
      ctx.log(
        `${result.trials.length} trials; best #${best.id} (rung ${best.rung}): valid RMSE ${
          best.score.toFixed(3)
        } with ${JSON.stringify(best.config)}`,
      );
    } finally {
      c.closeSync();
    }
  },
});

type TrialRow = {
  id: number;
  config_id: number;
  rung: number;
  budget: number;
  score: number;
  seconds: number;
  config: TunedParams;
  info: Record<string, unknown>;
};

async function writeTrials(
  c: Parameters<typeof writeColumns>[0],
  path: string,
  trials: TrialRow[],
): Promise<void> {
  const num = (f: (t: TrialRow) => unknown) => trials.map((t) => Number(f(t)));
  const cols: Parameters<typeof writeColumns>[2] = {
    trial_id: { type: "int", values: num((t) => t.id) },
    config_id: { type: "int", values: num((t) => t.config_id) },
    rung: { type: "int", values: num((t) => t.rung) },
    budget_trees: { type: "int", values: num((t) => t.budget) },
    trees: { type: "int", values: num((t) => t.info["trees"]) },
    rows: { type: "int", values: num((t) => t.info["rows"]) },
  };
  for (const k of TUNED_KEYS) {
    cols[snake(k)] = { type: "double", values: num((t) => t.config[k]) };
  }
  cols["valid_rmse"] = { type: "double", values: num((t) => t.score) };
  cols["seconds"] = { type: "double", values: num((t) => t.seconds) };
  await writeColumns(c, path, cols);
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (m) => "_" + m.toLowerCase());
}
