/**
 * The boosting loop: bin the data once, then for each round compute gradients, draw rows
 * and features with a seeded PCG32, grow a tree on histograms and update the predictions.
 * The result is bit-for-bit the same for a seed whatever the number of threads.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { Tree, TreeEnsemble } from "./tree.ts";
import { leafIndex } from "./predict.ts";
import { binMatrix, findCuts } from "./binning.ts";
import {
  allocNodeArrays,
  C_ACTIVE,
  C_NACTIVE,
  C_OBJECTIVE,
  F_GAMMA,
  F_HUBER_INV,
  F_LAMBDA,
  F_MCW,
  NodeJobs,
} from "./node_jobs.ts";
import { growTree, type GrowWorkspace, slotsNeeded } from "./grow.ts";
import { baseScore, OBJECTIVE_HUBER, OBJECTIVE_SQUARED } from "./objective.ts";
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
  const nSlots = slotsNeeded(p, nCols);
  const arrays = allocNodeArrays(nRows, nCols, nSlots, shared, maxNodes(p, nRows));
  // Squared error: every hessian is 1 (set before the workers get their copy of `arrays`).
  arrays.unitHess = p.objective === "squared_error";
  const jobs = new NodeJobs(arrays, threads);
  // The workers start (a module load each) while this thread bins the data.
  const started = jobs.start();
  let cuts;
  try {
    cuts = findCuts(X, p.maxBins);
    binMatrix(X, cuts, arrays.bins, arrays.rowBins);
  } catch (e) {
    await started.catch(() => {});
    jobs.close();
    throw e;
  }
  arrays.nBins.set(cuts.cuts.map((c) => c.length + 1));
  arrays.params[F_LAMBDA] = p.lambda;
  arrays.params[F_MCW] = p.minChildWeight;
  arrays.params[F_GAMMA] = p.gamma;
  arrays.params[F_HUBER_INV] = 1 / (p.huberSlope * p.huberSlope);
  arrays.control[C_OBJECTIVE] = p.objective === "squared_error"
    ? OBJECTIVE_SQUARED
    : OBJECTIVE_HUBER;
  // Squared error: every hessian is 1, filled once.
  if (p.objective === "squared_error") arrays.hess.fill(1);
  arrays.y.set(y);
  const ws: GrowWorkspace = {
    jobs,
    cuts,
    nBins: arrays.nBins,
    nSlots,
  };
  const rng = new Pcg32(p.seed);
  const base = baseScore(p, y);
  arrays.pred.fill(base);
  const predValid = valid ? new Float64Array(valid.X.nRows).fill(base) : null;
  const featurePerm = new Int32Array(nCols);
  const nColsTree = Math.max(1, Math.round(p.colsampleBytree * nCols));
  const trees: Tree[] = [];
  const curve: TrainResult["curve"] = [];
  let best = Infinity, bestIteration = 0;

  await started;
  let lastTurn = performance.now();
  try {
    for (let it = 0; it < p.nEstimators; it++) {
      // The rounds run synchronously; give the event loop a turn now and then, so a Ctrl-C
      // (the runner's SIGINT handler) or a progress line is not held until the end.
      if (performance.now() - lastTurn > TURN_MS) {
        await new Promise((r) => setTimeout(r, 0));
        lastTurn = performance.now();
      }
      const n = jobs.sample(rng, p.subsample);
      // Gradients of the drawn rows only, at their row index.
      const [G, H] = jobs.gradients(n);
      sampleFeatures(arrays.control, featurePerm, nColsTree, rng);
      const grown = growTree(ws, n, G, H, p);
      const t = grown.tree;
      trees.push(t);
      // Every training row's prediction, and the loss after it.
      const trainLoss = Math.sqrt(jobs.update(grown, n) / nRows);
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

/** Longest stretch of boosting rounds between two turns of the event loop. */
const TURN_MS = 200;

/** Most nodes of one tree under these rules (for the update's shared tree buffer). */
function maxNodes(p: GbdtParams, nRows: number): number {
  const byRows = 2 * nRows - 1;
  if (p.maxLeaves > 0) return Math.min(2 * p.maxLeaves - 1, byRows);
  return Math.min(2 ** (Math.min(p.maxDepth, 30) + 1) - 1, byRows);
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

function rmse(pred: Float64Array, y: ArrayLike<number>): number {
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
