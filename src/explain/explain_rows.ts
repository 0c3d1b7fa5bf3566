/**
 * SHAP values of many rows (and interaction values of some of them) on several threads:
 * Web Workers, each with its own TreeExplainer over a contiguous share of the rows. Every row runs the same deterministic kernel wherever it runs, so the
 * result is identical, bit for bit, to {@link shapValues} / {@link shapInteractionValues}.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { TreeExplainer } from "./tree_explainer.ts";
import type { ShapValues } from "./shap_values.ts";
import type { ShapInteractionValues } from "./shap_interaction_values.ts";
import { type ExplainJob, type ExplainReply, runExplainJob } from "./explain_worker.ts";

export interface ExplainRowsOptions {
  /**
   * Threads: Web Workers, each explaining a share while the caller waits (its event loop
   * free). Default min(2, hardwareConcurrency); 1 runs on the caller's thread and starts
   * no worker, nor do small batches (a worker costs a model compile).
   */
  threads?: number;
  /** Rows of `x` (indices) whose interaction values to compute as well; default none. */
  interactionRows?: ArrayLike<number>;
  /** An explainer already built for `model`, used when the caller's thread does the work. */
  explainer?: TreeExplainer;
}

export interface ExplainedRows {
  shap: ShapValues;
  /** Blocks in the order of `interactionRows` (null without them). */
  interactions: ShapInteractionValues | null;
  /** Threads actually used. */
  threads: number;
}

/**
 * The Web Worker constructor as it was when this module loaded. onnxruntime-web, when it
 * thinks it runs in Node, replaces `globalThis.Worker` with node:worker_threads' Worker at
 * its first session (an EventEmitter: `onmessage` is never called, the caller would hang),
 * and the pipeline runs ORT sessions before this stage; modules load before any stage runs.
 */
const WebWorker: typeof Worker | undefined = typeof Worker === "undefined" ? undefined : Worker;

/** Whether `W` is a Web Worker (an EventTarget with `onmessage`), not Node's. */
function isWebWorker(W: unknown): W is typeof Worker {
  const proto = (W as { prototype?: object } | undefined)?.prototype;
  return !!proto && "addEventListener" in proto && "onmessage" in proto;
}

/** Below this many SHAP-row equivalents per thread a worker costs more than it saves. */
const MIN_ROWS_PER_THREAD = 200;
/** An interaction row costs about this many SHAP rows (d/2 on depth-6 to 8 trees). */
const INTERACTION_COST = 4;

/** SHAP values of every row of `x`, and interaction values of `options.interactionRows`. */
export async function explainRows(
  model: TreeEnsemble,
  x: FeatureMatrix,
  options: ExplainRowsOptions = {},
): Promise<ExplainedRows> {
  const F = model.featureNames.length;
  if (x.nCols !== F) {
    throw new RangeError(
      `Cannot explain rows: the model expects ${F} features, the matrix has ${x.nCols}`,
    );
  }
  const iIdx = Array.from(options.interactionRows ?? []);
  for (const i of iIdx) {
    if (!Number.isInteger(i) || i < 0 || i >= x.nRows) {
      throw new RangeError(
        `Cannot explain rows: interaction row ${i} is outside 0..${x.nRows - 1}`,
      );
    }
  }
  const explainer = options.explainer ?? new TreeExplainer(model);
  const work = x.nRows + INTERACTION_COST * iIdx.length;
  const threads = Math.max(
    1,
    Math.min(resolveThreads(options.threads), Math.floor(work / MIN_ROWS_PER_THREAD)),
  );

  // Contiguous shares: thread t explains rows [rs[t], rs[t + 1]) and interaction entries
  // [is[t], is[t + 1]) of iIdx, so the pieces concatenate back in order.
  const share = (n: number) =>
    Array.from({ length: threads + 1 }, (_, t) => Math.round(n * t / threads));
  const rs = share(x.nRows), is = share(iIdx.length);
  const job = (t: number): ExplainJob => {
    const iRows = new Float32Array((is[t + 1]! - is[t]!) * F);
    for (let k = is[t]!; k < is[t + 1]!; k++) {
      iRows.set(x.data.subarray(iIdx[k]! * F, iIdx[k]! * F + F), (k - is[t]!) * F);
    }
    return { model, rows: x.data.slice(rs[t]! * F, rs[t + 1]! * F), interactionRows: iRows };
  };

  const workers: Worker[] = [];
  const pending: Promise<ExplainReply>[] = [];
  try {
    // With workers, every share runs in one, the caller's thread only waits: a synchronous
    // share would block its event loop, and with it any stage running beside this one
    // (the pipeline runs evaluate and explain together).
    for (let t = threads > 1 ? 0 : 1; t < threads; t++) {
      const w = new WebWorker!(new URL("./explain_worker.ts", import.meta.url), {
        type: "module",
      });
      workers.push(w);
      pending.push(
        new Promise<ExplainReply>((resolve, reject) => {
          w.onmessage = (e: MessageEvent<ExplainReply>) => resolve(e.data);
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`Cannot explain rows in worker ${t}: ${e.message}`));
          };
        }),
      );
      const j = job(t);
      w.postMessage(j, [j.rows.buffer, j.interactionRows.buffer]);
    }
    // The caller's share runs while the workers run theirs.
    const replies = threads > 1 ? await Promise.all(pending) : [runExplainJob(job(0), explainer)];
    const values = new Float64Array(x.nRows * F);
    const iValues = new Float64Array(iIdx.length * F * F);
    replies.forEach((r, t) => {
      if (!r.ok) throw new Error(`Cannot explain rows in worker ${t}: ${r.error}`);
      values.set(r.shap, rs[t]! * F);
      iValues.set(r.interactions, is[t]! * F * F);
    });
    const common = {
      nFeatures: F,
      featureNames: explainer.featureNames,
      expectedValue: explainer.expectedValue,
    };
    return {
      shap: { values, nRows: x.nRows, ...common },
      interactions: iIdx.length ? { values: iValues, nRows: iIdx.length, ...common } : null,
      threads,
    };
  } finally {
    for (const w of workers) w.terminate();
  }
}

function resolveThreads(t: number | undefined): number {
  if (!isWebWorker(WebWorker)) return 1;
  if (t === undefined) {
    const hc = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
    return Math.max(1, Math.min(2, hc));
  }
  if (!Number.isInteger(t) || t < 1 || t > 64) {
    throw new RangeError(`Cannot explain rows: threads must be an integer in [1, 64]: got ${t}`);
  }
  return t;
}
