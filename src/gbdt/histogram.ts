/**
 * Gradient/hessian histograms per node. A node's rows are a segment [start, end) of the
 * `rows` array (ascending); gradients stay at their row index, so a partition moves only
 * the row indices (ordered gradients, as LightGBM keeps, would double what it moves, and
 * building reads them from a cache-resident array in ascending row order anyway).
 *
 * Layout: one histogram slot holds, for each feature, `BIN_SLOTS` bins of interleaved
 * (grad, hess) float64 sums; the missing bin is bin `MISSING_BIN` (255).
 *
 * Determinism: a feature's histogram is always summed by one thread, in row order, with the
 * same code, so the sums do not depend on the number of threads (see node_jobs.ts).
 */

import { MISSING_BIN } from "./binning.ts";

/** Bins per feature in a histogram (255 value bins + the missing bin). */
export const BIN_SLOTS = 256;
/** Float64 entries per feature in a histogram (interleaved grad, hess). */
export const FEATURE_STRIDE = 2 * BIN_SLOTS;

/** The arrays a histogram is built from and into. */
export interface HistogramSource {
  /** Column-major bins, nCols * nRows (partitions read one feature of many rows). */
  bins: Uint8Array;
  /** The same bins row-major, nRows * nCols (histograms read several features per row). */
  rowBins: Uint8Array;
  nRows: number;
  nCols: number;
  /** Row indices; a node owns a segment of it. */
  rows: Uint32Array;
  /** Gradients and hessians by row index (only the drawn rows' are current). */
  grad: Float32Array;
  hess: Float32Array;
  /** Histogram slots, each nCols * FEATURE_STRIDE float64. */
  hist: Float64Array;
}

/** Features built together by one pass over a node's rows (see buildGroupHistograms). */
export const GROUP_SIZE = 3;

/**
 * Histograms of `count` (1..GROUP_SIZE) features `feats[k0..k0+count)` over rows [start, end),
 * feature f into `hist` at `slotBase + f * FEATURE_STRIDE` (with `nBins[f]` value bins). One
 * pass reads each row's index, gradient and bins (one cache line, row-major) once for the
 * whole group, where a pass per feature reads them per feature from a column each. Each
 * feature's bins are still summed in row order, so the sums are the same as one feature at
 * a time, whatever the grouping.
 */
export function buildGroupHistograms(
  a: HistogramSource,
  feats: Int32Array,
  k0: number,
  count: number,
  nBins: Int32Array,
  start: number,
  end: number,
  slotBase: number,
): void {
  const { rowBins, rows, grad, hess, hist, nCols } = a;
  const f0 = feats[k0]!, o0 = slotBase + f0 * FEATURE_STRIDE;
  clearFeature(hist, o0, nBins[f0]!);
  if (count === 1) {
    for (let i = start; i < end; i++) {
      const r = rows[i]!, k = o0 + 2 * rowBins[r * nCols + f0]!;
      hist[k]! += grad[r]!;
      hist[k + 1]! += hess[r]!;
    }
    return;
  }
  const f1 = feats[k0 + 1]!, o1 = slotBase + f1 * FEATURE_STRIDE;
  clearFeature(hist, o1, nBins[f1]!);
  if (count === 2) {
    for (let i = start; i < end; i++) {
      const r = rows[i]!, p = r * nCols, g = grad[r]!, h = hess[r]!;
      const k0 = o0 + 2 * rowBins[p + f0]!, k1 = o1 + 2 * rowBins[p + f1]!;
      hist[k0]! += g;
      hist[k0 + 1]! += h;
      hist[k1]! += g;
      hist[k1 + 1]! += h;
    }
    return;
  }
  const f2 = feats[k0 + 2]!, o2 = slotBase + f2 * FEATURE_STRIDE;
  clearFeature(hist, o2, nBins[f2]!);
  for (let i = start; i < end; i++) {
    const r = rows[i]!, p = r * nCols, g = grad[r]!, h = hess[r]!;
    const k0 = o0 + 2 * rowBins[p + f0]!, k1 = o1 + 2 * rowBins[p + f1]!;
    const k2 = o2 + 2 * rowBins[p + f2]!;
    hist[k0]! += g;
    hist[k0 + 1]! += h;
    hist[k1]! += g;
    hist[k1 + 1]! += h;
    hist[k2]! += g;
    hist[k2 + 1]! += h;
  }
}

/** Zeroes a feature's value bins and missing bin. */
function clearFeature(hist: Float64Array, offset: number, nb: number): void {
  hist.fill(0, offset, offset + 2 * nb);
  hist.fill(0, offset + 2 * MISSING_BIN, offset + 2 * MISSING_BIN + 2);
}

/**
 * hist[large..] -= hist[small..] for one feature with `nb` value bins (sibling subtraction),
 * value bins and missing bin only.
 */
export function subtractFeature(
  hist: Float64Array,
  large: number,
  small: number,
  nb: number,
): void {
  for (let b = 0; b < 2 * nb; b++) hist[large + b]! -= hist[small + b]!;
  const m = 2 * MISSING_BIN;
  hist[large + m]! -= hist[small + m]!;
  hist[large + m + 1]! -= hist[small + m + 1]!;
}
