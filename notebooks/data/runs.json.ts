/**
 * The Runs page: the runs table, the final fit's training curve beside the folds' mean
 * validation curve, the tuning trials, their cross-validation folds (one row per trial and
 * fold), the choice tune made (best.json) and the folds' time windows (the split report).
 */
import { Out } from "./_artifacts.ts";
import {
  BEST_PATH,
  CURVE_PATH,
  FOLDS_PATH,
  RUNS,
  SPLIT_REPORT,
  TRIALS_PATH,
} from "../../src/pipeline/catalog.ts";
import type { TuneBest } from "../../src/tuning/best.ts";

const out = new Out();
out.data.runs = await out.parquet(
  RUNS,
  "SELECT * EXCLUDE (error), left(error, 300) AS error FROM t ORDER BY started DESC LIMIT 200",
);
out.data.curve = await out.parquet(CURVE_PATH);
out.data.trials = await out.parquet(TRIALS_PATH, "SELECT * FROM t ORDER BY trial_id");
out.data.folds = await out.parquet(FOLDS_PATH, "SELECT * FROM t ORDER BY trial_id, fold");
const best = await out.json<TuneBest>(BEST_PATH);
// The page needs the choice, not the per-round curve (curve.parquet carries it).
out.data.best = best && { ...best, cv_curve: undefined };
const split = await out.json<{ train?: { from: string; to: string } }>(SPLIT_REPORT);
out.data.train_period = split?.train ?? null;
await out.emit();
