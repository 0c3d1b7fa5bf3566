/**
 * A drift sample from the pipeline's labelled feature matrix (`loadMatrix`): one column per
 * feature, the row times, the station as the group, the label as the target.
 * @module
 */

import type { LabelledMatrix } from "../data/load_matrix.ts";
import type { DriftSample } from "./sample.ts";

/** The rows `rows` (default: all) of a feature matrix as a drift sample. */
export function sampleOfMatrix(
  m: LabelledMatrix,
  options: { rows?: ArrayLike<number>; prediction?: Float32Array | null } = {},
): DriftSample {
  const { data, nCols, names } = m.X;
  const rows = options.rows ?? Int32Array.from({ length: m.X.nRows }, (_, i) => i);
  const n = rows.length;
  const columns: Record<string, Float32Array> = {};
  for (let j = 0; j < nCols; j++) {
    const col = new Float32Array(n);
    for (let k = 0; k < n; k++) col[k] = data[rows[k]! * nCols + j]!;
    columns[names[j]!] = col;
  }
  const pick = (a: Float32Array) => Float32Array.from({ length: n }, (_, k) => a[rows[k]!]!);
  return {
    columns,
    times: Float64Array.from({ length: n }, (_, k) => m.time[rows[k]!]!),
    groups: Array.from({ length: n }, (_, k) => m.station[rows[k]!]!),
    target: pick(m.y),
    prediction: options.prediction ? pick(options.prediction) : null,
  };
}
