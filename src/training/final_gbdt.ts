/**
 * The final GBDT: the cross-validated choice (tune's best.json) fitted on every row of the
 * training period, with the tree count the folds found and no early stopping (no row of
 * the training period is held back, and the test period is never read). A change-target
 * model carries its add-back, so it answers the level.
 */
import type { LabelledMatrix } from "../data/load_matrix.ts";
import { type GbdtParams, resolveParams, train, type TrainResult } from "../gbdt/boost.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import type { TuneBest } from "../tuning/best.ts";
import { mergeTuned } from "../tuning/gbdt_params.ts";
import { addBackValues, fitAddBack, treeTarget } from "../tuning/target.ts";

export interface FinalGbdt {
  model: TreeEnsemble;
  params: GbdtParams;
  result: TrainResult;
  seconds: number;
}

export async function fitFinalGbdt(
  tr: LabelledMatrix,
  best: TuneBest,
  base: Partial<GbdtParams>,
  options: { threads?: number; onIteration?: () => void } = {},
): Promise<FinalGbdt> {
  const params = resolveParams({
    ...mergeTuned(base, best.params),
    nEstimators: best.trees,
    earlyStoppingRounds: 0,
  });
  const t0 = performance.now();
  const addBack = best.target === "change" ? fitAddBack(tr.X, tr.y) : null;
  const y = treeTarget(tr.y, addBack ? addBackValues(addBack, tr.X) : null);
  const result = await train(tr.X, y, params, {
    ...(options.onIteration ? { onIteration: options.onIteration } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const model = addBack ? { ...result.model, addBack } : result.model;
  return { model, params, result, seconds: (performance.now() - t0) / 1000 };
}
