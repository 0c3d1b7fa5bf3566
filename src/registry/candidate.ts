/**
 * A candidate model package as a stage writes it (trained here or brought pretrained): the
 * validation metrics and the split-conformal interval come from scoring the validation
 * split with the package's own ONNX model, as it will be served, and the reference sample
 * holds training rows with that model's predictions.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { FeatureSchema } from "../features/schema.ts";
import type { Lineage } from "../pipeline/stage.ts";
import { conformalQuantile } from "../metrics/conformal.ts";
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
}

/** What every candidate of a run shares. */
export interface CandidateSetting {
  schema: FeatureSchema;
  valid: { X: FeatureMatrix; y: Float32Array };
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
  const validPred = await scoreOnnx(m.calibration ?? m.onnx, s.valid.X);
  const interval = conformalQuantile(s.valid.y, validPred, s.alpha);
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
