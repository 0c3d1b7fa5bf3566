/**
 * split -> tune -> train -> evaluate through the runner on a tiny synthetic feature table in
 * a temp root: the artifacts exist with the promised shapes (cross-validation folds, out-of-
 * fold predictions, Mondrian intervals), and bad training data fails with a message that
 * names the split file (or trains, where the behaviour is documented).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck, writeParquet } from "../../src/data/duck.ts";
import { FEATURE_NAMES, FEATURES, TARGET } from "../../src/features/schema.ts";
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import { STAGES } from "../../pipeline/stages.ts";
import type { ModelMetadata } from "../../src/registry/package.ts";
import { readPackage } from "../../src/registry/read_package.ts";
import {
  BEST_PATH,
  CURVE_PATH,
  EVALUATION,
  FOLDS_PATH,
  IMPORTANCE_PATH,
  OOF_PATH,
  TRIALS_PATH,
} from "../../src/pipeline/catalog.ts";
import type { EvaluationSummary } from "../../src/metrics/evaluation_summary.ts";
import type { TuneBest } from "../../src/tuning/best.ts";

const HOURS = 24 * 60; // 60 days from 2015-01-01, 2 stations: 2,880 rows

/** A feature table where the target is a noisy linear-ish function of PM2.5 and the hour. */
function featuresSql(): string {
  const cols = FEATURE_NAMES.map((name) => {
    switch (name) {
      case "PM2.5":
        return `pm AS "PM2.5"`;
      case "hour":
        return `hour(t)::FLOAT AS "hour"`;
      case "month":
        return `month(t)::FLOAT AS "month"`;
      case "dow":
        return `(isodow(t) - 1)::FLOAT AS "dow"`;
      case "station_code":
        return `s::FLOAT AS "station_code"`;
      default:
        return `(random() * 10)::FLOAT AS "${name}"`;
    }
  });
  return `WITH g AS (
      SELECT s, TIMESTAMP '2015-01-01' + to_hours(h) AS t,
        (60 + 40 * sin(h / 9.0) + 20 * random() + 15 * s)::FLOAT AS pm
      FROM range(2) r1(s), range(${HOURS}) r2(h))
    SELECT 'S' || s AS station, t AS time, ${cols.join(", ")},
      (0.9 * pm + 2 * hour(t) + 5 * random())::FLOAT AS ${TARGET}
    FROM g ORDER BY station, time`;
}

async function makeRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "aqlab_train_eval_" });
  const c = await openDuck();
  try {
    await c.run("SELECT setseed(0.25)");
    await writeParquet(c, featuresSql(), join(root, "data/processed/features.parquet"));
  } finally {
    c.closeSync();
  }
  const schema = {
    version: 1,
    target: { name: TARGET, unit: "µg/m³", horizonHours: 1 },
    features: FEATURES,
    stations: ["S0", "S1"],
  };
  await Deno.writeTextFile(
    join(root, "data/processed/features.schema.json"),
    JSON.stringify(schema),
  );
  const r = await run(root, [], ["split"]);
  assert.equal(r.record.status, "succeeded");
  return root;
}

const QUICK = [
  "split.test_start=2015-02-15",
  "split.valid_months=1",
  "split.folds=2",
  "tune.max_trials=4",
  "tune.rungs=2",
  "tune.early_stopping_rounds=5",
  "train.n_estimators=40",
  "train.max_depth=4",
  "train.reference_rows=200",
  "train.threads=1",
];

function run(root: string, sets: string[], only = ["split", "tune", "train", "evaluate"]) {
  return runPipeline(STAGES, {
    root,
    params: resolveStageParams(STAGES, null, [...QUICK, ...sets]),
    log: () => {},
    concurrency: 1,
    only,
  });
}

Deno.test("tune, train and evaluate on a tiny split write every artifact", async () => {
  const root = await makeRoot();
  try {
    const r = await run(root, []);
    assert.equal(r.record.status, "succeeded");
    const best: TuneBest = JSON.parse(await Deno.readTextFile(join(root, BEST_PATH)));
    assert.equal(best.enabled, true);
    // 4 first-rung trials (both default forms among them), 2 promoted, + the default if needed.
    assert.ok(best.trials >= 6 && best.trials <= 7, `trials ${best.trials}`);
    assert.equal(best.cv.folds.length, 2);
    assert.ok(best.valid_rmse > 0 && best.valid_rmse === best.cv.mean);
    assert.deepEqual(best.forms, ["level", "change"]);
    // Never worse in CV than the untuned default on the rung the choice was made.
    assert.ok(best.default && best.cv.mean <= best.default.cv_rmse);
    assert.ok(best.trees >= 1 && best.trees <= 40);
    assert.equal(best.stopped, false);

    for (const name of ["gbdt", "ridge", "persistence"]) {
      const pkg = await readPackage(join(root, "models/candidates", name));
      const m: ModelMetadata = pkg.metadata;
      assert.equal(m.kind, name);
      assert.ok(m.metrics.valid!.rmse > 0);
      assert.equal(m.interval!.alpha, 0.1);
      assert.equal(m.interval!.method, "mondrian_conformal");
      assert.ok(Number.isFinite(m.interval!.quantile));
      assert.equal(m.interval!.bands!.quantile.length, 6);
      assert.ok(m.lineage.stages["train"] && m.lineage.stages["tune"]);
      assert.equal(pkg.reference!.rows, 200);
      assert.equal(pkg.reference!.columns["prediction"]!.length, 200);
    }
    const c = await openDuck();
    try {
      const count = async (p: string, where = "true") =>
        Number(
          (await all<{ n: bigint }>(
            c,
            `SELECT count(*) AS n FROM read_parquet(${lit(join(root, p))}) WHERE ${where}`,
          ))[0]!.n,
        );
      const nTest = await count("data/processed/test.parquet");
      assert.equal(await count(TRIALS_PATH), best.trials);
      assert.equal(await count(FOLDS_PATH), 2 * best.trials);
      assert.equal(await count(FOLDS_PATH, `chosen = 1`), 2);
      // Out-of-fold rows: the two validation blocks, every one before the test period.
      const oof = await count(OOF_PATH);
      assert.equal(oof, best.cv.folds.reduce((n, f) => n + f.validRows, 0));
      assert.equal(await count(OOF_PATH, "time >= TIMESTAMP '2015-02-14'"), 0);
      assert.ok((await count(CURVE_PATH)) >= 1);
      assert.equal(await count(IMPORTANCE_PATH), FEATURE_NAMES.length);
      assert.equal(await count(EVALUATION.predictions), 3 * nTest);
      assert.equal(await count(EVALUATION.worst), 50);
      // Grouped tables partition the test rows for each candidate.
      for (const p of [EVALUATION.byStation, EVALUATION.byHour, EVALUATION.byMonth]) {
        const rows = await all<{ candidate: string; n: bigint }>(
          c,
          `SELECT candidate, sum(n) AS n FROM read_parquet(${
            lit(join(root, p))
          }) GROUP BY candidate`,
        );
        assert.equal(rows.length, 3);
        for (const row of rows) assert.equal(Number(row.n), nTest, `${p} ${row.candidate}`);
      }
      assert.equal(await count(EVALUATION.byHour, "candidate = 'gbdt'"), 24);
      // Persistence has skill 0 against itself.
      const skill = await all<{ skill: number }>(
        c,
        `SELECT skill FROM read_parquet(${
          lit(join(root, EVALUATION.byStation))
        }) WHERE candidate = 'persistence'`,
      );
      for (const s of skill) assert.ok(Math.abs(s.skill) < 1e-12);
      // Context columns of the worst rows: PM2.5 at t+0 is the row's own PM2.5.
      const w = await all<{ a: number; b: number }>(
        c,
        `SELECT "PM2.5" AS a, "pm25_t+0" AS b FROM read_parquet(${
          lit(join(root, EVALUATION.worst))
        })`,
      );
      for (const x of w) assert.ok(Math.abs(x.a - x.b) < 1e-4);
    } finally {
      c.closeSync();
    }
    const s: EvaluationSummary = JSON.parse(
      await Deno.readTextFile(join(root, EVALUATION.summary)),
    );
    assert.deepEqual(Object.keys(s.candidates).sort(), ["gbdt", "persistence", "ridge"]);
    assert.ok(s.onnx_parity.max_rel_diff <= 1e-3);
    // The target depends on the hour, which persistence ignores: the GBDT must beat it.
    assert.ok(s.candidates.gbdt!.test.rmse < s.candidates.persistence!.test.rmse);
    const iv = s.candidates.gbdt!.interval!;
    assert.ok(iv.coverage > 0.7);
    // Coverage by PM2.5 band of the truth partitions the test rows.
    const byTrue = Object.values(iv.by_true_band!);
    assert.equal(byTrue.reduce((n, b) => n + b.n, 0), iv.n);
    assert.equal(Object.values(iv.by_predicted_band!).reduce((n, b) => n + b.n, 0), iv.n);
    const c2 = await openDuck();
    try {
      const by = await all<{ by: string; n: bigint; rows: bigint }>(
        c2,
        `SELECT "by", count(*) AS n, sum(n) AS rows FROM read_parquet(${
          lit(join(root, EVALUATION.intervals))
        }) WHERE candidate = 'gbdt' GROUP BY "by" ORDER BY "by"`,
      );
      assert.deepEqual(by.map((r) => r.by), ["all", "predicted_band", "station", "true_band"]);
      for (const r of by) assert.equal(Number(r.rows), iv.n, r.by);
      assert.equal(Number(by.find((r) => r.by === "station")!.n), 2);
    } finally {
      c2.closeSync();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function rewriteTrain(root: string, sql: (from: string) => string): Promise<void> {
  const c = await openDuck();
  try {
    const p = join(root, "data/processed/train.parquet");
    const copy = join(root, "train_orig.parquet");
    await Deno.copyFile(p, copy);
    await writeParquet(c, sql(`read_parquet(${lit(copy)})`), p);
  } finally {
    c.closeSync();
  }
}

Deno.test("bad training data: clear errors naming the split, or documented behaviour", async () => {
  const root = await makeRoot();
  // No refit: the column tricks below rewrite the training split only.
  const quick = ["tune.enabled=false", "train.n_estimators=10", "features.target=level"];
  const only = ["tune", "train"];
  try {
    // Infinite value: the learner's message, prefixed with the split file.
    await rewriteTrain(
      root,
      (f) =>
        `SELECT * REPLACE (CASE WHEN hour(time) = 5 THEN 'inf'::FLOAT ELSE "TEMP" END AS "TEMP") FROM ${f}`,
    );
    await assert.rejects(
      () => run(root, quick, only),
      /data\/processed\/train\.parquet.*column "TEMP" is Infinity/,
    );
    await Deno.copyFile(
      join(root, "train_orig.parquet"),
      join(root, "data/processed/train.parquet"),
    );

    // No rows: the split and its file are named.
    await rewriteTrain(root, (f) => `SELECT * FROM ${f} WHERE false`);
    await assert.rejects(
      () => run(root, quick, only),
      /training split ".*data\/processed\/train\.parquet": it has no rows/,
    );
    await Deno.copyFile(
      join(root, "train_orig.parquet"),
      join(root, "data/processed/train.parquet"),
    );

    // Constant and all-missing columns: documented to train (never split on; ridge weight 0).
    await rewriteTrain(
      root,
      (f) => `SELECT * REPLACE (1::FLOAT AS "SO2", NULL::FLOAT AS "CO") FROM ${f}`,
    );
    const ok = await run(root, quick, only);
    assert.equal(ok.record.status, "succeeded");
    const g = await readPackage(join(root, "models/candidates/gbdt"));
    const model = g.model as { trees: { feature: number[] }[] };
    const so2 = FEATURE_NAMES.indexOf("SO2"), co = FEATURE_NAMES.indexOf("CO");
    assert.ok(model.trees.every((t) => !t.feature.includes(so2) && !t.feature.includes(co)));
    const ridge = (await readPackage(join(root, "models/candidates/ridge"))).model as {
      weights: number[];
    };
    assert.equal(ridge.weights[so2], 0);
    assert.equal(ridge.weights[co], 0);
    await Deno.copyFile(
      join(root, "train_orig.parquet"),
      join(root, "data/processed/train.parquet"),
    );

    // A single row: no fold can be cross-validated; the error names the split and the fold.
    await rewriteTrain(root, (f) => `SELECT * FROM ${f} LIMIT 1`);
    await assert.rejects(
      () => run(root, quick, only),
      /data\/processed\/train\.parquet.*fold 0 has 1 rows to fit and 0 to validate/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
