/**
 * The explain stage end to end on a tiny workspace: a test split with a planted
 * interaction (y rises only when PM2.5 and TEMP are both high) and a small GBDT trained on
 * it by our learner, as the candidate package's model.json. Checks the outputs' shapes,
 * additivity against an independent predict(), agreement with single-threaded SHAP, the
 * interaction partner found, and that a corrupt model stops the stage naming the row.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { train } from "../../src/gbdt/boost.ts";
import { modelFromJSON, modelToJSON } from "../../src/gbdt/serialize.ts";
import { predictRow } from "../../src/gbdt/predict.ts";
import type { TreeEnsemble } from "../../src/gbdt/tree.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { type Column, writeColumns } from "../../src/data/write_columns.ts";
import { shapValues, TreeExplainer } from "../../src/explain/mod.ts";
import { AdditivityError, assertAdditivity } from "../../src/explain/check_additivity.ts";
import { explainRows } from "../../src/explain/explain_rows.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import type { Stage } from "../../src/pipeline/stage.ts";
import explainStage, { EXPLAINED_MODEL } from "../../pipeline/explain.ts";
import { candidateDir, EXPLAIN, SPLITS } from "../../src/pipeline/catalog.ts";
import { defineStage } from "../../src/pipeline/stage.ts";
import { mulberry32 } from "../explain/random_trees.ts";
import { tempDir } from "../_temp.ts";

const F = FEATURE_NAMES.length;
const A = FEATURE_NAMES.indexOf("PM2.5"), B = FEATURE_NAMES.indexOf("TEMP");
const N_TEST = 900, ROWS = 400, INTER = 60;

/** Rows with 5% missing values; y = 40 when PM2.5 > 0.5 and TEMP > 0.5, plus 5·x3. */
function data(n: number, seed: number) {
  const r = mulberry32(seed);
  const X = new Float32Array(n * F), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < F; j++) X[i * F + j] = r() < 0.05 && j !== A && j !== B ? NaN : r();
    const a = X[i * F + A]!, b = X[i * F + B]!;
    y[i] = (a > 0.5 && b > 0.5 ? 40 : 0) + 5 * (X[i * F + 3]! || 0) + r();
  }
  const m: FeatureMatrix = { data: X, nRows: n, nCols: F, names: [...FEATURE_NAMES] };
  return { X: m, y };
}

async function workspace(): Promise<{ root: string; model: TreeEnsemble; test: FeatureMatrix }> {
  const root = await tempDir("aqlab-explain-stage-");
  const tr = data(3000, 1);
  const { model } = await train(tr.X, tr.y, {
    nEstimators: 40,
    maxDepth: 4,
    learningRate: 0.3,
  }, { threads: 1 });
  const te = data(N_TEST, 2);
  const cols: Record<string, Column> = {};
  FEATURE_NAMES.forEach((name, j) => {
    cols[name] = {
      type: "double",
      values: Array.from({ length: N_TEST }, (_, i) => te.X.data[i * F + j]!),
    };
  });
  cols[TARGET] = { type: "double", values: te.y };
  cols.station = {
    type: "string",
    values: Array.from({ length: N_TEST }, (_, i) => i % 2 ? "Alpha" : "Beta"),
  };
  const t0 = Date.UTC(2016, 2, 1);
  cols.time = {
    type: "timestamp",
    values: Array.from({ length: N_TEST }, (_, i) => t0 + Math.floor(i / 2) * 3_600_000),
  };
  const c = await openDuck();
  try {
    await writeColumns(c, join(root, SPLITS.test), cols);
  } finally {
    c.closeSync();
  }
  await writeModel(root, modelToJSON(model));
  return { root, model, test: te.X };
}

async function writeModel(root: string, json: unknown) {
  await Deno.mkdir(join(root, EXPLAINED_MODEL, ".."), { recursive: true });
  await Deno.writeTextFile(join(root, EXPLAINED_MODEL), JSON.stringify(json));
}

const stage = { ...explainStage, after: [] } as unknown as Stage;

async function runExplain(root: string, sets: string[] = []) {
  const lines: string[] = [];
  await runPipeline([stage], {
    root,
    params: resolveStageParams([stage], null, [
      `explain.rows=${ROWS}`,
      `explain.interaction_rows=${INTER}`,
      ...sets,
    ]),
    only: ["explain"],
    force: true,
    log: (l) => lines.push(l),
  });
  return lines;
}

async function query(path: string, sql: string) {
  const c = await openDuck();
  try {
    await c.run(`CREATE VIEW t AS SELECT * FROM read_parquet(${lit(path)})`);
    return await all<Record<string, unknown>>(c, sql);
  } finally {
    c.closeSync();
  }
}

const ws = await workspace();

Deno.test("explain stage: outputs shaped for the site, additive, identical to one thread", async () => {
  const { root, model, test } = ws;
  await runExplain(root, ["explain.threads=2"]);
  const shapPath = join(root, EXPLAIN.shap);

  // Long table: every (row, feature) once, rows drawn from the split without repeats.
  const shape = await query(
    shapPath,
    "SELECT count(*)::INT AS n, count(DISTINCT row_id)::INT AS rows, count(DISTINCT feature)::INT AS f, min(row_id)::INT AS lo, max(row_id)::INT AS hi FROM t",
  );
  assert.deepEqual(
    { n: shape[0]!.n, rows: shape[0]!.rows, f: shape[0]!.f },
    { n: ROWS * F, rows: ROWS, f: F },
  );
  assert.ok((shape[0]!.lo as number) >= 0 && (shape[0]!.hi as number) < N_TEST);

  // Per row: base + Σ SHAP = predict() of an independent reading of the model, the
  // waterfall ends at the prediction, and the values equal single-threaded shapValues().
  const rows = await query(
    shapPath,
    `SELECT row_id::INT AS row_id, any_value(base_value) AS base, any_value(prediction) AS pred,
       sum(shap) AS s, max(CASE WHEN row_rank = ${F} THEN waterfall_end END) AS wend,
       list(shap ORDER BY feature_index) AS phi, list(value ORDER BY feature_index) AS x
     FROM t GROUP BY row_id ORDER BY row_id`,
  );
  const explainer = new TreeExplainer(model);
  for (const r of rows) {
    const id = r.row_id as number;
    const want = predictRow(model, test.data, id * F);
    assert.ok(Math.abs((r.pred as number) - want) <= 1e-9 * Math.max(1, Math.abs(want)));
    const sum = (r.base as number) + (r.s as number);
    assert.ok(
      Math.abs(sum - want) <= 1e-6 * Math.max(1, Math.abs(want)),
      `row ${id}: ${sum} vs ${want}`,
    );
    assert.ok(Math.abs((r.wend as number) - want) <= 1e-6 * Math.max(1, Math.abs(want)));
    const one = shapValues(explainer, test.data.subarray(id * F, id * F + F));
    assert.deepEqual(r.phi, Array.from(one.values), `row ${id}: threads change nothing`);
    const x = (r.x as (number | null)[]).map((v) => v ?? NaN);
    assert.deepEqual(x, Array.from(test.data.subarray(id * F, id * F + F), (v) => Number(v)));
  }

  // Importance: one row per feature, mean |SHAP| from the long table, gain from the trees.
  const imp = await query(join(root, EXPLAIN.importance), "SELECT * FROM t ORDER BY rank");
  assert.equal(imp.length, F);
  const meanAbs = await query(
    shapPath,
    "SELECT feature, avg(abs(shap)) AS m FROM t GROUP BY feature",
  );
  const m = new Map(meanAbs.map((e) => [e.feature, e.m as number]));
  const gain = new Map<string, number>();
  for (const t of model.trees) {
    t.feature.forEach((f, k) => {
      if (f >= 0) gain.set(FEATURE_NAMES[f]!, (gain.get(FEATURE_NAMES[f]!) ?? 0) + t.gain[k]!);
    });
  }
  for (let k = 0; k < imp.length; k++) {
    const e = imp[k]!;
    assert.ok(Math.abs((e.mean_abs_shap as number) - m.get(e.feature)!) < 1e-9);
    assert.ok(Math.abs((e.gain as number) - (gain.get(e.feature as string) ?? 0)) < 1e-6);
    if (k > 0) assert.ok((imp[k - 1]!.mean_abs_shap as number) >= (e.mean_abs_shap as number));
  }
  assert.deepEqual(
    new Set(imp.slice(0, 2).map((e) => e.feature)),
    new Set(["PM2.5", "TEMP"]),
    "the planted features lead",
  );

  // Dependence: every feature x row, coloured by the planted partner for PM2.5 and TEMP.
  const dep = await query(
    join(root, EXPLAIN.dependence),
    "SELECT feature, any_value(interaction_feature) AS partner, count(*)::INT AS n FROM t GROUP BY feature",
  );
  assert.equal(dep.length, F);
  assert.ok(dep.every((d) => d.n === ROWS));
  const partner = new Map(dep.map((d) => [d.feature, d.partner]));
  assert.equal(partner.get("PM2.5"), "TEMP");
  assert.equal(partner.get("TEMP"), "PM2.5");
  const colour = await query(
    join(root, EXPLAIN.dependence),
    "SELECT d.interaction_value AS c, s.value AS v FROM t d JOIN read_parquet(" + lit(shapPath) +
      ") s ON s.row_id = d.row_id AND s.feature = 'TEMP' WHERE d.feature = 'PM2.5'",
  );
  assert.equal(colour.length, ROWS);
  assert.ok(colour.every((e) => e.c === e.v), "the colour is the partner's value in that row");

  const inter = await query(join(root, EXPLAIN.interactions), "SELECT * FROM t");
  assert.equal(inter.length, F * F);
  const top = inter.filter((e) => e.main_effect === 0)
    .sort((a, b) => (b.mean_abs_interaction as number) - (a.mean_abs_interaction as number))[0]!;
  assert.deepEqual(new Set([top.feature_a, top.feature_b]), new Set(["PM2.5", "TEMP"]));

  const summary = JSON.parse(await Deno.readTextFile(join(root, EXPLAIN.summary)));
  assert.equal(summary.rows_explained, ROWS);
  assert.equal(summary.interaction_rows, INTER);
  assert.equal(summary.test_rows, N_TEST);
  assert.equal(summary.threads, 2);
  assert.ok(summary.additivity.max_rel_error <= 1e-6);
  assert.ok(summary.additivity.interaction_max_abs_error <= 1e-9);
  assert.ok(Math.abs(summary.base_value - (rows[0]!.base as number)) < 1e-12);
  assert.ok(summary.rows_per_s > 0 && summary.seconds > 0);
  assert.ok(["PM2.5", "TEMP"].includes(summary.top_features[0].feature));
});

Deno.test("explain stage: reads a package trained in the same run (staged, not yet in place)", async () => {
  const { model } = ws;
  const root = await tempDir("aqlab-explain-staged-");
  await Deno.mkdir(join(root, "data/processed"), { recursive: true });
  await Deno.copyFile(join(ws.root, SPLITS.test), join(root, SPLITS.test));
  // A stand-in for train: writes the GBDT package folder it declares, at ctx.out.
  const fakeTrain = defineStage({
    name: "train",
    description: "writes the candidate package",
    after: [],
    params: {},
    inputs: () => [],
    outputs: () => [candidateDir("gbdt")],
    async run(ctx) {
      const dir = ctx.out(candidateDir("gbdt"));
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(modelToJSON(model)));
    },
  }) as unknown as Stage;
  // Without a pretrained stage in the list, explain comes after train alone.
  const stages = [fakeTrain, { ...explainStage, after: ["train"] } as unknown as Stage];
  await runPipeline(stages, {
    root,
    params: resolveStageParams(stages, null, [`explain.rows=50`, `explain.interaction_rows=10`]),
    log: () => {},
  });
  const summary = JSON.parse(await Deno.readTextFile(join(root, EXPLAIN.summary)));
  assert.equal(summary.rows_explained, 50);
  assert.equal(summary.trees, model.trees.length);
});

Deno.test("explain stage: a corrupt leaf value stops the stage naming the row, outputs untouched", async () => {
  const { root, model } = ws;
  const before = await Deno.readFile(join(root, EXPLAIN.summary)).catch(() => null);
  const json = modelToJSON(model);
  // 1e39 overflows float32: the leaf reads as Infinity, base + Σ SHAP becomes NaN.
  const t0 = json.trees[0]!;
  t0.value[t0.feature.indexOf(-1)] = 1e39;
  await writeModel(root, json);
  try {
    await assert.rejects(
      runExplain(root),
      /not additive at row \d+ of data\/processed\/test\.parquet \(station (Alpha|Beta), 2016-03-\d\d \d\d:00\)/,
    );
    const after = await Deno.readFile(join(root, EXPLAIN.summary)).catch(() => null);
    assert.deepEqual(after, before, "a failed run commits nothing");
  } finally {
    await writeModel(root, modelToJSON(model));
  }
});

Deno.test("assertAdditivity: a leaf tampered after the explainer was built fails with the row named", async () => {
  const { model, test } = ws;
  const explainer = new TreeExplainer(model);
  const tampered = modelFromJSON(modelToJSON(model));
  const tree = tampered.trees[5]!;
  const leaf = tree.feature.indexOf(-1);
  tree.value[leaf] = tree.value[leaf]! + 0.5;
  const { shap } = await explainRows(tampered, test, { explainer, threads: 1 });
  const pred = predict(tampered, test);
  let err: unknown;
  try {
    assertAdditivity(shap.expectedValue, shap, pred, {
      describeRow: (i) => `row ${i} (station S)`,
      what: "the tampered model",
    });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof AdditivityError, String(err));
  const row = err.check.worstRow;
  // The worst row reaches the tampered leaf: its error is the 0.5 added.
  assert.ok(Math.abs(err.check.absError - 0.5) < 1e-6, `error ${err.check.absError}`);
  assert.match(
    err.message,
    new RegExp(
      `Cannot explain the tampered model: SHAP values are not additive at row ${row} \\(station S\\)`,
    ),
  );
  // Untampered, the same rows pass.
  const ok = assertAdditivity(shap.expectedValue, shap, predict(model, test));
  assert.ok(ok.relError <= 1e-6);
});

Deno.test("explainRows: two threads give the same bits as one, interaction blocks in order", async () => {
  const { model, test } = ws;
  const iRows = [899, 3, 450, 451, 0];
  const one = await explainRows(model, test, { threads: 1, interactionRows: iRows });
  const two = await explainRows(model, test, { threads: 2, interactionRows: iRows });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.deepEqual(two.shap.values, one.shap.values);
  assert.deepEqual(two.interactions!.values, one.interactions!.values);
  // Each block row sums to the SHAP value of the row it belongs to.
  for (let r = 0; r < iRows.length; r++) {
    for (let i = 0; i < F; i++) {
      let s = 0;
      for (let j = 0; j < F; j++) s += two.interactions!.values[(r * F + i) * F + j]!;
      assert.ok(Math.abs(s - two.shap.values[iRows[r]! * F + i]!) < 1e-9);
    }
  }
  // onnxruntime-web swaps globalThis.Worker for node:worker_threads' at its first session
  // (the pipeline scores with it before this stage): the workers must still answer.
  const web = globalThis.Worker;
  const { Worker: NodeWorker } = await import("node:worker_threads");
  (globalThis as { Worker: unknown }).Worker = NodeWorker;
  try {
    const swapped = await explainRows(model, test, { threads: 2 });
    assert.equal(swapped.threads, 2);
    assert.deepEqual(swapped.shap.values, one.shap.values);
  } finally {
    globalThis.Worker = web;
  }
  await assert.rejects(
    explainRows(model, test, { interactionRows: [N_TEST] }),
    /interaction row 900 is outside 0\.\.899/,
  );
});
