/**
 * Gradient/hessian histograms per node. A node's rows are a segment [start, end) of the
 * `rows` array, with their gradients stored in the same order beside them ("ordered
 * gradients", as LightGBM does): building reads the gradients sequentially.
 *
 * Layout: one histogram slot holds, for each feature, `BIN_SLOTS` bins of interleaved
 * (grad, hess) float64 sums; the missing bin is bin `MISSING_BIN` (255).
 *
 * Determinism: a feature's histogram is always summed by one thread, in row order, with the
 * same code, so the sums do not depend on the number of threads. Threads split the active
 * features (feature k of the active list goes to thread k mod T).
 */

/** Bins per feature in a histogram (255 value bins + the missing bin). */
export const BIN_SLOTS = 256;
/** Float64 entries per feature in a histogram (interleaved grad, hess). */
export const FEATURE_STRIDE = 2 * BIN_SLOTS;

/** Arrays shared by the threads that build histograms (SharedArrayBuffer views if T > 1). */
export interface HistogramArrays {
  /** Column-major bins, nCols * nRows. */
  bins: Uint8Array;
  nRows: number;
  nCols: number;
  /** Row indices; a node owns a segment of it. */
  rows: Uint32Array;
  /** Gradients and hessians in the order of `rows`. */
  grad: Float32Array;
  hess: Float32Array;
  /** Histogram slots, each nCols * FEATURE_STRIDE float64. */
  hist: Float64Array;
  /** Active features for this tree (ascending), `nActive` of them, in `control` at ACTIVE. */
  control: Int32Array;
}

// Control block (Int32 indices).
export const C_SEQ = 0; // job sequence number, bumped by the main thread
export const C_DONE = 1; // jobs finished by the workers (summed)
export const C_CMD = 2; // CMD_BUILD or CMD_QUIT
export const C_START = 3;
export const C_END = 4;
export const C_SLOT = 5;
export const C_NACTIVE = 6;
export const C_THREADS = 7;
export const C_ACTIVE = 8; // active feature list starts here
export const CMD_BUILD = 1;
export const CMD_QUIT = 2;

/** Int32 entries of the control block for `nCols` features. */
export function controlLength(nCols: number): number {
  return C_ACTIVE + nCols;
}

/**
 * Histogram of one feature over rows [start, end) into `hist` at `offset`
 * (FEATURE_STRIDE entries, overwritten).
 */
export function buildFeatureHistogram(
  a: HistogramArrays,
  feature: number,
  start: number,
  end: number,
  offset: number,
): void {
  const { bins, rows, grad, hess, hist } = a;
  hist.fill(0, offset, offset + FEATURE_STRIDE);
  const col = feature * a.nRows;
  let i = start;
  // Unrolled by 4: fewer loop tests; the adds stay in row order per bin.
  for (const e4 = end - 3; i < e4; i += 4) {
    const k0 = offset + 2 * bins[col + rows[i]!]!;
    hist[k0]! += grad[i]!;
    hist[k0 + 1]! += hess[i]!;
    const k1 = offset + 2 * bins[col + rows[i + 1]!]!;
    hist[k1]! += grad[i + 1]!;
    hist[k1 + 1]! += hess[i + 1]!;
    const k2 = offset + 2 * bins[col + rows[i + 2]!]!;
    hist[k2]! += grad[i + 2]!;
    hist[k2 + 1]! += hess[i + 2]!;
    const k3 = offset + 2 * bins[col + rows[i + 3]!]!;
    hist[k3]! += grad[i + 3]!;
    hist[k3 + 1]! += hess[i + 3]!;
  }
  for (; i < end; i++) {
    const k = offset + 2 * bins[col + rows[i]!]!;
    hist[k]! += grad[i]!;
    hist[k + 1]! += hess[i]!;
  }
}

/** The share of thread `t` of T: active features t, t+T, ... for the job in `control`. */
export function buildShare(a: HistogramArrays, t: number, T = a.control[C_THREADS]!): void {
  const c = a.control;
  const start = c[C_START]!, end = c[C_END]!, nActive = c[C_NACTIVE]!;
  const base = c[C_SLOT]! * a.nCols * FEATURE_STRIDE;
  for (let k = t; k < nActive; k += T) {
    const f = c[C_ACTIVE + k]!;
    buildFeatureHistogram(a, f, start, end, base + f * FEATURE_STRIDE);
  }
}

/** hist[large] = hist[large] - hist[small] over the active features (sibling subtraction). */
export function subtractHistograms(a: HistogramArrays, large: number, small: number): void {
  const { hist, control } = a;
  const nActive = control[C_NACTIVE]!;
  const size = a.nCols * FEATURE_STRIDE;
  for (let k = 0; k < nActive; k++) {
    const f = control[C_ACTIVE + k]!;
    const l = large * size + f * FEATURE_STRIDE, s = small * size + f * FEATURE_STRIDE;
    for (let b = 0; b < FEATURE_STRIDE; b++) hist[l + b]! -= hist[s + b]!;
  }
}

/**
 * Below this many row-feature updates a node is built by the calling thread alone: waking a
 * worker costs more than it saves. Which thread sums a feature does not change the sums.
 */
export const PARALLEL_MIN_UPDATES = 60_000;

/** Spin this many polls before blocking: a job round trip is often shorter than a wake-up. */
export const SPIN_POLLS = 2000;

/**
 * Builds histograms with the calling thread plus `threads - 1` Web Workers that share the
 * arrays. With one thread no worker is started (for the browser and the edge).
 */
export class HistogramBuilder {
  readonly arrays: HistogramArrays;
  readonly threads: number;
  #workers: Worker[] = [];
  #seq = 0;

  constructor(arrays: HistogramArrays, threads: number) {
    this.arrays = arrays;
    this.threads = threads;
    arrays.control[C_THREADS] = threads;
  }

  /** Starts the workers and waits until each has its arrays. */
  async start(): Promise<void> {
    const ready: Promise<void>[] = [];
    for (let t = 1; t < this.threads; t++) {
      const w = new Worker(new URL("./histogram_worker.ts", import.meta.url), { type: "module" });
      this.#workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.onmessage = () => resolve();
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`Cannot start histogram worker ${t}: ${e.message}`));
          };
        }),
      );
      w.postMessage({ arrays: this.arrays, index: t });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Histograms of the active features over rows [start, end) into slot `slot`. */
  build(start: number, end: number, slot: number): void {
    const a = this.arrays, c = a.control;
    c[C_START] = start;
    c[C_END] = end;
    c[C_SLOT] = slot;
    if (this.threads === 1 || (end - start) * c[C_NACTIVE]! < PARALLEL_MIN_UPDATES) {
      buildShare(a, 0, 1);
      return;
    }
    c[C_CMD] = CMD_BUILD;
    const target = Atomics.load(c, C_DONE) + this.threads - 1;
    Atomics.store(c, C_SEQ, ++this.#seq);
    Atomics.notify(c, C_SEQ);
    buildShare(a, 0);
    let polls = 0;
    for (;;) {
      const done = Atomics.load(c, C_DONE);
      if (done === target) break;
      if (++polls > SPIN_POLLS) Atomics.wait(c, C_DONE, done, 5);
    }
  }

  /** Stops and terminates the workers; safe to call twice. */
  close(): void {
    if (this.#workers.length === 0) return;
    const c = this.arrays.control;
    c[C_CMD] = CMD_QUIT;
    Atomics.store(c, C_SEQ, ++this.#seq);
    Atomics.notify(c, C_SEQ);
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}
