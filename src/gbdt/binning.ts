/**
 * Quantile binning, as LightGBM and XGBoost `hist` do: each feature's values map to at most
 * 255 value bins (0..nBins-1) plus one missing bin (`MISSING_BIN`, for NaN).
 *
 * Bin k holds the values x with `cuts[k-1] <= x < cuts[k]`. Every cut is a value that occurs
 * in the data (the upper value of an adjacent distinct pair), so it is a float32 and the
 * split "bin <= k" is exactly "x < cuts[k]": the ONNX float32 comparison and ours agree.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import { Pcg32 } from "./random.ts";

/** The bin that holds missing values, for every feature. */
export const MISSING_BIN = 255;
/** Most value bins per feature (the missing bin comes on top). */
export const MAX_VALUE_BINS = 255;
/** Rows sampled per feature to find the quantiles of large data. */
export const QUANTILE_SAMPLE_ROWS = 200_000;

export interface BinCuts {
  /** Per feature: the ascending cut values; feature j has `cuts[j].length + 1` value bins. */
  cuts: Float32Array[];
}

export interface BinnedMatrix {
  /** Column-major bins: feature j of row i at `j * nRows + i`. */
  bins: Uint8Array;
  nRows: number;
  nCols: number;
}

/**
 * Cut values for each feature from the quantiles of its non-missing values. Uses every row
 * up to `QUANTILE_SAMPLE_ROWS`, else a sample drawn with a fixed-seed PCG32 (deterministic).
 */
export function findCuts(m: FeatureMatrix, maxBins: number): BinCuts {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_VALUE_BINS) {
    throw new RangeError(`Cannot bin: maxBins must be an integer in [2, 255]: got ${maxBins}`);
  }
  const { nRows, nCols, data } = m;
  let sample: Uint32Array | null = null;
  if (nRows > QUANTILE_SAMPLE_ROWS) {
    // Floyd's algorithm would avoid the full array; a partial Fisher-Yates is simpler and
    // runs once per training.
    const idx = new Uint32Array(nRows);
    for (let i = 0; i < nRows; i++) idx[i] = i;
    const rng = new Pcg32(0x9e3779b9);
    for (let i = 0; i < QUANTILE_SAMPLE_ROWS; i++) {
      const j = i + rng.nextInt(nRows - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    sample = idx.slice(0, QUANTILE_SAMPLE_ROWS).sort();
  }
  const n = sample ? sample.length : nRows;
  const values = new Float32Array(n);
  const cuts: Float32Array[] = [];
  for (let j = 0; j < nCols; j++) {
    let k = 0;
    for (let s = 0; s < n; s++) {
      const v = data[(sample ? sample[s]! : s) * nCols + j]!;
      if (v === v) values[k++] = v;
    }
    cuts.push(quantileCuts(sortFloats(values.subarray(0, k)), maxBins));
  }
  return { cuts };
}

/**
 * `v` (no NaN) sorted ascending in place, as `Float32Array.prototype.sort` orders it (−0
 * before +0): a radix sort on the bits made order-preserving as unsigned integers (sign
 * bit set for positives, all bits flipped for negatives), 8 bits a pass, several times
 * faster than the comparison sort on the 200k-value samples.
 */
export function sortFloats(v: Float32Array): Float32Array {
  const n = v.length;
  let src: Uint32Array = new Uint32Array(v.buffer, v.byteOffset, n);
  let dst: Uint32Array = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    src[i] = k & 0x80000000 ? ~k : k | 0x80000000;
  }
  const count = new Uint32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[i]! >>> shift) & 255]!++;
    if (n === 0 || count[(src[0]! >>> shift) & 255] === n) continue; // one digit: no move
    let sum = 0;
    for (let d = 0; d < 256; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = src[i]!;
      dst[count[(k >>> shift) & 255]!++] = k;
    }
    [src, dst] = [dst, src];
  }
  const out = new Uint32Array(v.buffer, v.byteOffset, n);
  for (let i = 0; i < n; i++) {
    const k = src[i]!;
    out[i] = k & 0x80000000 ? k & 0x7fffffff : ~k;
  }
  return v;
}

/** Cuts for one feature from its sorted non-missing values. */
function quantileCuts(sorted: Float32Array, maxBins: number): Float32Array {
  const n = sorted.length;
  const out: number[] = [];
  if (n === 0) return new Float32Array(0);
  let distinct = 1;
  for (let i = 1; i < n && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBins) {
    // Few distinct values: one bin each, cut at the upper value of each adjacent pair.
    for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) out.push(sorted[i]!);
    return Float32Array.from(out);
  }
  // Equal-frequency bins over what is left: a heavy value (e.g. zero rain) fills one bin
  // and the remaining bins share the remaining values.
  let start = 0; // first index of the current bin
  while (out.length < maxBins - 1) {
    const remaining = maxBins - out.length;
    let end = start + Math.ceil((n - start) / remaining);
    if (end >= n) break;
    if (sorted[end] === sorted[start]) end = upperBound(sorted, sorted[start]!);
    if (end >= n) break;
    const v = sorted[end]!;
    out.push(v);
    start = lowerBound(sorted, v);
  }
  return Float32Array.from(out);
}

/** First index with sorted[i] >= v. */
function lowerBound(sorted: Float32Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with sorted[i] > v. */
function upperBound(sorted: Float32Array, v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bin of value `v` given ascending `cuts` (binary search: number of cuts <= v). */
export function binOf(cuts: Float32Array, v: number): number {
  if (v !== v) return MISSING_BIN;
  let lo = 0, hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bins of every value into `bins` (column-major) and, when given, `rowBins` (row-major);
 * either may be a SharedArrayBuffer view. One pass over the rows reads the matrix in order;
 * each value's bin is a branch-free search of a fixed 8 steps in its feature's cuts, padded
 * with +Infinity to 256 (the same bin as `binOf`).
 */
export function binMatrix(
  m: FeatureMatrix,
  c: BinCuts,
  out?: Uint8Array,
  rowBins?: Uint8Array,
): BinnedMatrix {
  const { nRows, nCols, data } = m;
  const bins = out ?? new Uint8Array(nRows * nCols);
  const padded = new Float32Array(256 * nCols).fill(Infinity);
  c.cuts.forEach((cuts, j) => padded.set(cuts, 256 * j));
  for (let i = 0, k = 0; i < nRows; i++) {
    for (let j = 0, o = 0; j < nCols; j++, k++, o += 256) {
      const v = data[k]!;
      let b = MISSING_BIN;
      if (v === v) {
        b = padded[o + 127]! <= v ? 128 : 0;
        b += padded[o + b + 63]! <= v ? 64 : 0;
        b += padded[o + b + 31]! <= v ? 32 : 0;
        b += padded[o + b + 15]! <= v ? 16 : 0;
        b += padded[o + b + 7]! <= v ? 8 : 0;
        b += padded[o + b + 3]! <= v ? 4 : 0;
        b += padded[o + b + 1]! <= v ? 2 : 0;
        b += padded[o + b]! <= v ? 1 : 0;
      }
      bins[j * nRows + i] = b;
      if (rowBins) rowBins[k] = b;
    }
  }
  return { bins, nRows, nCols };
}

/** Threshold for the split "bins 0..k left": x < threshold goes left. */
export function thresholdOf(c: BinCuts, feature: number, k: number): number {
  const cuts = c.cuts[feature]!;
  return k < cuts.length ? cuts[k]! : Infinity;
}
