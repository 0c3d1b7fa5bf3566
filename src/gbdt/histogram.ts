/**
 * Gradient/hessian histograms per node. A node's rows are a segment [start, end) of the
 * `rows` array, with their gradients stored in the same order beside them ("ordered
 * gradients", as LightGBM does): building reads the gradients sequentially.
 *
 * Layout: one histogram slot holds, for each feature, `BIN_SLOTS` bins of interleaved
 * (grad, hess) float64 sums; the missing bin is bin `MISSING_BIN` (255).
 *
 * Determinism: a feature's histogram is always summed by one thread, in row order, with the
 * same code, so the sums do not depend on the number of threads (see node_jobs.ts).
 */

/** Bins per feature in a histogram (255 value bins + the missing bin). */
export const BIN_SLOTS = 256;
/** Float64 entries per feature in a histogram (interleaved grad, hess). */
export const FEATURE_STRIDE = 2 * BIN_SLOTS;

/** The arrays a histogram is built from and into. */
export interface HistogramSource {
  /** Column-major bins, nCols * nRows. */
  bins: Uint8Array;
  nRows: number;
  nCols: number;
  /** Row indices; a node owns a segment of it. */
  rows: Uint32Array;
  /** Gradients and hessians in the order of `rows`. */
  grad: Float32Array;
  hess: Float32Array;
  /** Histogram slots, each nCols * FEATURE_STRIDE float64. */
  hist: Float64Array;
}

/**
 * Histogram of one feature over rows [start, end) into `hist` at `offset`
 * (FEATURE_STRIDE entries, overwritten).
 */
export function buildFeatureHistogram(
  a: HistogramSource,
  feature: number,
  start: number,
  end: number,
  offset: number,
): void {
  const { bins, rows, grad, hess, hist } = a;
  hist.fill(0, offset, offset + FEATURE_STRIDE);
  const col = feature * a.nRows;
  let i = start;
  // Unrolled by 4: fewer loop tests; the adds stay in row order per bin.
  for (const e4 = end - 3; i < e4; i += 4) {
    const k0 = offset + 2 * bins[col + rows[i]!]!;
    hist[k0]! += grad[i]!;
    hist[k0 + 1]! += hess[i]!;
    const k1 = offset + 2 * bins[col + rows[i + 1]!]!;
    hist[k1]! += grad[i + 1]!;
    hist[k1 + 1]! += hess[i + 1]!;
    const k2 = offset + 2 * bins[col + rows[i + 2]!]!;
    hist[k2]! += grad[i + 2]!;
    hist[k2 + 1]! += hess[i + 2]!;
    const k3 = offset + 2 * bins[col + rows[i + 3]!]!;
    hist[k3]! += grad[i + 3]!;
    hist[k3 + 1]! += hess[i + 3]!;
  }
  for (; i < end; i++) {
    const k = offset + 2 * bins[col + rows[i]!]!;
    hist[k]! += grad[i]!;
    hist[k + 1]! += hess[i]!;
  }
}

/** hist[large..] -= hist[small..] for one feature (sibling subtraction). */
export function subtractFeature(hist: Float64Array, large: number, small: number): void {
  for (let b = 0; b < FEATURE_STRIDE; b++) hist[large + b]! -= hist[small + b]!;
}
