/**
 * Scoring on the endpoint: the rows of concurrent requests go to ONNX Runtime together
 * (one session run per event-loop turn: a run costs tens of microseconds before its first
 * row, so sixteen single-row requests share that cost), and SHAP explanations are computed
 * one request at a time in a worker that holds the model (or, where there are no Web
 * Workers, in slices that give the event loop a turn between them), so an explanation does
 * not hold up the requests around it.
 *
 * A tree ensemble scores each row on its own, so a row's prediction does not depend on the
 * rows it was batched with (tests/serve/handler_test.ts compares with single-row runs).
 */
import type { OnnxScorer } from "../onnx/session.ts";
import type { TreeExplainer } from "../explain/mod.ts";
import type { TreeEnsemble } from "../gbdt/tree.ts";
import type { FromWorker, ToWorker } from "./explain_worker.ts";
import { nextTurn, yieldToIo } from "./turn.ts";
import { InputError } from "./validate.ts";

interface Job {
  data: Float32Array;
  nRows: number;
  resolve: (pred: Float32Array) => void;
  reject: (e: unknown) => void;
}

/** One ONNX session shared by concurrent requests, run once per turn on their rows. */
export class ScoreBatcher {
  readonly #scorer: OnnxScorer;
  readonly #names: readonly string[];
  readonly #maxRows: number;
  #queue: Job[] = [];
  #draining: Promise<void> | null = null;
  /** Session runs and rows scored (the bench reports the mean batch). */
  runs = 0;
  rows = 0;

  readonly #onRun: ((rows: number) => void) | undefined;

  constructor(
    scorer: OnnxScorer,
    names: readonly string[],
    options: { maxRowsPerRun?: number; onRun?: (rows: number) => void } = {},
  ) {
    this.#scorer = scorer;
    this.#names = names;
    this.#maxRows = options.maxRowsPerRun ?? 4096;
    this.#onRun = options.onRun;
  }

  /** Predictions of `nRows` rows, row-major in `data` (model feature order). */
  score(data: Float32Array, nRows: number): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ data, nRows, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Let the requests whose bytes arrived in this turn reach the queue too.
    await nextTurn();
    try {
      while (this.#queue.length > 0) {
        let take = 1, rows = this.#queue[0]!.nRows;
        while (take < this.#queue.length && rows + this.#queue[take]!.nRows <= this.#maxRows) {
          rows += this.#queue[take++]!.nRows;
        }
        const jobs = this.#queue.splice(0, take);
        await this.#run(jobs, rows);
      }
    } finally {
      this.#draining = null;
    }
  }

  async #run(jobs: Job[], nRows: number): Promise<void> {
    const F = this.#names.length;
    let data: Float32Array;
    if (jobs.length === 1) data = jobs[0]!.data;
    else {
      data = new Float32Array(nRows * F);
      let o = 0;
      for (const j of jobs) {
        data.set(j.data.subarray(0, j.nRows * F), o);
        o += j.nRows * F;
      }
    }
    let pred: Float32Array;
    try {
      pred = await this.#scorer.run({ data, nRows, nCols: F, names: this.#names as string[] });
    } catch (e) {
      for (const j of jobs) j.reject(e);
      return;
    }
    this.runs++;
    this.rows += nRows;
    this.#onRun?.(nRows);
    let o = 0;
    for (const j of jobs) {
      j.resolve(jobs.length === 1 ? pred : pred.slice(o, o + j.nRows));
      o += j.nRows;
    }
  }

  /** Waits for the queued runs, then releases the session (the model was replaced). */
  async release(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
    await this.#scorer.release();
  }
}

/** SHAP values of rows of one model: in a worker, or in slices on the serving thread. */
export interface ShapEngine {
  /** `nRows * nFeatures` values for `nRows` rows of `x` (row-major, model order). */
  explain(x: Float32Array, nRows: number): Promise<Float64Array>;
  close(): void;
}

/**
 * The Web Worker constructor as it was when this module loaded: onnxruntime-web may replace
 * `globalThis.Worker` with a node:worker_threads shim at its first session (see
 * src/explain/explain_rows.ts), and that one never calls `onmessage`.
 */
const WebWorker: typeof Worker | undefined = typeof Worker === "undefined" ? undefined : Worker;

/** SHAP in a worker that holds its own explainer; null where there are no Web Workers. */
export function workerEngine(model: TreeEnsemble, fallback: ShapEngine): ShapEngine | null {
  const proto = (WebWorker as { prototype?: object } | undefined)?.prototype;
  if (!WebWorker || !proto || !("onmessage" in proto)) return null;
  let worker: Worker;
  try {
    worker = new WebWorker(new URL("./explain_worker.ts", import.meta.url), { type: "module" });
  } catch {
    return null;
  }
  const pending = new Map<
    number,
    { resolve: (v: Float64Array) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  let broken: Error | null = null;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const r = e.data;
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.ok) p?.resolve(r.shap);
    else p?.reject(new Error(`Cannot explain: ${r.error}`));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    broken = new Error(`Cannot explain in the worker: ${e.message}`);
    for (const p of pending.values()) p.reject(broken);
    pending.clear();
    worker.terminate();
  };
  worker.postMessage({ kind: "model", model } satisfies ToWorker);
  return {
    explain(x, nRows) {
      // A worker that failed leaves the work to the serving thread, in slices.
      if (broken) return fallback.explain(x, nRows);
      const id = next++;
      const rows = x.slice(0, nRows * model.featureNames.length);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ kind: "explain", id, rows, nRows } satisfies ToWorker, [rows.buffer]);
      });
    },
    close() {
      worker.terminate();
      for (const p of pending.values()) {
        p.reject(new Error("Cannot explain: the model was replaced"));
      }
      pending.clear();
    },
  };
}

/** SHAP on the serving thread in slices of about `sliceMs`, each followed by a turn for I/O. */
export function sliceEngine(explainer: TreeExplainer, sliceMs: number): ShapEngine {
  return {
    async explain(x, nRows) {
      const F = explainer.nFeatures;
      const out = new Float64Array(nRows * F);
      let i = 0;
      while (i < nRows) {
        await yieldToIo();
        const start = performance.now();
        // At least one row per slice; more while the slice stays under its budget.
        do {
          explainer.shapRowsInto(x, i * F, 1, out, i * F);
          i++;
        } while (i < nRows && performance.now() - start < sliceMs);
      }
      return out;
    },
    close() {},
  };
}

export interface ExplainLaneOptions {
  /** Where SHAP runs: "worker" (default, where Web Workers exist) or "slices". */
  mode?: "worker" | "slices";
  /** Slices: time one may take before the event loop gets a turn (ms, default 2). */
  sliceMs?: number;
  /** Explain requests waiting beyond the one running before new ones get 503 (default 8). */
  maxWaiting?: number;
}

/**
 * Explanations one request at a time (a queue of at most `maxWaiting`), each on the model's
 * engine: so explain clients cannot take more than one engine's worth of CPU together.
 */
export class ExplainLane {
  readonly options: Required<ExplainLaneOptions>;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(options: ExplainLaneOptions = {}) {
    this.options = {
      mode: options.mode ?? "worker",
      sliceMs: options.sliceMs ?? 2,
      maxWaiting: options.maxWaiting ?? 8,
    };
  }

  /** The engine for a model (a worker where possible and asked for). */
  engine(model: TreeEnsemble, explainer: TreeExplainer): ShapEngine {
    const slices = sliceEngine(explainer, this.options.sliceMs);
    return (this.options.mode === "worker" ? workerEngine(model, slices) : null) ?? slices;
  }

  /** SHAP values of `nRows` rows of `x`, queued behind the explanations before it. */
  explain(engine: ShapEngine, x: Float32Array, nRows: number): Promise<Float64Array> {
    if (this.#waiting >= this.options.maxWaiting + 1) {
      return Promise.reject(
        new InputError(
          `Cannot explain now: ${this.#waiting} explain requests are queued`,
          "explain",
          "a retry in a moment, or explain=false",
          503,
          { "retry-after": "1" },
        ),
      );
    }
    this.#waiting++;
    const run = this.#tail.then(() => engine.explain(x, nRows));
    this.#tail = run.catch(() => {}).finally(() => this.#waiting--);
    return run;
  }
}
