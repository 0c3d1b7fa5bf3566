/**
 * tune -> train -> evaluate through the runner on a tiny synthetic split in a temp root:
 * the artifacts exist with the promised shapes, and bad training data fails with a
 * message that names the split file (or trains, where the behaviour is documented).
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
  IMPORTANCE_PATH,
  TRIALS_PATH,
} from "../../src/pipeline/catalog.ts";
import type { EvaluationSummary } from "../../src/metrics/evaluation_summary.ts";

const HOURS = 24 * 40; // 40 days, 2 stations: 1,920 rows

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
    const features = join(root, "data/processed/features.parquet");
    await writeParquet(c, featuresSql(), features);
    const cut = (a: number, b: number) =>
      `SELECT * FROM read_parquet(${
        lit(features)
      }) WHERE time >= TIMESTAMP '2015-01-01' + to_hours(${a}) AND time < TIMESTAMP '2015-01-01' + to_hours(${b})`;
    await writeParquet(c, cut(0, 24 * 24), join(root, "data/processed/train.parquet"));
    await writeParquet(c, cut(24 * 25, 24 * 31), join(root, "data/processed/valid.parquet"));
    await writeParquet(c, cut(24 * 32, HOURS), join(root, "data/processed/test.parquet"));
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
  return root;
}

const QUICK = [
  "tune.budget_seconds=20",
  "tune.max_trials=3",
  "tune.min_trees=5",
  "tune.max_trees=15",
  "tune.first_rung_rows=300",
  "train.n_estimators=40",
  "train.reference_rows=200",
  "train.threads=1",
];

function run(root: string, sets: string[], only = ["tune", "train", "evaluate"]) {
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
    const best = JSON.parse(await Deno.readTextFile(join(root, BEST_PATH)));
    assert.equal(best.enabled, true);
    assert.ok(best.trials >= 3 && best.valid_rmse > 0);

    for (const name of ["gbdt", "ridge", "persistence"]) {
      const pkg = await readPackage(join(root, "models/candidates", name));
      const m: ModelMetadata = pkg.metadata;
      assert.equal(m.kind, name);
      assert.ok(m.metrics.valid!.rmse > 0);
      assert.equal(m.interval!.alpha, 0.1);
      assert.ok(Number.isFinite(m.interval!.quantile));
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
      assert.ok((await count(TRIALS_PATH)) >= 3);
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
    assert.ok(s.candidates.gbdt!.interval!.coverage > 0.7);
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
  const quick = ["tune.enabled=false", "train.n_estimators=10", "train.refit=false"];
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

    // A single row: trains (a leaf-only model) rather than failing.
    await rewriteTrain(root, (f) => `SELECT * FROM ${f} LIMIT 1`);
    const one = await run(root, quick, only);
    assert.equal(one.record.status, "succeeded");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
