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
  /**
   * Every hessian is 1 (squared error): passes add 1 without reading `hess`, which saves a
   * cache miss per row in sparse nodes (same sums: `hess` holds exactly 1 then).
   */
  unitHess?: boolean;
  /** Histogram slots, each nCols * FEATURE_STRIDE float64. */
  hist: Float64Array;
}

/** Most features built together by one pass over a node's rows (see buildGroupHistograms). */
export const GROUP_SIZE = 6;

/**
 * Rows ahead whose bins a pass touches early (a software prefetch): a node's rows are
 * ascending but sparse below the root, so each row's bins are a cache miss that this load,
 * issued 12 rows before they are needed, overlaps with the work on the rows between.
 */
const PREFETCH = 12;
/** Keeps the prefetch loads alive (a load whose value is never used could be dropped). */
let prefetchSink = 0;

/**
 * Histograms of `count` (1..GROUP_SIZE) features `feats[k0..k0+count)` over rows [start, end),
 * feature f into `hist` at `slotBase + f * FEATURE_STRIDE` (with `nBins[f]` value bins). One
 * pass reads each row's index, gradient and bins (one cache line, row-major) once for up to
 * six features, where a pass per feature reads them per feature from a column each. Each
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
  const { hist } = a;
  const o = (k: number) => {
    const f = feats[k0 + k]!, off = slotBase + f * FEATURE_STRIDE;
    clearFeature(hist, off, nBins[f]!);
    return off;
  };
  const f = (k: number) => feats[k0 + k]!;
  // Passes of 6, 3, 2 or 1 features (5 = 3 + 2, 4 = 2 + 2).
  if (count === 6) {
    pass6(a, start, end, f(0), f(1), f(2), f(3), f(4), f(5), o(0), o(1), o(2), o(3), o(4), o(5));
  } else if (count === 5) {
    pass3(a, start, end, f(0), f(1), f(2), o(0), o(1), o(2));
    pass2(a, start, end, f(3), f(4), o(3), o(4));
  } else if (count === 4) {
    pass2(a, start, end, f(0), f(1), o(0), o(1));
    pass2(a, start, end, f(2), f(3), o(2), o(3));
  } else if (count === 3) pass3(a, start, end, f(0), f(1), f(2), o(0), o(1), o(2));
  else if (count === 2) pass2(a, start, end, f(0), f(1), o(0), o(1));
  else pass2(a, start, end, f(0), -1, o(0), -1);
}

function pass6(
  a: HistogramSource,
  start: number,
  end: number,
  f0: number,
  f1: number,
  f2: number,
  f3: number,
  f4: number,
  f5: number,
  o0: number,
  o1: number,
  o2: number,
  o3: number,
  o4: number,
  o5: number,
): void {
  const { rowBins, rows, grad, hess, hist, nCols } = a, unit = a.unitHess === true;
  let x = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i]!, p = r * nCols, g = grad[r]!, h = unit ? 1 : hess[r]!;
    if (i + PREFETCH < end) x ^= rowBins[rows[i + PREFETCH]! * nCols + f0]!;
    const k0 = o0 + 2 * rowBins[p + f0]!, k1 = o1 + 2 * rowBins[p + f1]!;
    const k2 = o2 + 2 * rowBins[p + f2]!, k3 = o3 + 2 * rowBins[p + f3]!;
    const k4 = o4 + 2 * rowBins[p + f4]!, k5 = o5 + 2 * rowBins[p + f5]!;
    hist[k0]! += g;
    hist[k0 + 1]! += h;
    hist[k1]! += g;
    hist[k1 + 1]! += h;
    hist[k2]! += g;
    hist[k2 + 1]! += h;
    hist[k3]! += g;
    hist[k3 + 1]! += h;
    hist[k4]! += g;
    hist[k4 + 1]! += h;
    hist[k5]! += g;
    hist[k5 + 1]! += h;
  }
  prefetchSink ^= x;
}

function pass3(
  a: HistogramSource,
  start: number,
  end: number,
  f0: number,
  f1: number,
  f2: number,
  o0: number,
  o1: number,
  o2: number,
): void {
  const { rowBins, rows, grad, hess, hist, nCols } = a, unit = a.unitHess === true;
  let x = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i]!, p = r * nCols, g = grad[r]!, h = unit ? 1 : hess[r]!;
    if (i + PREFETCH < end) x ^= rowBins[rows[i + PREFETCH]! * nCols + f0]!;
    const k0 = o0 + 2 * rowBins[p + f0]!, k1 = o1 + 2 * rowBins[p + f1]!;
    const k2 = o2 + 2 * rowBins[p + f2]!;
    hist[k0]! += g;
    hist[k0 + 1]! += h;
    hist[k1]! += g;
    hist[k1 + 1]! += h;
    hist[k2]! += g;
    hist[k2 + 1]! += h;
  }
  prefetchSink ^= x;
}

/** Two features, or one when f1 < 0. */
function pass2(
  a: HistogramSource,
  start: number,
  end: number,
  f0: number,
  f1: number,
  o0: number,
  o1: number,
): void {
  const { rowBins, rows, grad, hess, hist, nCols } = a;
  if (f1 < 0) {
    for (let i = start; i < end; i++) {
      const r = rows[i]!, k = o0 + 2 * rowBins[r * nCols + f0]!;
      hist[k]! += grad[r]!;
      hist[k + 1]! += hess[r]!;
    }
    return;
  }
  for (let i = start; i < end; i++) {
    const r = rows[i]!, p = r * nCols, g = grad[r]!, h = hess[r]!;
    const k0 = o0 + 2 * rowBins[p + f0]!, k1 = o1 + 2 * rowBins[p + f1]!;
    hist[k0]! += g;
    hist[k0 + 1]! += h;
    hist[k1]! += g;
    hist[k1 + 1]! += h;
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

/**
 * V8 specialises an addition to what it has seen before optimising it. With squared error
 * every hessian is 1, so the hessian sums are whole numbers and V8 would add them as checked
 * integers, converting each sum from and to float64: a pass took 1.4 times as long
 * (measured on PRSA). One tiny pass per width with fractional hessians when the module loads
 * records "any number" first, so the passes add float64 whatever the objective.
 */
const FEEDBACK_CALLS = 32;

function recordFloatFeedback(): void {
  const nCols = GROUP_SIZE, nRows = 2;
  const src: HistogramSource = {
    bins: new Uint8Array(nRows * nCols),
    rowBins: new Uint8Array(nRows * nCols),
    nRows,
    nCols,
    rows: Uint32Array.from([0, 1]),
    grad: new Float32Array([0.5, 0.25]),
    hess: new Float32Array([0.5, 0.25]),
    hist: new Float64Array(nCols * FEATURE_STRIDE),
  };
  const feats = Int32Array.from({ length: nCols }, (_, j) => j);
  const nBins = new Int32Array(nCols).fill(2);
  // Feedback is recorded only once a function has a feedback vector, which V8 allocates
  // after several calls: each width runs FEEDBACK_CALLS times.
  for (let k = 0; k < FEEDBACK_CALLS; k++) {
    for (let count = 1; count <= GROUP_SIZE; count++) {
      buildGroupHistograms(src, feats, 0, count, nBins, 0, nRows, 0);
    }
  }
}
recordFloatFeedback();
