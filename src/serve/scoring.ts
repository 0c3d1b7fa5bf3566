/**
 * Scoring on the endpoint: the rows of concurrent requests go to ONNX Runtime together
 * (one session run per event-loop turn: a run costs tens of microseconds before its first
 * row, so sixteen single-row requests share that cost), and SHAP explanations are computed
 * in slices that give the event loop a turn between them, one request at a time, so an
 * explanation never holds up the requests around it for more than a slice.
 *
 * A tree ensemble scores each row on its own, so a row's prediction does not depend on the
 * rows it was batched with (tests/serve/handler_test.ts compares with single-row runs).
 */
import type { OnnxScorer } from "../onnx/session.ts";
import type { TreeExplainer } from "../explain/mod.ts";
import { nextTurn } from "./turn.ts";
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

  constructor(scorer: OnnxScorer, names: readonly string[], maxRowsPerRun = 4096) {
    this.#scorer = scorer;
    this.#names = names;
    this.#maxRows = maxRowsPerRun;
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

export interface ExplainLaneOptions {
  /** Time one slice may take before the lane gives the event loop a turn (ms, default 2). */
  sliceMs?: number;
  /** Explain requests waiting beyond the one running before new ones get 503 (default 8). */
  maxWaiting?: number;
}

/** SHAP values of requests, one request at a time, in slices of about `sliceMs`. */
export class ExplainLane {
  readonly #sliceMs: number;
  readonly #maxWaiting: number;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(options: ExplainLaneOptions = {}) {
    this.#sliceMs = options.sliceMs ?? 2;
    this.#maxWaiting = options.maxWaiting ?? 8;
  }

  /** SHAP values of `nRows` rows of `x` (row-major), `nRows * nFeatures` values. */
  explain(explainer: TreeExplainer, x: Float32Array, nRows: number): Promise<Float64Array> {
    if (this.#waiting >= this.#maxWaiting + 1) {
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
    const run = this.#tail.then(() => this.#slices(explainer, x, nRows));
    this.#tail = run.catch(() => {}).finally(() => this.#waiting--);
    return run;
  }

  async #slices(explainer: TreeExplainer, x: Float32Array, nRows: number): Promise<Float64Array> {
    const F = explainer.nFeatures;
    const out = new Float64Array(nRows * F);
    let i = 0;
    while (i < nRows) {
      await nextTurn();
      const start = performance.now();
      // At least one row per slice; more while the slice stays under its budget.
      do {
        explainer.shapRowsInto(x, i * F, 1, out, i * F);
        i++;
      } while (i < nRows && performance.now() - start < this.#sliceMs);
    }
    return out;
  }
}
