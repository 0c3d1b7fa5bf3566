/**
 * Time-series cross-validation of one GBDT configuration over rolling-origin folds
 * (folds.ts): each fold fits on the rows before its block (optionally a seeded share of
 * them, for the cheap rungs of the search), early-stops on the block, and predicts it. The
 * score is the mean of the folds' RMSE at their best round; the tree count of the final
 * fit is the mean of the folds' best counts; the out-of-fold predictions calibrate the
 * conformal interval. Scores are on the level whatever the target form: the change
 * target's RMSE equals the level's, the add-back cancelling in the residual.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import { type GbdtParams, train } from "../gbdt/boost.ts";
import { predict } from "../gbdt/predict.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { type Fold, foldRows } from "./folds.ts";
import { sampleRowIndices } from "./row_sample.ts";
import { addBackValues, fitAddBack, type TargetForm, treeTarget } from "./target.ts";

export interface CvData {
  X: FeatureMatrix;
  y: Float32Array;
  /** Epoch ms of each row (local clock in UTC fields). */
  time: ArrayLike<number>;
}

export interface FoldResult {
  fold: number;
  fitRows: number;
  validRows: number;
  /** Validation RMSE at the fold's best round. */
  rmse: number;
  /** Trees at the fold's best round. */
  trees: number;
  /** Trees grown (best + the rounds early stopping waited). */
  grown: number;
  seconds: number;
}

export interface CvResult {
  folds: FoldResult[];
  /** Mean and sample standard deviation of the folds' RMSE. */
  mean: number;
  sd: number;
  /** Tree count for a fit on all rows: the mean of the folds' best counts. */
  trees: number;
  /** Level predictions of each row by the fold that validated it; NaN elsewhere. */
  oof: Float64Array;
  /** Work done: trees grown times fitted rows, in units of one tree on every row of the data. */
  treeRounds: number;
  /** Mean validation RMSE per round over the folds that grew that round. */
  curve: number[];
}

export interface CvOptions {
  form: TargetForm;
  /** Share of each fold's fitted rows used (seeded draw; 1 = all). */
  rowShare?: number;
  seed: number;
  threads?: number;
}

/** Folds with their row indices and validation matrices, built once and shared by trials. */
export class CvPlan {
  readonly data: CvData;
  readonly folds: readonly Fold[];
  readonly #rows: { fit: Uint32Array; valid: Uint32Array }[];
  readonly #valid: FeatureMatrix[];

  constructor(data: CvData, folds: readonly Fold[]) {
    this.data = data;
    this.folds = folds;
    this.#rows = folds.map((f) => foldRows(data.time, f));
    this.#rows.forEach((r, k) => {
      if (r.fit.length === 0 || r.valid.length === 0) {
        throw new RangeError(
          `Cannot cross-validate: fold ${k} has ${r.fit.length} rows to fit and ${r.valid.length} to validate`,
        );
      }
    });
    this.#valid = this.#rows.map((r) => takeMatrix(data.X, r.valid));
  }

  /** Row indices (into the data) of fold k's validation block. */
  validRows(k: number): Uint32Array {
    return this.#rows[k]!.valid;
  }

  /**
   * Fold k's fitted rows at a row share: the same seeded draw for every trial of a rung.
   * Copied again for each trial rather than kept: a copy costs milliseconds beside the
   * fold's training, while keeping every fold's copy held four near-gigabyte matrices at
   * once on 16M rows (at 120 stations, 3.1M rows: peak 2,615 MB kept, 1,823 MB copied).
   */
  #fitRows(k: number, share: number, seed: number): { idx: Uint32Array; X: FeatureMatrix } {
    const all = this.#rows[k]!.fit;
    const idx = share >= 1
      ? all
      : sampleRowIndices(all.length, Math.max(1, Math.round(share * all.length)), seed + k)
        .map((i) => all[i]!);
    return { idx, X: takeMatrix(this.data.X, idx) };
  }

  /** Cross-validates one configuration (nEstimators = most trees, early stopping per fold). */
  async run(params: Partial<GbdtParams>, o: CvOptions): Promise<CvResult> {
    const { y } = this.data;
    const oof = new Float64Array(y.length).fill(NaN);
    const folds: FoldResult[] = [];
    const curves: number[][] = [];
    let work = 0;
    for (let k = 0; k < this.folds.length; k++) {
      const t0 = performance.now();
      const fit = this.#fitRows(k, o.rowShare ?? 1, o.seed);
      const fitY = Float32Array.from(fit.idx, (i) => y[i]!);
      const vIdx = this.#rows[k]!.valid;
      const vX = this.#valid[k]!, vY = Float32Array.from(vIdx, (i) => y[i]!);
      const addBack = o.form === "change" ? fitAddBack(fit.X, fitY) : null;
      const fitA = addBack ? addBackValues(addBack, fit.X) : null;
      const vA = addBack ? addBackValues(addBack, vX) : null;
      const r = await train(fit.X, treeTarget(fitY, fitA), params, {
        valid: { X: vX, y: treeTarget(vY, vA) },
        ...(o.threads ? { threads: o.threads } : {}),
      });
      const model: TreeEnsemble = addBack ? { ...r.model, addBack } : r.model;
      const pred = predict(model, vX);
      vIdx.forEach((i, j) => oof[i] = pred[j]!);
      work += r.curve.length * fit.idx.length;
      curves.push(r.curve.map((e) => e.valid ?? NaN));
      folds.push({
        fold: k,
        fitRows: fit.idx.length,
        validRows: vIdx.length,
        rmse: r.curve[r.bestIteration]?.valid ?? NaN,
        trees: r.bestIteration + 1,
        grown: r.curve.length,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    const scores = folds.map((f) => f.rmse);
    const mean = scores.reduce((s, v) => s + v, 0) / scores.length;
    const sd = scores.length > 1
      ? Math.sqrt(scores.reduce((s, v) => s + (v - mean) ** 2, 0) / (scores.length - 1))
      : 0;
    return {
      folds,
      mean: Number.isFinite(mean) ? mean : Infinity,
      sd,
      trees: Math.max(1, Math.round(folds.reduce((s, f) => s + f.trees, 0) / folds.length)),
      oof,
      treeRounds: work / y.length,
      curve: meanCurve(curves),
    };
  }
}

function meanCurve(curves: number[][]): number[] {
  const n = Math.max(0, ...curves.map((c) => c.length));
  return Array.from({ length: n }, (_, t) => {
    const v = curves.filter((c) => t < c.length).map((c) => c[t]!);
    return v.reduce((s, x) => s + x, 0) / v.length;
  });
}

/** The rows `idx` of X, in that order. */
export function takeMatrix(X: FeatureMatrix, idx: ArrayLike<number>): FeatureMatrix {
  const p = X.nCols, data = new Float32Array(idx.length * p);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    data.set(X.data.subarray(i * p, i * p + p), k * p);
  }
  return { data, nRows: idx.length, nCols: p, names: [...X.names] };
}
