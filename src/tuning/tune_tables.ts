/**
 * The tuning artifacts as tables: trials.parquet (one row per trial), folds.parquet (one
 * row per trial and fold: the cross-validation table the Runs page reads) and oof.parquet
 * (the chosen configuration's out-of-fold predictions, the conformal calibration set).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { type Column, writeColumns } from "../data/write_columns.ts";
import type { LabelledMatrix } from "../data/load_matrix.ts";
import type { Fold } from "./folds.ts";
import type { TuneOutcome } from "./tune.ts";
import { TUNED_KEYS } from "./search_space.ts";
import type { TuneBest } from "./best.ts";
import { writeJsonAtomic } from "../pipeline/atomic.ts";

/** Writes trials.parquet, folds.parquet, oof.parquet and best.json. */
export async function writeTuneArtifacts(
  c: DuckDBConnection,
  o: TuneOutcome,
  data: LabelledMatrix,
  folds: readonly Fold[],
  out: { trials: string; folds: string; oof: string; best: string },
): Promise<void> {
  await writeTrials(c, out.trials, o);
  await writeFolds(c, out.folds, o, folds);
  await writeOof(c, out.oof, data, o);
  await writeJsonAtomic(out.best, o.best);
}

/** The run record's metrics of a search: CV RMSE (mean, spread, per fold), trials, default. */
export function bestMetrics(b: TuneBest): Record<string, number> {
  const m: Record<string, number> = { cv_rmse: b.cv.mean, cv_rmse_sd: b.cv.sd, trials: b.trials };
  for (const f of b.cv.folds) m[`cv_rmse_fold${f.fold}`] = f.rmse;
  if (b.default) m["cv_rmse_default"] = b.default.cv_rmse;
  return m;
}

/** One log line: the choice, its CV score by fold and the untuned default's. */
export function describeBest(b: TuneBest): string {
  const folds = b.cv.folds.map((f) => f.rmse.toFixed(2)).join(", ");
  return `${b.trials} trials (${
    b.tree_rounds.toFixed(0)
  } tree-rounds); chosen #${b.trial_id}: ${b.target} target, ${b.trees} trees, CV RMSE ${
    b.cv.mean.toFixed(3)
  } ± ${b.cv.sd.toFixed(3)} (folds ${folds}); untuned default ${
    b.default?.cv_rmse.toFixed(3) ?? "-"
  }`;
}

export async function writeTrials(c: DuckDBConnection, path: string, o: TuneOutcome) {
  const t = o.trials;
  const num = (f: (x: (typeof t)[number]) => unknown) => t.map((x) => Number(f(x)));
  const cols: Record<string, Column> = {
    trial_id: { type: "int", values: num((x) => x.id) },
    config_id: { type: "int", values: num((x) => x.config_id) },
    rung: { type: "int", values: num((x) => x.rung) },
    row_share: { type: "double", values: num((x) => x.budget) },
    is_default: { type: "int", values: num((x) => x.config_id < o.best.forms.length) },
    target: { type: "string", values: t.map((x) => x.config.target) },
    trees: { type: "int", values: num((x) => x.info["trees"]) },
    rows: { type: "int", values: num((x) => x.info["rows"]) },
  };
  for (const k of TUNED_KEYS) {
    cols[snake(k)] = {
      type: "double",
      values: num((x) => x.config.params[k]),
    };
  }
  cols["valid_rmse"] = { type: "double", values: num((x) => x.score) };
  cols["cv_sd"] = { type: "double", values: num((x) => x.info["cv_sd"]) };
  cols["tree_rounds"] = { type: "double", values: num((x) => x.info["tree_rounds"]) };
  cols["seconds"] = { type: "double", values: num((x) => x.seconds) };
  await writeColumns(c, path, cols);
}

export async function writeFolds(
  c: DuckDBConnection,
  path: string,
  o: TuneOutcome,
  folds: readonly Fold[],
) {
  const rows = o.trials.flatMap((t, k) => o.folds[k]!.map((f) => ({ t, f, fold: folds[f.fold]! })));
  const num = (f: (r: (typeof rows)[number]) => number) => rows.map(f);
  await writeColumns(c, path, {
    trial_id: { type: "int", values: num((r) => r.t.id) },
    rung: { type: "int", values: num((r) => r.t.rung) },
    row_share: { type: "double", values: num((r) => r.t.budget) },
    chosen: { type: "int", values: num((r) => Number(r.t.id === o.best.trial_id)) },
    is_default: { type: "int", values: num((r) => Number(r.t.config_id < o.best.forms.length)) },
    target: { type: "string", values: rows.map((r) => r.t.config.target) },
    fold: { type: "int", values: num((r) => r.f.fold) },
    fit_to: { type: "timestamp", values: num((r) => r.fold.fitEnd) },
    valid_from: { type: "timestamp", values: num((r) => r.fold.validStart) },
    valid_to: { type: "timestamp", values: num((r) => r.fold.validEnd) },
    fit_rows: { type: "int", values: num((r) => r.f.fitRows) },
    valid_rows: { type: "int", values: num((r) => r.f.validRows) },
    rmse: { type: "double", values: num((r) => r.f.rmse) },
    trees: { type: "int", values: num((r) => r.f.trees) },
    seconds: { type: "double", values: num((r) => r.f.seconds) },
  });
}

export async function writeOof(
  c: DuckDBConnection,
  path: string,
  data: LabelledMatrix,
  o: TuneOutcome,
) {
  const idx: number[] = [];
  for (let i = 0; i < o.oofFold.length; i++) if (o.oofFold[i]! >= 0) idx.push(i);
  await writeColumns(c, path, {
    station: { type: "string", values: idx.map((i) => data.station[i]!) },
    time: { type: "timestamp", values: idx.map((i) => data.time[i]!) },
    fold: { type: "int", values: idx.map((i) => o.oofFold[i]!) },
    y_true: { type: "double", values: idx.map((i) => data.y[i]!) },
    y_pred: { type: "double", values: idx.map((i) => o.oof[i]!) },
  });
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (m) => "_" + m.toLowerCase());
}
