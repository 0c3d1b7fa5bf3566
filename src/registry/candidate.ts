/**
 * A candidate model package as a stage writes it (trained here or brought pretrained): the
 * validation metrics and the Mondrian conformal interval come from predictions of rows the
 * model never saw (a trained candidate's out-of-fold predictions, or a pretrained model's
 * ONNX scored on the last cross-validation block), and the reference sample holds training
 * rows with the package's own predictions.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { FeatureSchema } from "../features/schema.ts";
import type { Lineage } from "../pipeline/stage.ts";
import { mondrianConformal } from "../metrics/conformal.ts";
import { regressionMetrics } from "../metrics/regression.ts";
import { createSession } from "../onnx/session.ts";
import { sampleRowIndices, takeRows } from "../tuning/row_sample.ts";
import type { ModelKind, ModelMetadata } from "./package.ts";
import type { PackageContents } from "./read_package.ts";
import { sampleReference } from "./write_package.ts";

/** The model itself. */
export interface CandidateModel {
  name: string;
  kind: ModelKind;
  onnx: Uint8Array;
  /** Our model JSON (a tree ensemble TreeSHAP can read, or linear weights); null: none. */
  model: unknown | null;
  params: Record<string, unknown>;
  training?: ModelMetadata["training"];
  /** The model scored on the validation split when `onnx` was refitted on it (default: `onnx`). */
  calibration?: Uint8Array;
  /**
   * Predictions of the validation rows by models that never saw them (a trained candidate's
   * out-of-fold predictions); when given, nothing is scored on `valid.X`.
   */
  validPredictions?: ArrayLike<number>;
}

/** What every candidate of a run shares. */
export interface CandidateSetting {
  schema: FeatureSchema;
  /** Validation rows: the last cross-validation block, or all blocks with out-of-fold predictions. */
  valid: { X?: FeatureMatrix; y: ArrayLike<number> };
  /** Training rows sampled for reference.json, with their times (epoch ms). */
  reference: { X: FeatureMatrix; y: Float32Array; time: ArrayLike<number> };
  /** Miscoverage of the conformal interval (`train.alpha`). */
  alpha: number;
  seed: number;
  target: string;
  lineage: Lineage;
  gitCommit: string | null;
  created: string;
  /** Validation predictions of the skill reference (persistence), when there is one. */
  skillReference?: ArrayLike<number>;
}

/** A seeded sample of `rows` training rows, in order, for `CandidateSetting.reference`. */
export function referenceRows(
  train: { X: FeatureMatrix; y: Float32Array; time: ArrayLike<number> },
  rows: number,
  seed: number,
): CandidateSetting["reference"] {
  const idx = sampleRowIndices(train.X.nRows, rows, seed);
  const time = Float64Array.from(idx, (i) => train.time[i]!);
  return { ...takeRows(train.X, train.y, idx), time };
}

/** Scores `X` with an ONNX model in a session of its own. */
export async function scoreOnnx(onnx: Uint8Array, X: FeatureMatrix): Promise<Float32Array> {
  const s = await createSession(onnx);
  try {
    return await s.run(X);
  } finally {
    await s.release();
  }
}

/** The four files of a candidate package, ready for `writePackage`. */
export async function candidatePackage(
  m: CandidateModel,
  s: CandidateSetting,
): Promise<PackageContents> {
  const validPred = m.validPredictions ??
    (s.valid.X ? await scoreOnnx(m.calibration ?? m.onnx, s.valid.X) : null);
  if (!validPred) {
    throw new TypeError(
      `Cannot package "${m.name}": no validation rows to score and no predictions of them`,
    );
  }
  // Mondrian: one width per PM2.5 band of the prediction (src/metrics/conformal.ts).
  const interval = mondrianConformal(s.valid.y, validPred, s.alpha);
  const metadata: ModelMetadata = {
    name: m.name,
    version: null,
    kind: m.kind,
    created: s.created,
    git_commit: s.gitCommit,
    parent_version: null,
    params: m.params,
    schema: s.schema,
    metrics: { valid: regressionMetrics(s.valid.y, validPred, s.skillReference) },
    interval,
    lineage: s.lineage,
    ...(m.training ? { training: m.training } : {}),
  };
  const reference = sampleReference(s.reference, await scoreOnnx(m.onnx, s.reference.X), {
    rows: s.reference.X.nRows,
    seed: s.seed,
    target: s.target,
  });
  return { onnx: m.onnx, model: m.model, metadata, reference };
}
