/**
 * The endpoint's explanation worker: it receives the served tree model once, compiles its
 * own TreeExplainer, then answers SHAP requests (rows in, values out, buffers transferred)
 * one at a time, off the thread that serves requests. Same kernel as the caller's thread,
 * so the values are identical bit for bit.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { TreeExplainer } from "../explain/mod.ts";

export type ToWorker =
  | { kind: "model"; model: TreeEnsemble }
  | { kind: "explain"; id: number; rows: Float32Array; nRows: number };

export type FromWorker =
  | { id: number; ok: true; shap: Float64Array }
  | { id: number; ok: false; error: string };

const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage: (m: FromWorker, transfer?: Transferable[]) => void;
  WorkerGlobalScope?: unknown;
};
let explainer: TreeExplainer | null = null;

function onMessage(e: MessageEvent<ToWorker>): void {
  const m = e.data;
  if (m.kind === "model") {
    explainer = new TreeExplainer(m.model);
    return;
  }
  try {
    if (explainer === null) throw new Error("no model received");
    const shap = new Float64Array(m.nRows * explainer.nFeatures);
    explainer.shapRowsInto(m.rows, 0, m.nRows, shap, 0);
    scope.postMessage({ id: m.id, ok: true, shap }, [shap.buffer]);
  } catch (err) {
    scope.postMessage({ id: m.id, ok: false, error: (err as Error).message });
  }
}

// Only in a worker: importing this module elsewhere must not install a handler.
if (typeof scope.WorkerGlobalScope !== "undefined") scope.onmessage = onMessage;
