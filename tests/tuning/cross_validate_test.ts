import assert from "node:assert/strict";
import { CvPlan } from "../../src/tuning/cross_validate.ts";
import { rollingOriginFolds } from "../../src/tuning/folds.ts";
import { tuneGbdt, type TuneSettings } from "../../src/tuning/tune.ts";
import { SERIES_START, trendingSeries } from "./_series.ts";

const DAY = 86_400_000;
const base = {
  nEstimators: 60,
  learningRate: 0.2,
  maxDepth: 4,
  maxLeaves: 0,
  minChildWeight: 1,
  subsample: 0.8,
  colsampleBytree: 1,
  lambda: 1,
  seed: 3,
};
const testStart = SERIES_START + 150 * DAY;
const folds = rollingOriginFolds({ testStart, validMonths: 2, folds: 3, gapHours: 25 });

Deno.test("cross-validation never fits a row of the gap or after its block", async () => {
  // One fold; rows in its gap and after its block get an absurd target. Fitted on, they
  // would wreck the predictions of the block; they must not be.
  const d = trendingSeries();
  const [f] = rollingOriginFolds({ testStart, validMonths: 1, folds: 1, gapHours: 25 });
  const poisoned = Float32Array.from(
    d.y,
    (
      v,
      i,
    ) => (d.time[i]! >= f!.fitEnd && (d.time[i]! < f!.validStart || d.time[i]! >= f!.validEnd)
      ? 1e5
      : v),
  );
  assert.ok(poisoned.some((v) => v === 1e5));
  const opts = { form: "change", seed: 1, threads: 1 } as const;
  const clean = await new CvPlan(d, [f!]).run({ ...base, earlyStoppingRounds: 10 }, opts);
  const r = await new CvPlan({ ...d, y: poisoned }, [f!]).run(
    { ...base, earlyStoppingRounds: 10 },
    opts,
  );
  // Not one of those rows was fitted: the same fold, bit for bit.
  assert.deepEqual(
    r.folds.map((x) => [x.rmse, x.trees]),
    clean.folds.map((x) => [x.rmse, x.trees]),
  );
  assert.deepEqual(r.oof, clean.oof);
  // Out-of-fold predictions exist exactly on the block.
  for (let i = 0; i < d.y.length; i++) {
    const inBlock = d.time[i]! >= f!.validStart && d.time[i]! < f!.validEnd;
    assert.equal(Number.isFinite(r.oof[i]!), inBlock, `row ${i}`);
  }
});

Deno.test("fold scores, tree count and out-of-fold predictions agree", async () => {
  const d = trendingSeries();
  const plan = new CvPlan(d, folds);
  const r = await plan.run({ ...base, earlyStoppingRounds: 10 }, {
    form: "level",
    seed: 1,
    threads: 1,
  });
  assert.equal(r.folds.length, 3);
  for (const f of r.folds) {
    const idx = plan.validRows(f.fold);
    let se = 0;
    for (const i of idx) se += (r.oof[i]! - d.y[i]!) ** 2;
    // The fold's RMSE is that of its out-of-fold predictions (float32 training sums aside).
    assert.ok(Math.abs(Math.sqrt(se / idx.length) - f.rmse) < 1e-3 * f.rmse, `fold ${f.fold}`);
    assert.ok(f.trees >= 1 && f.trees <= 60 && f.grown >= f.trees);
  }
  const mean = r.folds.reduce((s, f) => s + f.rmse, 0) / 3;
  assert.ok(Math.abs(r.mean - mean) < 1e-12);
  assert.equal(r.trees, Math.round(r.folds.reduce((s, f) => s + f.trees, 0) / 3));
  // A share of the rows fits fewer rows on the same blocks.
  const part = await plan.run({ ...base, earlyStoppingRounds: 10 }, {
    form: "level",
    rowShare: 0.25,
    seed: 1,
    threads: 1,
  });
  part.folds.forEach((f, k) => {
    assert.equal(f.validRows, r.folds[k]!.validRows);
    assert.ok(Math.abs(f.fitRows - 0.25 * r.folds[k]!.fitRows) <= 1);
  });
});

const settings = (over: Partial<TuneSettings> = {}): TuneSettings => ({
  enabled: true,
  sampler: "tpe",
  maxTrials: 6,
  eta: 3,
  rungs: 2,
  earlyStoppingRounds: 10,
  budgetSeconds: 0,
  seed: 11,
  threads: 1,
  forms: ["level", "change"],
  base,
  ...over,
});

Deno.test("auto target: cross-validation prefers the change on a trending series", async () => {
  const d = trendingSeries();
  const o = await tuneGbdt(d, folds, settings({ enabled: false }));
  assert.equal(o.trials.length, 2, "the default in each form, nothing else");
  const [level, change] = o.trials;
  assert.equal(level!.config.target, "level");
  assert.ok(change!.score < level!.score, `change ${change!.score} vs level ${level!.score}`);
  assert.equal(o.best.target, "change");
  assert.equal(o.best.enabled, false);
  assert.equal(o.best.cv.folds.length, 3);
});

Deno.test("the tuner is never worse in CV than the untuned default, and repeatable", async () => {
  const d = trendingSeries();
  const a = await tuneGbdt(d, folds, settings());
  const last = a.trials.filter((t) => t.rung === 1);
  const dflt = last.find((t) => t.config_id < 2);
  assert.ok(dflt, "the default reaches the last rung");
  assert.ok(a.best.cv.mean <= dflt.score);
  assert.equal(a.best.default?.cv_rmse, dflt.score);
  assert.deepEqual(a.best.budgets, [1 / 3, 1]);
  // The budget is trials: the same settings give the same search and the same choice.
  const b = await tuneGbdt(d, folds, settings());
  const strip = (x: typeof a.best) => ({
    ...x,
    seconds: 0,
    cv: { ...x.cv, folds: x.cv.folds.map((f) => ({ ...f, seconds: 0 })) },
  });
  assert.deepEqual(strip(b.best), strip(a.best));
  assert.deepEqual(b.trials.map((t) => t.config), a.trials.map((t) => t.config));
  assert.deepEqual(b.oof, a.oof);
  // The random sampler draws other configurations from the same seed.
  const r = await tuneGbdt(d, folds, settings({ sampler: "random", rungs: 1, maxTrials: 4 }));
  assert.equal(r.trials.length, 4);
});

Deno.test("a wall-clock cap that binds is recorded, and the default still ran", async () => {
  const d = trendingSeries(120);
  const f2 = rollingOriginFolds({
    testStart: SERIES_START + 120 * DAY,
    validMonths: 1,
    folds: 2,
    gapHours: 25,
  });
  const o = await tuneGbdt(d, f2, settings({ budgetSeconds: 1e-6 }));
  assert.equal(o.best.stopped, true);
  assert.equal(o.best.stopped_by, "budget_seconds");
  assert.equal(o.trials.length, 1);
  assert.equal(o.trials[0]!.config_id, 0, "the untuned default ran first");
});
