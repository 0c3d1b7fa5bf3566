/**
 * Every choice the `tune` stage makes, by cross-validation in the training period: the GBDT
 * parameters (successive halving over row shares, configurations from TPE or uniform
 * draws), the target's form, and the tree count of the final fit. The untuned default (the
 * `train` parameters, in each allowed target form) is protected: it reaches the last rung,
 * so the returned configuration is never worse in CV than it. With tuning disabled only the
 * default runs, still cross-validated (the target form and the tree count are chosen).
 * The budget is counted in trials, so the same parameters give the same model anywhere; a
 * wall-clock cap is available and recorded when it binds.
 */
import type { GbdtParams } from "../gbdt/params.ts";
import { Pcg32 } from "../gbdt/random.ts";
import type { CvData, CvResult, FoldResult } from "./cross_validate.ts";
import { CvPlan } from "./cross_validate.ts";
import type { Fold } from "./folds.ts";
import { mergeTuned, tunedPart } from "./gbdt_params.ts";
import { randomConfig, type TuneConfig } from "./search_space.ts";
import { rungShares, successiveHalving, type Trial } from "./successive_halving.ts";
import type { TargetForm } from "./target.ts";
import { proposeTpe } from "./tpe.ts";
import type { TuneBest } from "./best.ts";

export const SAMPLERS = ["tpe", "random"] as const;
export type Sampler = (typeof SAMPLERS)[number];

export interface TuneSettings {
  enabled: boolean;
  sampler: Sampler;
  /** Configurations at the first rung (the defaults included). */
  maxTrials: number;
  eta: number;
  rungs: number;
  earlyStoppingRounds: number;
  /** Wall-clock cap in seconds; 0 = none. */
  budgetSeconds: number;
  seed: number;
  threads?: number;
  /** Target forms compared (both for `features.target: auto`). */
  forms: TargetForm[];
  /** The `train` parameters: the untuned default and every trial's base (nEstimators = most trees). */
  base: Partial<GbdtParams>;
  log?: (message: string) => void;
}

export interface TuneOutcome {
  best: TuneBest;
  trials: Trial<TuneConfig>[];
  /** Per trial, its folds (same order as `trials`). */
  folds: FoldResult[][];
  /** Out-of-fold level predictions of the chosen configuration (NaN outside the blocks). */
  oof: Float64Array;
  /** Fold of each row in `oof` (-1 outside the blocks). */
  oofFold: Int8Array;
}

export async function tuneGbdt(
  data: CvData,
  folds: readonly Fold[],
  s: TuneSettings,
): Promise<TuneOutcome> {
  const t0 = performance.now();
  const plan = new CvPlan(data, folds);
  const defaults: TuneConfig[] = s.forms.map((target) => ({ params: tunedPart(s.base), target }));
  const count = s.enabled ? Math.max(s.maxTrials, defaults.length) : defaults.length;
  const rng = new Pcg32(s.seed, 0x74706531);
  const propose = (done: readonly Trial<TuneConfig>[]): TuneConfig => {
    if (done.length < defaults.length) return defaults[done.length]!;
    return s.sampler === "tpe"
      ? proposeTpe(done.map((t) => ({ config: t.config, score: t.score })), { forms: s.forms, rng })
      : randomConfig(rng, s.forms);
  };
  const shares = s.enabled ? rungShares(s.eta, s.rungs) : [1];
  const results = new Map<number, CvResult>();
  const deadline = s.budgetSeconds > 0 ? t0 + s.budgetSeconds * 1000 : Infinity;
  const r = await successiveHalving({ count, propose }, async (config, ctx) => {
    const cv = await plan.run({
      ...mergeTuned(s.base, config.params),
      earlyStoppingRounds: s.earlyStoppingRounds,
    }, {
      form: config.target,
      rowShare: ctx.budget,
      seed: s.seed + ctx.rung,
      ...(s.threads ? { threads: s.threads } : {}),
    });
    results.set(ctx.trialId, cv);
    s.log?.(
      `rung ${ctx.rung} trial ${ctx.trialId} (${config.target}, ${short(config)}) on ${
        share(ctx.budget)
      } of the rows: CV RMSE ${cv.mean.toFixed(3)} ± ${cv.sd.toFixed(3)}, ${cv.trees} trees`,
    );
    return {
      score: cv.mean,
      info: {
        trees: cv.trees,
        rows: cv.folds.reduce((n, f) => n + f.fitRows, 0),
        cv_sd: cv.sd,
        tree_rounds: cv.treeRounds,
      },
    };
  }, {
    eta: s.eta,
    budgets: shares,
    protect: defaults.map((_, i) => i),
    // The first trial (the untuned default) always runs, so a cap cannot leave no model.
    stop: () => results.size > 0 && performance.now() > deadline,
  });
  const best = r.best;
  if (!best) {
    throw new Error(`Cannot tune: no trial ran within tune.budget_seconds (${s.budgetSeconds})`);
  }
  const cv = results.get(best.id)!;
  const lastRung = r.trials.filter((t) => t.rung === best.rung);
  const dflt =
    lastRung.filter((t) => t.config_id < defaults.length).sort((a, b) => a.score - b.score)[0];
  const oofFold = new Int8Array(data.y.length).fill(-1);
  folds.forEach((_, k) => plan.validRows(k).forEach((i) => (oofFold[i] = k)));
  const out: TuneBest = {
    enabled: s.enabled,
    sampler: s.enabled ? s.sampler : null,
    params: best.config.params,
    target: best.config.target,
    forms: [...s.forms],
    trees: cv.trees,
    trial_id: best.id,
    valid_rmse: cv.mean,
    cv: { mean: cv.mean, sd: cv.sd, folds: cv.folds },
    cv_curve: cv.curve.map((v) => Number(v.toPrecision(6))),
    default: dflt
      ? {
        trial_id: dflt.id,
        target: dflt.config.target,
        cv_rmse: dflt.score,
        row_share: dflt.budget,
      }
      : null,
    budgets: shares,
    trials: r.trials.length,
    tree_rounds: [...results.values()].reduce((a, c) => a + c.treeRounds, 0),
    stopped: r.stopped,
    stopped_by: r.stopped ? "budget_seconds" : null,
    seconds: (performance.now() - t0) / 1000,
  };
  return {
    best: out,
    trials: r.trials,
    folds: r.trials.map((t) => results.get(t.id)!.folds),
    oof: cv.oof,
    oofFold,
  };
}

function share(v: number): string {
  return v >= 1 ? "all" : `${(100 * v).toPrecision(2)}%`;
}

function short(c: TuneConfig): string {
  const p = c.params;
  return `eta ${p.learningRate}, depth ${p.maxDepth}, mcw ${p.minChildWeight}, subsample ${p.subsample}, colsample ${p.colsampleBytree}, lambda ${p.lambda}`;
}
