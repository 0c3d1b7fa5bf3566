import { join } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { int, num } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { loadMatrix } from "../src/data/load_matrix.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import { modelFromJSON } from "../src/gbdt/serialize.ts";
import { predict } from "../src/gbdt/predict.ts";
import { featureImportance } from "../src/gbdt/importance.ts";
import { PACKAGE_FILES } from "../src/registry/package.ts";
import { sampleRowIndices, takeRows } from "../src/tuning/row_sample.ts";
import { assertAdditivity, globalImportance, interactionSummary } from "../src/explain/mod.ts";
import { explainRows } from "../src/explain/explain_rows.ts";
import {
  dependenceTable,
  type ExplainedSample,
  importanceTable,
  interactionsTable,
  shapTable,
} from "../src/explain/report_tables.ts";
import { writeColumns } from "../src/metrics/write_columns.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { candidateDir, EXPLAIN, SPLITS } from "../src/pipeline/catalog.ts";
import type { ExplainSummary } from "../src/explain/summary.ts";

/** The candidate explained: TreeSHAP needs the trees, so the GBDT's own JSON. */
export const EXPLAINED_MODEL = `${candidateDir("gbdt")}/${PACKAGE_FILES.json}`;

export default defineStage({
  name: "explain",
  description:
    "exact TreeSHAP of the GBDT on a test sample: values, global importance beside gain, dependence and interactions, additivity checked per row",
  after: ["train"],
  params: {
    rows: int(5000, "test rows explained (seeded sample; all when the split has fewer)", {
      min: 1,
    }),
    interaction_rows: int(300, "of those, rows with SHAP interaction values (dependence colour)", {
      min: 1,
    }),
    tolerance: num(1e-6, "fail when base + sum of SHAP and predict() differ more (relative)", {
      min: 0,
    }),
    threads: int(0, "threads (caller + Web Workers); 0 = min(2, cores)", { min: 0, max: 64 }),
    top_features: int(10, "features listed in summary.json", { min: 1 }),
  },
  // A pretrained model is explained by the score stage (it has no GBDT candidate).
  enabled: (g) => !g.model_path,
  uses: { "pipeline.seed": "number" },
  inputs: () => [SPLITS.test, candidateDir("gbdt")],
  outputs: () => Object.values(EXPLAIN),
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const t0 = performance.now();
    // The folder is train's declared output: staged (not yet in place) in a run that trains.
    const modelPath = join(ctx.path(candidateDir("gbdt")), PACKAGE_FILES.json);
    let text: string;
    try {
      text = await Deno.readTextFile(modelPath);
    } catch (e) {
      throw new Error(`Cannot read ${EXPLAINED_MODEL}: ${(e as Error).message}`, { cause: e });
    }
    const model = modelFromJSON(text);
    const missing = FEATURE_NAMES.filter((f, j) => model.featureNames[j] !== f);
    if (model.featureNames.length !== FEATURE_NAMES.length || missing.length) {
      throw new RangeError(
        `Cannot explain ${EXPLAINED_MODEL}: expected the ${FEATURE_NAMES.length} features of src/features/schema.ts in order, got [${
          model.featureNames.join(", ")
        }]`,
      );
    }

    const c = await openDuck();
    try {
      const te = await loadMatrix(c, ctx.path(SPLITS.test), FEATURE_NAMES, TARGET);
      if (te.X.nRows === 0) throw new RangeError(`Cannot explain: ${SPLITS.test} has no rows`);
      ctx.rows("test", te.X.nRows);
      const seed = ctx.globals.seed;
      const idx = sampleRowIndices(te.X.nRows, p.rows, seed);
      const { X, y } = takeRows(te.X, te.y, idx);
      const n = X.nRows;
      // Interaction rows: a seeded subset of the explained rows, in their order.
      const iIdx = sampleRowIndices(n, Math.min(p.interaction_rows, n), seed + 1);
      ctx.rows("explained", n);
      ctx.rows("interaction", iIdx.length);

      const t1 = performance.now();
      const { shap, interactions, threads } = await explainRows(model, X, {
        interactionRows: iIdx,
        ...(p.threads > 0 ? { threads: p.threads } : {}),
      });
      const seconds = (performance.now() - t1) / 1000;
      ctx.log(
        `${n} rows in ${seconds.toFixed(2)} s (${
          Math.round(n / seconds)
        } rows/s, ${threads} threads, ${iIdx.length} with interactions)`,
      );

      const prediction = predict(model, X);
      const rowId = Float64Array.from(idx);
      const station = Array.from(idx, (i) => te.station[i]!);
      const time = Float64Array.from(idx, (i) => te.time[i]!);
      const check = assertAdditivity(shap.expectedValue, shap, prediction, {
        relTol: p.tolerance,
        what: EXPLAINED_MODEL,
        describeRow: (i) =>
          `row ${idx[i]} of ${SPLITS.test} (station ${station[i]}, ${
            new Date(time[i]!).toISOString().slice(0, 16).replace("T", " ")
          })`,
      });
      const inter = interactionSummary(interactions!);
      const interErr = interactionError(interactions!.values, shap.values, iIdx, shap.nFeatures);
      if (!(interErr <= p.tolerance * Math.max(1, Math.abs(shap.expectedValue)))) {
        throw new Error(
          `Cannot explain ${EXPLAINED_MODEL}: interaction rows do not sum to the SHAP values (max error ${interErr})`,
        );
      }

      const sample: ExplainedSample = {
        X,
        shap,
        prediction,
        rowId,
        station,
        time,
        actual: y,
      };
      await writeColumns(c, ctx.out(EXPLAIN.shap), shapTable(sample));
      await writeColumns(
        c,
        ctx.out(EXPLAIN.importance),
        importanceTable(shap, featureImportance(model)),
      );
      await writeColumns(c, ctx.out(EXPLAIN.dependence), dependenceTable(sample, inter));
      await writeColumns(c, ctx.out(EXPLAIN.interactions), interactionsTable(inter));

      const top = globalImportance(shap).slice(0, p.top_features);
      const summary: ExplainSummary = {
        model: EXPLAINED_MODEL,
        trees: model.trees.length,
        test_split: SPLITS.test,
        test_rows: te.X.nRows,
        rows_explained: n,
        interaction_rows: iIdx.length,
        base_value: shap.expectedValue,
        additivity: {
          max_abs_error: check.absError,
          max_rel_error: check.relError,
          worst_row_id: check.worstRow >= 0 ? idx[check.worstRow]! : -1,
          tolerance: p.tolerance,
          interaction_max_abs_error: interErr,
        },
        threads,
        seconds,
        rows_per_s: n / seconds,
        stage_seconds: (performance.now() - t0) / 1000,
        top_features: top.map((e) => ({
          feature: e.feature,
          mean_abs_shap: e.meanAbsShap,
          interacts_most_with: inter.strongest[e.index]! >= 0
            ? shap.featureNames[inter.strongest[e.index]!]!
            : null,
        })),
      };
      await writeJsonAtomic(ctx.out(EXPLAIN.summary), summary);
      ctx.metric("explain_rows_per_s", summary.rows_per_s);
      ctx.metric("additivity_max_rel_error", check.relError);
      ctx.log(
        `base ${shap.expectedValue.toFixed(3)}, additivity max relative error ${
          check.relError.toExponential(2)
        }; top: ${top.slice(0, 5).map((e) => e.feature).join(", ")}`,
      );
    } finally {
      c.closeSync();
    }
  },
});

/** max over interaction rows r and features i of |Σ_j Φ_rij - φ_ri|. */
function interactionError(
  iv: Float64Array,
  shap: Float64Array,
  iIdx: ArrayLike<number>,
  F: number,
): number {
  let worst = 0;
  for (let r = 0; r < iIdx.length; r++) {
    for (let i = 0; i < F; i++) {
      let s = 0;
      for (let j = 0; j < F; j++) s += iv[(r * F + i) * F + j]!;
      const e = Math.abs(s - shap[iIdx[r]! * F + i]!);
      if (!(e <= worst)) worst = e;
    }
  }
  return worst;
}
