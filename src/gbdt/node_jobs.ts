/**
 * The per-node work shared between the calling thread and Web Workers. One job, after a
 * split: build the smaller child's histograms, subtract them from the parent's (which
 * becomes the larger child's) and find each feature's best split for both children. All of
 * it is per feature, and feature k of the active list always goes to thread k mod T, so a
 * feature's sums are made by one thread in row order: the model does not depend on T.
 *
 * Jobs are handed over through a SharedArrayBuffer control block with Atomics wait/notify
 * (microseconds), not postMessage (far more per node).
 */
import {
  buildFeatureHistogram,
  FEATURE_STRIDE,
  type HistogramSource,
  subtractFeature,
} from "./histogram.ts";
import { featureSplit, SPLIT_RECORD, type SplitRules } from "./split.ts";
import { MISSING_BIN } from "./binning.ts";

/** Everything a job reads and writes; SharedArrayBuffer views when T > 1. */
export interface NodeArrays extends HistogramSource {
  /** Value bins per feature. */
  nBins: Int32Array;
  /** Integer job fields (indices C_*), then the active features from C_ACTIVE. */
  control: Int32Array;
  /** Float job fields (indices F_*). */
  params: Float64Array;
  /** Per-feature split records: child 0 (built) at 0, child 1 (subtracted) at nCols * SPLIT_RECORD. */
  splits: Float64Array;
  /** Partition scratch: the right-hand rows of a chunk, at the chunk's own indices. */
  tmpRows: Uint32Array;
  tmpGrad: Float32Array;
  tmpHess: Float32Array;
}

// Control block (Int32 indices).
export const C_SEQ = 0; // job sequence number, bumped by the calling thread
export const C_CMD = 2; // CMD_RUN, CMD_PARTITION or CMD_QUIT
export const C_CONST_HESS = 1; // 1: every hessian is 1, partitions leave `hess` alone
export const C_START = 3; // rows [start, end) of the node to build
export const C_END = 4;
export const C_BUILD_SLOT = 5; // slot to build into
export const C_SUB_SLOT = 6; // slot to subtract the built one from; -1: none
export const C_EVAL = 7; // bit 1: evaluate the built node, bit 2: the subtracted one
export const C_NACTIVE = 8;
export const C_THREADS = 9; // threads taking part in this job
/** Most threads. */
export const MAX_THREADS = 64;
// Share t of job s is claimed (compare-exchange s-1 -> s at C_CLAIM + t) by worker t or,
// when that worker is late (descheduled on a busy machine), by the calling thread itself.
export const C_CLAIM = 10;
// Worker t stores s at C_DONE + t when it has finished its claimed share of job s.
export const C_DONE = C_CLAIM + MAX_THREADS;
// Partition jobs: the split, and the left count of each thread's chunk.
export const C_PART_FEATURE = C_DONE + MAX_THREADS;
export const C_PART_BIN = C_PART_FEATURE + 1;
export const C_PART_MISSING_LEFT = C_PART_FEATURE + 2;
export const C_NLEFT = C_PART_FEATURE + 3;
export const C_ACTIVE = C_NLEFT + MAX_THREADS; // active feature list starts here
export const CMD_RUN = 1;
export const CMD_QUIT = 2;
export const CMD_PARTITION = 3;
// Float params.
export const F_G_BUILT = 0;
export const F_H_BUILT = 1;
export const F_G_SUB = 2;
export const F_H_SUB = 3;
export const F_LAMBDA = 4;
export const F_MCW = 5;
export const F_GAMMA = 6;
export const PARAMS_LENGTH = 8;

/** Int32 entries of the control block for `nCols` features. */
export function controlLength(nCols: number): number {
  return C_ACTIVE + nCols;
}

/**
 * Below this many row-feature updates a job is run by the calling thread alone: waking a
 * worker costs more than it saves.
 */
export const PARALLEL_MIN_UPDATES = 40_000;

/** Segments at least this long are partitioned in parallel chunks. */
export const PARALLEL_MIN_PARTITION = 32_768;

/** Spin this many polls before blocking: a job round trip is often shorter than a wake-up. */
export const SPIN_POLLS = 4000;

/** Share t of the job in the control block. */
export function runShare(a: NodeArrays, t: number): void {
  if (a.control[C_CMD] === CMD_PARTITION) partitionShare(a, t);
  else nodeShare(a, t);
}

/** Chunk t of T of [start, end). */
function chunkStart(start: number, end: number, t: number, T: number): number {
  return start + Math.floor(((end - start) * t) / T);
}

function partitionShare(a: NodeArrays, t: number): void {
  const c = a.control, T = c[C_THREADS]!, start = c[C_START]!, end = c[C_END]!;
  c[C_NLEFT + t] = partitionChunk(
    a,
    chunkStart(start, end, t, T),
    chunkStart(start, end, t + 1, T),
  );
}

/**
 * Stable partition of rows [s, e) with their gradients, by the split in the control block:
 * the left rows move to the front of the chunk, the right rows go to the scratch arrays at
 * [s, s + count). Returns the left count.
 */
function partitionChunk(a: NodeArrays, s: number, e: number): number {
  const c = a.control;
  const { bins, rows, grad, hess, tmpRows, tmpGrad, tmpHess } = a;
  const col = c[C_PART_FEATURE]! * a.nRows, bin = c[C_PART_BIN]!;
  const missingLeft = c[C_PART_MISSING_LEFT]!;
  let l = s, r = s;
  // Branch-free: every row is written to both sides and only one cursor moves, which beats
  // a mispredicted branch per row. A constant hessian (all ones) need not move at all.
  if (c[C_CONST_HESS] === 1) {
    for (let i = s; i < e; i++) {
      const row = rows[i]!, g = grad[i]!;
      const b = bins[col + row]!;
      const goLeft = b === MISSING_BIN ? missingLeft : (b <= bin ? 1 : 0);
      rows[l] = row;
      grad[l] = g;
      tmpRows[r] = row;
      tmpGrad[r] = g;
      l += goLeft;
      r += 1 - goLeft;
    }
  } else {
    for (let i = s; i < e; i++) {
      const row = rows[i]!, g = grad[i]!, h = hess[i]!;
      const b = bins[col + row]!;
      const goLeft = b === MISSING_BIN ? missingLeft : (b <= bin ? 1 : 0);
      rows[l] = row;
      grad[l] = g;
      hess[l] = h;
      tmpRows[r] = row;
      tmpGrad[r] = g;
      tmpHess[r] = h;
      l += goLeft;
      r += 1 - goLeft;
    }
  }
  return l - s;
}

/** Build, subtract and split search for features t, t+T, ... of the active list. */
function nodeShare(a: NodeArrays, t: number): void {
  const c = a.control, P = a.params;
  const start = c[C_START]!, end = c[C_END]!, nActive = c[C_NACTIVE]!, T = c[C_THREADS]!;
  const size = a.nCols * FEATURE_STRIDE;
  const built = c[C_BUILD_SLOT]! * size, subSlot = c[C_SUB_SLOT]!, ev = c[C_EVAL]!;
  const sub = subSlot * size;
  const rules: SplitRules = { lambda: P[F_LAMBDA]!, minChildWeight: P[F_MCW]!, gamma: P[F_GAMMA]! };
  const gB = P[F_G_BUILT]!, hB = P[F_H_BUILT]!, gS = P[F_G_SUB]!, hS = P[F_H_SUB]!;
  const second = a.nCols * SPLIT_RECORD;
  for (let k = t; k < nActive; k += T) {
    const f = c[C_ACTIVE + k]!;
    const fo = f * FEATURE_STRIDE;
    buildFeatureHistogram(a, f, start, end, built + fo);
    if (subSlot >= 0) subtractFeature(a.hist, sub + fo, built + fo);
    if (ev & 1) {
      featureSplit(a.hist, built + fo, a.nBins[f]!, gB, hB, rules, a.splits, f * SPLIT_RECORD);
    }
    if (ev & 2) {
      featureSplit(
        a.hist,
        sub + fo,
        a.nBins[f]!,
        gS,
        hS,
        rules,
        a.splits,
        second + f * SPLIT_RECORD,
      );
    }
  }
}

/**
 * Runs node jobs on the calling thread plus `threads - 1` Web Workers. With one thread no
 * worker is started (for the browser and the edge).
 */
export class NodeJobs {
  readonly arrays: NodeArrays;
  readonly threads: number;
  #workers: Worker[] = [];
  #seq = 0;

  constructor(arrays: NodeArrays, threads: number) {
    this.arrays = arrays;
    this.threads = threads;
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

  /**
   * Builds rows [start, end) into `buildSlot`, subtracts it from `subSlot` (-1: none) and
   * evaluates splits (`evalMask` bit 1: built node with totals gB, hB; bit 2: subtracted
   * node with gS, hS) into `arrays.splits`.
   */
  run(
    start: number,
    end: number,
    buildSlot: number,
    subSlot: number,
    evalMask: number,
    gB: number,
    hB: number,
    gS: number,
    hS: number,
  ): void {
    const a = this.arrays, c = a.control, P = a.params;
    c[C_START] = start;
    c[C_END] = end;
    c[C_BUILD_SLOT] = buildSlot;
    c[C_SUB_SLOT] = subSlot;
    c[C_EVAL] = evalMask;
    P[F_G_BUILT] = gB;
    P[F_H_BUILT] = hB;
    P[F_G_SUB] = gS;
    P[F_H_SUB] = hS;
    c[C_CMD] = CMD_RUN;
    this.#dispatch((end - start) * c[C_NACTIVE]! >= PARALLEL_MIN_UPDATES);
  }

  /**
   * Stable in-place partition of rows [start, end) and their gradients: rows whose bin of
   * `feature` is <= `bin` (missing: `missingLeft`) first. Returns the first right index.
   * The result is the same whether the chunks run in parallel or not.
   */
  partition(
    start: number,
    end: number,
    feature: number,
    bin: number,
    missingLeft: boolean,
  ): number {
    const a = this.arrays, c = a.control;
    c[C_CMD] = CMD_PARTITION;
    c[C_START] = start;
    c[C_END] = end;
    c[C_PART_FEATURE] = feature;
    c[C_PART_BIN] = bin;
    c[C_PART_MISSING_LEFT] = missingLeft ? 1 : 0;
    const T = this.#dispatch(end - start >= PARALLEL_MIN_PARTITION);
    // Gather: left parts in chunk order (each moves down, never over unread data), then
    // the right parts from the scratch arrays.
    const constHess = c[C_CONST_HESS] === 1;
    let dst = start + c[C_NLEFT]!;
    for (let t = 1; t < T; t++) {
      const s = chunkStart(start, end, t, T), nl = c[C_NLEFT + t]!;
      if (dst !== s) {
        a.rows.copyWithin(dst, s, s + nl);
        a.grad.copyWithin(dst, s, s + nl);
        if (!constHess) a.hess.copyWithin(dst, s, s + nl);
      }
      dst += nl;
    }
    const mid = dst;
    for (let t = 0; t < T; t++) {
      const s = chunkStart(start, end, t, T), e = chunkStart(start, end, t + 1, T);
      const nr = e - s - c[C_NLEFT + t]!;
      a.rows.set(a.tmpRows.subarray(s, s + nr), dst);
      a.grad.set(a.tmpGrad.subarray(s, s + nr), dst);
      if (!constHess) a.hess.set(a.tmpHess.subarray(s, s + nr), dst);
      dst += nr;
    }
    return mid;
  }

  /** Runs the job in the control block, on all threads if `parallel`; returns T. */
  #dispatch(parallel: boolean): number {
    const a = this.arrays, c = a.control;
    if (this.threads === 1 || !parallel) {
      c[C_THREADS] = 1;
      runShare(a, 0);
      return 1;
    }
    c[C_THREADS] = this.threads;
    const seq = ++this.#seq;
    Atomics.store(c, C_SEQ, seq);
    Atomics.notify(c, C_SEQ);
    runShare(a, 0);
    // Take over the shares no worker has claimed yet; then wait for the claimed ones.
    for (let t = 1; t < this.threads; t++) {
      if (Atomics.compareExchange(c, C_CLAIM + t, seq - 1, seq) === seq - 1) {
        runShare(a, t); // the same result whichever thread runs it
        Atomics.store(c, C_DONE + t, seq);
      }
    }
    for (let t = 1; t < this.threads; t++) {
      let polls = 0;
      for (;;) {
        const done = Atomics.load(c, C_DONE + t);
        if (done === seq) break;
        if (++polls > SPIN_POLLS) Atomics.wait(c, C_DONE + t, done, 5);
      }
    }
    return this.threads;
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
