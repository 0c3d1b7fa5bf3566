import type { Tree, TreeEnsemble } from "./tree.ts";
import type { FeatureMatrix } from "../data/matrix.ts";
import { addBackColumns, addBackOf } from "./add_back.ts";

/** Index of the leaf that row `x` (offset `o` into a row-major buffer) reaches in `tree`. */
export function leafIndex(tree: Tree, x: ArrayLike<number>, o = 0): number {
  const { feature, threshold, left, right, defaultLeft } = tree;
  let n = 0;
  while (feature[n]! >= 0) {
    const v = x[o + feature[n]!]!;
    n = v !== v // NaN: the learned default branch
      ? (defaultLeft[n] ? left[n]! : right[n]!)
      : (v < threshold[n]! ? left[n]! : right[n]!);
  }
  return n;
}

/**
 * All trees of a model packed into one buffer, 16 bytes a node: [feature | defaultLeft << 16,
 * threshold (leaf: value) as float32, left, right] with children as absolute int32 offsets.
 * One cache line holds four nodes where the Tree arrays spread a node over five, which
 * halves single-row latency. Built on first use and cached per model; a model is treated
 * as immutable once it has been used for prediction.
 */
interface Packed {
  trees: Tree[];
  /** The Tree objects packed, to notice a tree replaced in the same array. */
  refs: Tree[];
  I: Int32Array;
  F: Float32Array;
  roots: Int32Array;
  /** Columns of the model's add-back (add_back.ts), or null without one. */
  addBack: Int32Array | null;
}

const packedCache = new WeakMap<TreeEnsemble, Packed>();

function sameTrees(a: Tree[], b: Tree[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function packed(model: TreeEnsemble): Packed {
  const hit = packedCache.get(model);
  if (hit && hit.trees === model.trees && sameTrees(hit.refs, model.trees)) return hit;
  let total = 0;
  const roots = new Int32Array(model.trees.length);
  model.trees.forEach((t, i) => {
    roots[i] = 4 * total;
    total += t.feature.length;
  });
  const buf = new ArrayBuffer(total * 16);
  const I = new Int32Array(buf), F = new Float32Array(buf);
  model.trees.forEach((t, i) => {
    const base = roots[i]!;
    for (let n = 0; n < t.feature.length; n++) {
      const k = base + 4 * n, f = t.feature[n]!;
      if (f < 0) {
        I[k] = -1;
        F[k + 1] = t.value[n]!;
        continue;
      }
      if (f > 0xffff) {
        throw new RangeError(`Cannot predict: feature index ${f} is above 65535`);
      }
      I[k] = f | (t.defaultLeft[n] ? 1 << 16 : 0);
      F[k + 1] = t.threshold[n]!;
      I[k + 2] = base + 4 * t.left[n]!;
      I[k + 3] = base + 4 * t.right[n]!;
    }
  });
  const addBack = model.addBack ? addBackColumns(model.addBack, model.featureNames) : null;
  const p = { trees: model.trees, refs: [...model.trees], I, F, roots, addBack };
  packedCache.set(model, p);
  return p;
}

/** Prediction for one row given as an array in model feature order. */
export function predictRow(model: TreeEnsemble, x: ArrayLike<number>, o = 0): number {
  // Two copies of one loop so each stays monomorphic (element reads of one array kind).
  return x instanceof Float32Array ? rowF32(model, x, o) : rowAny(model, x, o);
}

function rowF32(model: TreeEnsemble, x: Float32Array, o: number): number {
  const { I, F, roots, addBack } = packed(model);
  let s = model.baseScore;
  for (let t = 0; t < roots.length; t++) {
    let k = roots[t]!;
    for (let f = I[k]!; f >= 0; f = I[k]!) {
      const v = x[o + (f & 0xffff)]!;
      // NaN fails `v < threshold` and takes the default branch.
      k = v < F[k + 1]! ? I[k + 2]! : v !== v && f >> 16 ? I[k + 2]! : I[k + 3]!;
    }
    s += F[k + 1]!;
  }
  return addBack ? s + addBackOf(model.addBack!, addBack, x, o) : s;
}

function rowAny(model: TreeEnsemble, x: ArrayLike<number>, o: number): number {
  const { I, F, roots, addBack } = packed(model);
  let s = model.baseScore;
  for (let t = 0; t < roots.length; t++) {
    let k = roots[t]!;
    for (let f = I[k]!; f >= 0; f = I[k]!) {
      const v = x[o + (f & 0xffff)]!;
      k = v < F[k + 1]! ? I[k + 2]! : v !== v && f >> 16 ? I[k + 2]! : I[k + 3]!;
    }
    s += F[k + 1]!;
  }
  return addBack ? s + addBackOf(model.addBack!, addBack, x, o) : s;
}

/** Rows per block in `predict`: a block's rows stay in cache while every tree visits them. */
const BLOCK = 64;

/** Predictions for every row of a matrix. */
export function predict(model: TreeEnsemble, m: FeatureMatrix): Float64Array {
  if (m.nCols !== model.featureNames.length) {
    throw new RangeError(
      `Cannot predict: the model expects ${model.featureNames.length} features, the matrix has ${m.nCols}`,
    );
  }
  const { I, F, roots, addBack } = packed(model);
  const x = m.data, p = m.nCols;
  const out = new Float64Array(m.nRows).fill(model.baseScore);
  for (let b0 = 0; b0 < m.nRows; b0 += BLOCK) {
    const b1 = Math.min(m.nRows, b0 + BLOCK);
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!;
      for (let i = b0; i < b1; i++) {
        const o = i * p;
        let k = root;
        for (let f = I[k]!; f >= 0; f = I[k]!) {
          const v = x[o + (f & 0xffff)]!;
          k = v < F[k + 1]! ? I[k + 2]! : v !== v && f >> 16 ? I[k + 2]! : I[k + 3]!;
        }
        out[i]! += F[k + 1]!;
      }
    }
  }
  if (addBack) {
    for (let i = 0; i < m.nRows; i++) out[i]! += addBackOf(model.addBack!, addBack, x, i * p);
  }
  return out;
}
