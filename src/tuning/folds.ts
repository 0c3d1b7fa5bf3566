/**
 * Rolling-origin (expanding-window) folds for time-series cross-validation, the protocol of
 * every choice the study makes (DESIGN.md): the validation blocks tile the last months of
 * the training period; fold k fits on every row before its block, less a gap of the longest
 * lag + horizon, so no fitted row's target or lag window reaches into the block it is
 * scored on. The test period is never part of a fold.
 */

const HOUR = 3_600_000;

/** One fold, as epoch milliseconds of the rows' local times (UTC fields, see load_matrix.ts). */
export interface Fold {
  /** 0-based, oldest block first. */
  fold: number;
  /** Fitted rows: time < fitEnd. */
  fitEnd: number;
  /** Validation block: validStart <= time < validEnd. */
  validStart: number;
  validEnd: number;
}

export interface FoldOptions {
  /** First hour of the test period (epoch ms). */
  testStart: number;
  /** Months before testStart tiled by the validation blocks. */
  validMonths: number;
  /** Number of blocks (folds). */
  folds: number;
  /** Hours left out before each block and before the test period. */
  gapHours: number;
}

/**
 * `folds` blocks of equal length (whole hours) from `validMonths` before `testStart` to the
 * end of the training period (`testStart` - gap): with 12 months and 4 folds every season
 * is validated once.
 */
export function rollingOriginFolds(o: FoldOptions): Fold[] {
  if (!Number.isInteger(o.folds) || o.folds < 1) {
    throw new RangeError(`Cannot make folds: folds must be an integer >= 1, got ${o.folds}`);
  }
  if (!(o.gapHours >= 0)) {
    throw new RangeError(`Cannot make folds: gapHours must be >= 0, got ${o.gapHours}`);
  }
  const d = new Date(o.testStart);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - o.validMonths, d.getUTCDate());
  const to = o.testStart - o.gapHours * HOUR;
  const hours = Math.floor((to - from) / HOUR);
  if (hours < o.folds) {
    throw new RangeError(
      `Cannot make ${o.folds} folds in ${o.validMonths} month(s) before ${
        d.toISOString().slice(0, 10)
      } with a gap of ${o.gapHours} h: the validation period is ${Math.max(0, hours)} h long`,
    );
  }
  const edge = (k: number) => from + Math.round((hours * k) / o.folds) * HOUR;
  return Array.from({ length: o.folds }, (_, k) => ({
    fold: k,
    fitEnd: edge(k) - o.gapHours * HOUR,
    validStart: edge(k),
    validEnd: edge(k + 1),
  }));
}

/** Row indices (ascending) of each fold's fitted rows and validation block. */
export function foldRows(
  time: ArrayLike<number>,
  fold: Fold,
): { fit: Uint32Array; valid: Uint32Array } {
  const fit: number[] = [], valid: number[] = [];
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!;
    if (t < fold.fitEnd) fit.push(i);
    else if (t >= fold.validStart && t < fold.validEnd) valid.push(i);
  }
  return { fit: Uint32Array.from(fit), valid: Uint32Array.from(valid) };
}

/** "YYYY-MM-DD HH:00" of an epoch-ms local time, for reports and messages. */
export function hourText(t: number): string {
  return new Date(t).toISOString().slice(0, 13).replace("T", " ") + ":00";
}
