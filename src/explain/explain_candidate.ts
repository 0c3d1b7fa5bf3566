/**
 * Explains a candidate model package on a seeded sample of the test split: exact TreeSHAP
 * (values, interactions, additivity checked per row) when the package has the trees
 * (model.json), permutation importance through its ONNX model otherwise. Both give the
 * same tables (see report_tables.ts) and summary, so the explain folder has one layout.
 */
import { join } from "node:path";
import type { LabelledMatrix } from "../data/load_matrix.ts";
import { modelFromJSON } from "../gbdt/serialize.ts";
import { predict } from "../gbdt/predict.ts";
import { featureImportance } from "../gbdt/importance.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { createSession } from "../onnx/session.ts";
import { PACKAGE_FILES } from "../registry/package.ts";
import { sampleRowIndices, takeRows } from "../tuning/row_sample.ts";
import { assertAdditivity } from "./check_additivity.ts";
import { explainRows } from "./explain_rows.ts";
import { globalImportance } from "./global_importance.ts";
import { interactionSummary } from "./interaction_summary.ts";
import { permutationImportance } from "./permutation.ts";
import {
  type Columns,
  dependenceTable,
  emptyShapTables,
  importanceTable,
  interactionsTable,
  permutationImportanceTable,
  shapTable,
} from "./report_tables.ts";
import type { ExplainSummary } from "./summary.ts";

/** What is explained: the trees when the package has them, else its ONNX model. */
export type ExplainedModel =
  | { kind: "trees"; path: string; model: TreeEnsemble }
  | { kind: "onnx"; path: string; onnx: Uint8Array };

/**
 * The model of the package folder `dir` (`label`: the folder as messages name it):
 * model.json when there is one, else model.onnx.
 */
export async function readExplainedModel(dir: string, label: string): Promise<ExplainedModel> {
  const path = `${label}/${PACKAGE_FILES.json}`;
  try {
    const text = await Deno.readTextFile(join(dir, PACKAGE_FILES.json));
    return { kind: "trees", path, model: modelFromJSON(text) };
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`Cannot read ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  const onnxPath = `${label}/${PACKAGE_FILES.onnx}`;
  try {
    return {
      kind: "onnx",
      path: onnxPath,
      onnx: await Deno.readFile(join(dir, PACKAGE_FILES.onnx)),
    };
  } catch (e) {
    throw new Error(
      `Cannot explain ${label}: it has neither ${PACKAGE_FILES.json} nor a readable ${PACKAGE_FILES.onnx} (${
        (e as Error).message
      })`,
      { cause: e },
    );
  }
}

export interface ExplainSettings {
  /** Test rows explained (seeded sample; all when the split has fewer). */
  rows: number;
  /** Of those, rows with SHAP interaction values. */
  interactionRows: number;
  /** Largest relative additivity error accepted. */
  tolerance: number;
  /** TreeSHAP threads; 0 = the default. */
  threads: number;
  topFeatures: number;
  permutationRepeats: number;
  seed: number;
  /** The split's path, as the summary and the messages name it. */
  testSplit: string;
  /** Feature names in schema order: the model must read them in this order. */
  features: readonly string[];
}

export interface Explanation {
  tables: { shap: Columns; importance: Columns; dependence: Columns; interactions: Columns };
  /** `stage_seconds` is left to the caller, which knows when it started. */
  summary: ExplainSummary;
}

/** Explains `model` on the test split `te`; `log` hears throughput and the result. */
export async function explainCandidate(
  model: ExplainedModel,
  te: LabelledMatrix,
  s: ExplainSettings,
  log: (message: string) => void = () => {},
): Promise<Explanation> {
  if (te.X.nRows === 0) throw new RangeError(`Cannot explain: ${s.testSplit} has no rows`);
  const idx = sampleRowIndices(te.X.nRows, s.rows, s.seed);
  const sample = { ...takeRows(te.X, te.y, idx), idx };
  const r = model.kind === "trees"
    ? await treeShap(model.model, model.path, te, sample, s, log)
    : await permutation(model.onnx, sample, s);
  const summary: ExplainSummary = {
    model: model.path,
    test_split: s.testSplit,
    test_rows: te.X.nRows,
    rows_explained: idx.length,
    stage_seconds: NaN,
    ...r.summary,
  };
  const top = summary.top_features.slice(0, 5).map((e) => e.feature).join(", ");
  log(`${summary.method} of ${idx.length} test rows; top: ${top}`);
  return { tables: r.tables, summary };
}

type Sample = ReturnType<typeof takeRows> & { idx: Uint32Array };
type Part = {
  tables: Explanation["tables"];
  summary: Omit<
    ExplainSummary,
    "model" | "test_split" | "test_rows" | "rows_explained" | "stage_seconds"
  >;
};

async function treeShap(
  model: TreeEnsemble,
  what: string,
  te: LabelledMatrix,
  { X, y, idx }: Sample,
  s: ExplainSettings,
  log: (message: string) => void,
): Promise<Part> {
  const F = s.features.length;
  if (model.featureNames.length !== F || s.features.some((f, j) => model.featureNames[j] !== f)) {
    throw new RangeError(
      `Cannot explain ${what}: expected the ${F} features of src/features/schema.ts in order, got [${
        model.featureNames.join(", ")
      }]`,
    );
  }
  const n = X.nRows;
  // Interaction rows: a seeded subset of the explained rows, in their order.
  const iIdx = sampleRowIndices(n, Math.min(s.interactionRows, n), s.seed + 1);
  const t1 = performance.now();
  const { shap, interactions, threads } = await explainRows(model, X, {
    interactionRows: iIdx,
    ...(s.threads > 0 ? { threads: s.threads } : {}),
  });
  const seconds = (performance.now() - t1) / 1000;
  log(
    `${n} rows in ${seconds.toFixed(2)} s (${
      Math.round(n / seconds)
    } rows/s, ${threads} threads, ${iIdx.length} with interactions)`,
  );

  const prediction = predict(model, X);
  const station = Array.from(idx, (i) => te.station[i]!);
  const time = Float64Array.from(idx, (i) => te.time[i]!);
  const check = assertAdditivity(shap.expectedValue, shap, prediction, {
    relTol: s.tolerance,
    what,
    describeRow: (i) =>
      `row ${idx[i]} of ${s.testSplit} (station ${station[i]}, ${
        new Date(time[i]!).toISOString().slice(0, 16).replace("T", " ")
      })`,
  });
  const inter = interactionSummary(interactions!);
  const interErr = interactionError(interactions!.values, shap.values, iIdx, shap.nFeatures);
  if (!(interErr <= s.tolerance * Math.max(1, Math.abs(shap.expectedValue)))) {
    throw new Error(
      `Cannot explain ${what}: interaction rows do not sum to the SHAP values (max error ${interErr})`,
    );
  }
  const sample = { X, shap, prediction, rowId: Float64Array.from(idx), station, time, actual: y };
  log(
    `base ${shap.expectedValue.toFixed(3)}, additivity max relative error ${
      check.relError.toExponential(2)
    }`,
  );
  return {
    tables: {
      shap: shapTable(sample),
      importance: importanceTable(shap, featureImportance(model)),
      dependence: dependenceTable(sample, inter),
      interactions: interactionsTable(inter),
    },
    summary: {
      method: "mean_abs_treeshap",
      trees: model.trees.length,
      interaction_rows: iIdx.length,
      base_value: shap.expectedValue,
      additivity: {
        max_abs_error: check.absError,
        max_rel_error: check.relError,
        worst_row_id: check.worstRow >= 0 ? idx[check.worstRow]! : -1,
        tolerance: s.tolerance,
        interaction_max_abs_error: interErr,
      },
      permutation_repeats: null,
      threads,
      seconds,
      rows_per_s: n / seconds,
      top_features: globalImportance(shap).slice(0, s.topFeatures).map((e) => ({
        feature: e.feature,
        importance: e.meanAbsShap,
        mean_abs_shap: e.meanAbsShap,
        interacts_most_with: inter.strongest[e.index]! >= 0
          ? shap.featureNames[inter.strongest[e.index]!]!
          : null,
      })),
    },
  };
}

async function permutation(onnx: Uint8Array, { X, y }: Sample, s: ExplainSettings): Promise<Part> {
  const session = await createSession(onnx);
  const t1 = performance.now();
  let imp;
  try {
    imp = await permutationImportance((m) => session.run(m), X, y, {
      seed: s.seed,
      repeats: s.permutationRepeats,
    });
  } finally {
    await session.release();
  }
  const seconds = (performance.now() - t1) / 1000;
  return {
    tables: { ...emptyShapTables(s.features), importance: permutationImportanceTable(imp) },
    summary: {
      method: "permutation_rmse_increase",
      trees: null,
      interaction_rows: 0,
      base_value: null,
      additivity: null,
      permutation_repeats: s.permutationRepeats,
      threads: 1,
      seconds,
      rows_per_s: X.nRows / seconds,
      top_features: imp.slice(0, s.topFeatures).map((e) => ({
        feature: e.feature,
        importance: e.importance,
        mean_abs_shap: null,
        interacts_most_with: null,
      })),
    },
  };
}

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
