/**
 * An explanation worker: builds its own TreeExplainer from the model it is sent, explains
 * its share of the rows and posts the values back (buffers transferred, not copied). Runs
 * the same kernel as the caller's thread, so a row's values do not depend on the thread.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { TreeExplainer } from "./tree_explainer.ts";

/** One share of {@link explainRows}: SHAP rows and, separately, interaction rows. */
export interface ExplainJob {
  model: TreeEnsemble;
  /** Row-major rows to explain (nFeatures per row). */
  rows: Float32Array;
  /** Row-major rows whose interaction values to compute. */
  interactionRows: Float32Array;
}

export type ExplainReply =
  | { ok: true; shap: Float64Array; interactions: Float64Array }
  | { ok: false; error: string };

/** The job's values, computed on this thread. */
export function runExplainJob(job: ExplainJob, explainer?: TreeExplainer): ExplainReply {
  const ex = explainer ?? new TreeExplainer(job.model);
  const F = ex.nFeatures;
  const n = job.rows.length / F, ni = job.interactionRows.length / F;
  const shap = new Float64Array(n * F);
  ex.shapRowsInto(job.rows, 0, n, shap, 0);
  const interactions = new Float64Array(ni * F * F);
  for (let i = 0; i < ni; i++) {
    ex.interactionRowInto(job.interactionRows, i * F, interactions, i * F * F);
  }
  return { ok: true, shap, interactions };
}

// Only when loaded as a worker: a worker's global scope has no `document` and `self` is
// not `window`; importing this module for `runExplainJob` must not install a handler.
const scope = globalThis as unknown as {
  onmessage?: ((e: MessageEvent<ExplainJob>) => void) | null;
  postMessage?: (m: unknown, transfer?: Transferable[]) => void;
  WorkerGlobalScope?: unknown;
};
if (typeof scope.WorkerGlobalScope !== "undefined" && typeof scope.postMessage === "function") {
  scope.onmessage = (e: MessageEvent<ExplainJob>) => {
    let reply: ExplainReply;
    try {
      reply = runExplainJob(e.data);
    } catch (err) {
      reply = { ok: false, error: (err as Error).message };
    }
    scope.postMessage!(reply, reply.ok ? [reply.shap.buffer, reply.interactions.buffer] : []);
  };
}
