/**
 * The long predictions table: one row per (candidate, scored row) with the truth, the
 * prediction, its conformal interval and the residual (prediction - truth). The evaluation
 * of the test split and the scoring of a production batch write it alike.
 */
import { type ConformalInterval, predictionInterval } from "./conformal.ts";
import type { Column } from "../data/write_columns.ts";

/** The scored rows: who, when, and the truth (NaN = not labelled). */
export interface ScoredRows {
  station: readonly string[];
  time: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** One candidate's predictions of the rows, and its interval (null: none). */
export interface CandidatePredictions {
  name: string;
  pred: ArrayLike<number>;
  interval: ConformalInterval | null;
}

/** The table's columns; `residual` (prediction - truth) is typed for callers that bin it. */
export type PredictionsTable =
  & Record<"candidate" | "station" | "time" | "y_true" | "y_pred" | "lower" | "upper", Column>
  & { residual: { type: "double"; values: Float64Array } };

export function predictionsTable(
  rows: ScoredRows,
  candidates: readonly CandidatePredictions[],
): PredictionsTable {
  const n = rows.y.length, total = candidates.length * n;
  const cand: string[] = new Array(total), station: string[] = new Array(total);
  const time = new Float64Array(total), yt = new Float64Array(total);
  const yp = new Float64Array(total), lo = new Float64Array(total);
  const hi = new Float64Array(total), res = new Float64Array(total);
  candidates.forEach(({ name, pred, interval }, k) => {
    if (pred.length !== n) {
      throw new RangeError(
        `Cannot tabulate predictions of "${name}": ${pred.length} predictions for ${n} rows`,
      );
    }
    for (let i = 0; i < n; i++) {
      const o = k * n + i;
      cand[o] = name;
      station[o] = rows.station[i]!;
      time[o] = rows.time[i]!;
      yt[o] = rows.y[i]!;
      yp[o] = pred[i]!;
      res[o] = pred[i]! - rows.y[i]!;
      [lo[o], hi[o]] = interval ? predictionInterval(pred[i]!, interval) : [NaN, NaN];
    }
  });
  return {
    candidate: { type: "string", values: cand },
    station: { type: "string", values: station },
    time: { type: "timestamp", values: time },
    y_true: { type: "double", values: yt },
    y_pred: { type: "double", values: yp },
    lower: { type: "double", values: lo },
    upper: { type: "double", values: hi },
    residual: { type: "double", values: res },
  };
}
