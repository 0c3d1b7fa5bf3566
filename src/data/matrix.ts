/**
 * A dense feature matrix, row-major, float32, NaN for missing: the layout ONNX Runtime
 * takes as input, so a batch goes to either predictor without copying.
 */
export interface FeatureMatrix {
  data: Float32Array;
  nRows: number;
  nCols: number;
  names: string[];
}

export function featureMatrix(nRows: number, names: string[]): FeatureMatrix {
  return { data: new Float32Array(nRows * names.length), nRows, nCols: names.length, names };
}

/** Column `j` as a new array (strided read of the row-major data). */
export function column(m: FeatureMatrix, j: number): Float32Array {
  const out = new Float32Array(m.nRows);
  for (let i = 0, k = j; i < m.nRows; i++, k += m.nCols) out[i] = m.data[k]!;
  return out;
}

/** Row `i` as a view (no copy). */
export function row(m: FeatureMatrix, i: number): Float32Array {
  return m.data.subarray(i * m.nCols, (i + 1) * m.nCols);
}
