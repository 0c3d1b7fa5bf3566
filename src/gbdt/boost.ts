/**
 * The boosting loop: bin the data once, then for each round compute gradients, draw rows
 * and features with a seeded PCG32, grow a tree on histograms and update the predictions.
 * The result is bit-for-bit the same for a seed whatever the number of threads.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { Tree, TreeEnsemble } from "./tree.ts";
import { leafIndex } from "./predict.ts";
import { binMatrix, findCuts, MISSING_BIN } from "./binning.ts";
import {
  allocNodeArrays,
  C_ACTIVE,
  C_NACTIVE,
  F_GAMMA,
  F_LAMBDA,
  F_MCW,
  NodeJobs,
} from "./node_jobs.ts";
import { growTree, type GrowWorkspace, slotsNeeded } from "./grow.ts";
import { baseScore, gradients } from "./objective.ts";
import { type GbdtParams, resolveParams } from "./params.ts";
import { type FeatureImportance, featureImportance } from "./importance.ts";
import { Pcg32 } from "./random.ts";

export { DEFAULT_PARAMS, type GbdtParams, type Objective, resolveParams } from "./params.ts";
export type { FeatureImportance } from "./importance.ts";

export interface TrainOptions {
  /** Validation set: its RMSE is recorded each round and drives early stopping. */
  valid?: { X: FeatureMatrix; y: Float32Array };
  /** Called after each round with the train and validation RMSE (null without valid). */
  onIteration?: (iteration: number, trainLoss: number, validLoss: number | null) => void;
  /**
   * Threads building histograms: the caller plus threads − 1 Web Workers. Default
   * min(2, navigator.hardwareConcurrency). 1 starts no worker. The model does not depend on it.
   */
  threads?: number;
}

export interface TrainResult {
  model: TreeEnsemble;
  /** Per round (0-based): RMSE on the training rows and on the validation set. */
  curve: { iteration: number; train: number; valid: number | null }[];
  /**
   * 0-based round with the best validation RMSE (the last round without valid). With early
   * stopping the model is truncated to bestIteration + 1 trees; otherwise it keeps them all.
   */
  bestIteration: number;
  importance: FeatureImportance[];
}

/** Trains a gradient-boosted regression tree ensemble on X (row-major, NaN = missing) and y. */
export async function train(
  X: FeatureMatrix,
  y: Float32Array,
  params: Partial<GbdtParams> = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  const p = resolveParams(params);
  checkData(X, y, "training");
  const valid = options.valid;
  if (valid) {
    checkData(valid.X, valid.y, "validation");
    if (valid.X.nCols !== X.nCols) {
      throw new RangeError(
        `Cannot train: the validation matrix has ${valid.X.nCols} columns, expected ${X.nCols}`,
      );
    }
  }
  const threads = resolveThreads(options.threads);
  const { nRows, nCols } = X;
  const shared = threads > 1;

  // Bin once; the binned matrix and the per-node arrays are shared with the workers.
  const cuts = findCuts(X, p.maxBins);
  const nSlots = slotsNeeded(p, nCols);
  const arrays = allocNodeArrays(nRows, nCols, nSlots, shared);
  const { bins, rowBins } = arrays;
  binMatrix(X, cuts, bins);
  for (let j = 0; j < nCols; j++) {
    for (let i = 0, k = j, s = j * nRows; i < nRows; i++, k += nCols) rowBins[k] = bins[s + i]!;
  }
  arrays.nBins.set(cuts.cuts.map((c) => c.length + 1));
  arrays.params[F_LAMBDA] = p.lambda;
  arrays.params[F_MCW] = p.minChildWeight;
  arrays.params[F_GAMMA] = p.gamma;
  const jobs = new NodeJobs(arrays, threads);
  const ws: GrowWorkspace = {
    jobs,
    cuts,
    nBins: arrays.nBins,
    nSlots,
  };
  const rng = new Pcg32(p.seed);
  const base = baseScore(p, y);
  const pred = new Float64Array(nRows).fill(base);
  const predValid = valid ? new Float64Array(valid.X.nRows).fill(base) : null;
  const featurePerm = new Int32Array(nCols);
  const nColsTree = Math.max(1, Math.round(p.colsampleBytree * nCols));
  const trees: Tree[] = [];
  const curve: TrainResult["curve"] = [];
  let best = Infinity, bestIteration = 0;

  await jobs.start();
  try {
    for (let it = 0; it < p.nEstimators; it++) {
      const n = sampleRows(arrays.rows, nRows, p.subsample, rng);
      const { rows } = arrays;
      // Gradients of the drawn rows only, at their row index.
      const [G, H] = gradients(p, y, pred, rows, n, arrays.grad, arrays.hess);
      sampleFeatures(arrays.control, featurePerm, nColsTree, rng);
      const grown = growTree(ws, n, G, H, p);
      const t = grown.tree;
      trees.push(t);

      // Update predictions: sampled rows by their leaf segment, the others by walking bins.
      const { feature, value, left, defaultLeft } = t;
      const { splitBin, leafStart, leafEnd } = grown;
      for (let node = 0; node < feature.length; node++) {
        const start = leafStart[node]!, end = leafEnd[node]!;
        if (start < 0) continue;
        const f = feature[node]!;
        if (f < 0) {
          const v = value[node]!;
          for (let i = start; i < end; i++) pred[rows[i]!]! += v;
          continue;
        }
        // A split whose rows were not partitioned (its children are leaves at the depth
        // limit, right = left + 1): one step per row, from the feature's column.
        const col = f * nRows, sb = splitBin[node]!, dl = defaultLeft[node]!;
        const vl = value[left[node]!]!, vr = value[left[node]! + 1]!;
        for (let i = start; i < end; i++) {
          const r = rows[i]!, b = bins[col + r]!;
          const goRight = ((sb - b) >>> 31) - (((MISSING_BIN - 1 - b) >>> 31) & dl);
          pred[r]! += goRight === 1 ? vr : vl;
        }
      }
      // Row-major bins: a row's walk reads one cache line, not one column per level. The
      // step is branch-free (a branch per level is a coin flip for the predictor): growTree
      // adds each right child right after its left one, so right = left + 1, and as the
      // missing bin is the highest, "b > splitBin" is right except missing with defaultLeft.
      let i = n;
      // Four rows in lockstep, so their walks (each a chain of dependent loads) overlap; a row
      // at a leaf (feature −1) stays there (masks, not branches) until all four are.
      for (; i + 3 < nRows; i += 4) {
        const r0 = rows[i]!, r1 = rows[i + 1]!, r2 = rows[i + 2]!, r3 = rows[i + 3]!;
        const o0 = r0 * nCols, o1 = r1 * nCols, o2 = r2 * nCols, o3 = r3 * nCols;
        let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
        let f0 = feature[0]!, f1 = f0, f2 = f0, f3 = f0;
        while ((f0 & f1 & f2 & f3) >= 0) {
          n0 = walkStep(rowBins, o0, f0, n0, left, splitBin, defaultLeft);
          n1 = walkStep(rowBins, o1, f1, n1, left, splitBin, defaultLeft);
          n2 = walkStep(rowBins, o2, f2, n2, left, splitBin, defaultLeft);
          n3 = walkStep(rowBins, o3, f3, n3, left, splitBin, defaultLeft);
          f0 = feature[n0]!;
          f1 = feature[n1]!;
          f2 = feature[n2]!;
          f3 = feature[n3]!;
        }
        pred[r0]! += value[n0]!;
        pred[r1]! += value[n1]!;
        pred[r2]! += value[n2]!;
        pred[r3]! += value[n3]!;
      }
      for (; i < nRows; i++) {
        const r = rows[i]!, o = r * nCols;
        let node = 0;
        for (let f = feature[0]!; f >= 0; f = feature[node]!) {
          const b = rowBins[o + f]!;
          const goRight = ((splitBin[node]! - b) >>> 31) -
            (((MISSING_BIN - 1 - b) >>> 31) & defaultLeft[node]!);
          node = left[node]! + goRight;
        }
        pred[r]! += value[node]!;
      }
      const trainLoss = rmse(pred, y);
      let validLoss: number | null = null;
      if (valid && predValid) {
        const vx = valid.X;
        for (let i = 0, o = 0; i < vx.nRows; i++, o += vx.nCols) {
          predValid[i]! += t.value[leafIndex(t, vx.data, o)]!;
        }
        validLoss = rmse(predValid, valid.y);
      }
      curve.push({ iteration: it, train: trainLoss, valid: validLoss });
      options.onIteration?.(it, trainLoss, validLoss);
      if (validLoss === null) {
        bestIteration = it;
      } else if (validLoss < best) {
        best = validLoss;
        bestIteration = it;
      } else if (p.earlyStoppingRounds > 0 && it - bestIteration >= p.earlyStoppingRounds) {
        break;
      }
    }
  } finally {
    jobs.close();
  }
  // With early stopping the model ends at its best round (XGBoost keeps every tree and
  // reports best_iteration; we truncate, so the model is the one that was validated).
  const kept = valid && p.earlyStoppingRounds > 0 ? trees.slice(0, bestIteration + 1) : trees;
  const model: TreeEnsemble = { baseScore: base, trees: kept, featureNames: [...X.names] };
  return { model, curve, bestIteration, importance: featureImportance(model) };
}

/**
 * One level of a walk on binned data (see the prediction update in `train`): the child of
 * `node` (feature `f`) for the row whose bins start at `o`, or `node` itself at a leaf (f < 0).
 */
function walkStep(
  rowBins: Uint8Array,
  o: number,
  f: number,
  node: number,
  left: Int32Array,
  splitBin: Int32Array,
  defaultLeft: Uint8Array,
): number {
  const leaf = f >> 31; // −1 at a leaf, else 0
  const b = rowBins[o + (f & ~leaf)]!;
  const goRight = ((splitBin[node]! - b) >>> 31) -
    (((MISSING_BIN - 1 - b) >>> 31) & defaultLeft[node]!);
  return ((left[node]! + goRight) & ~leaf) | (node & leaf);
}

/** Default: min(2, hardwareConcurrency), and 1 where workers or shared memory are missing. */
function resolveThreads(t: number | undefined): number {
  const available = typeof Worker !== "undefined" && typeof SharedArrayBuffer !== "undefined";
  if (t === undefined) {
    const hc = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
    return available ? Math.max(1, Math.min(2, hc)) : 1;
  }
  if (!Number.isInteger(t) || t < 1 || t > 64) {
    throw new RangeError(`Cannot train: threads must be an integer in [1, 64]: got ${t}`);
  }
  if (t > 1 && !available) {
    throw new RangeError(
      `Cannot train with ${t} threads: Worker or SharedArrayBuffer is not available here (use threads: 1)`,
    );
  }
  return t;
}

/**
 * Rows drawn with probability `rate` each (XGBoost's Bernoulli subsample): chosen rows go to
 * rows[0, n) ascending, the others after them. Returns n. Each 32-bit draw serves two rows
 * (16 bits each: the rate is resolved to 1/65536), which halves the generator's share of a
 * round.
 */
function sampleRows(rows: Uint32Array, nRows: number, rate: number, rng: Pcg32): number {
  if (rate >= 1) {
    for (let i = 0; i < nRows; i++) rows[i] = i;
    return nRows;
  }
  let n = 0, m = nRows;
  const cut = Math.round(rate * 65536);
  // Unchosen rows are written from the end backwards, then reversed to stay ascending.
  // Branch-free: each row is written at both cursors and only one moves (a chosen row
  // written at m - 1 is overwritten later, as every slot in [n, m) is).
  for (let i = 0; i < nRows; i += 2) {
    const u = rng.nextU32();
    let take = ((u & 0xffff) - cut) >>> 31;
    rows[n] = i;
    rows[m - 1] = i;
    n += take;
    m -= 1 - take;
    if (i + 1 === nRows) break;
    take = ((u >>> 16) - cut) >>> 31;
    rows[n] = i + 1;
    rows[m - 1] = i + 1;
    n += take;
    m -= 1 - take;
  }
  rows.subarray(n).reverse();
  return n;
}

/** Draws k of the features (partial Fisher-Yates) into the control block, ascending. */
function sampleFeatures(control: Int32Array, perm: Int32Array, k: number, rng: Pcg32): void {
  const nCols = perm.length;
  for (let j = 0; j < nCols; j++) perm[j] = j;
  if (k < nCols) {
    for (let j = 0; j < k; j++) {
      const r = j + rng.nextInt(nCols - j);
      const t = perm[j]!;
      perm[j] = perm[r]!;
      perm[r] = t;
    }
  }
  const chosen = perm.subarray(0, k).sort();
  control.set(chosen, C_ACTIVE);
  control[C_NACTIVE] = k;
}

function rmse(pred: Float64Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const e = pred[i]! - y[i]!;
    s += e * e;
  }
  return Math.sqrt(s / y.length);
}

/** Rejects empty data, a length mismatch, NaN or infinite targets and infinite features. */
function checkData(X: FeatureMatrix, y: Float32Array, what: string): void {
  if (X.nRows === 0) throw new RangeError(`Cannot train: the ${what} matrix has no rows`);
  if (X.nCols === 0) throw new RangeError(`Cannot train: the ${what} matrix has no columns`);
  if (X.data.length !== X.nRows * X.nCols) {
    throw new RangeError(
      `Cannot train: the ${what} matrix data has ${X.data.length} values, expected nRows * nCols = ${
        X.nRows * X.nCols
      }`,
    );
  }
  if (X.names.length !== X.nCols) {
    throw new RangeError(
      `Cannot train: the ${what} matrix has ${X.names.length} names for ${X.nCols} columns`,
    );
  }
  if (y.length !== X.nRows) {
    throw new RangeError(
      `Cannot train: the ${what} target has ${y.length} values, expected one per row (${X.nRows})`,
    );
  }
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) {
      throw new RangeError(
        `Cannot train: the ${what} target is ${v} at row ${i}: expected a finite number`,
      );
    }
  }
  const d = X.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k]!;
    if (v === Infinity || v === -Infinity) {
      const j = k % X.nCols;
      throw new RangeError(
        `Cannot train: column "${X.names[j]}" is ${v} at row ${
          (k - j) / X.nCols
        } of the ${what} matrix: expected a finite number or NaN (missing)`,
      );
    }
  }
}
