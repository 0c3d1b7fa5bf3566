/**
 * The per-node work shared between the calling thread and Web Workers. One job, after a
 * split: build the smaller child's histograms, subtract them from the parent's (which
 * becomes the larger child's) and find each feature's best split for both children. All of
 * it is per feature; threads claim features one at a time, and a feature is always done
 * whole by one thread, in row order, with the same code: the model does not depend on T
 * or on which thread took which feature. Large partitions run the same way, by chunks.
 *
 * Jobs are handed over through a SharedArrayBuffer control block with Atomics wait/notify
 * (microseconds), not postMessage (far more per node).
 */
import {
  buildGroupHistograms,
  FEATURE_STRIDE,
  GROUP_SIZE,
  type HistogramSource,
  subtractFeature,
} from "./histogram.ts";
import { featureSplit, SPLIT_RECORD, type SplitRules } from "./split.ts";
import { partitionChunk } from "./partition.ts";

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
}

// Control block (Int32 indices).
export const C_SEQ = 0; // job sequence number, bumped by the calling thread
export const C_CMD = 2; // CMD_RUN, CMD_PARTITION or CMD_QUIT
// Index 1 is unused.
export const C_START = 3; // rows [start, end) of the node to build
export const C_END = 4;
export const C_BUILD_SLOT = 5; // slot to build into
export const C_SUB_SLOT = 6; // slot to subtract the built one from; -1: none
export const C_EVAL = 7; // bit 1: evaluate the built node, bit 2: the subtracted one
export const C_NACTIVE = 8;
export const C_NEXT = 9; // next work item (feature or chunk) to claim in this job
/** Most threads. */
export const MAX_THREADS = 64;
// Worker t joins job s by compare-exchange s-1 -> s at C_JOIN + t. Once the calling thread
// has run out of work items it does the same exchange itself: a worker that was late (say,
// descheduled on a busy machine) then cannot join any more, and only joined workers are
// waited for.
export const C_JOIN = 10;
// Worker t stores s at C_DONE + t when it has finished its part of job s.
export const C_DONE = C_JOIN + MAX_THREADS;
// Partition jobs: the split, the chunk size and count, and the left count of each chunk.
export const C_PART_FEATURE = C_DONE + MAX_THREADS;
export const C_PART_BIN = C_PART_FEATURE + 1;
export const C_PART_MISSING_LEFT = C_PART_FEATURE + 2;
export const C_PART_CHUNK = C_PART_FEATURE + 3;
export const C_PART_NCHUNKS = C_PART_FEATURE + 4;
/** Most chunks of one partition. */
export const MAX_CHUNKS = 64;
export const C_NLEFT = C_PART_FEATURE + 5;
export const C_ACTIVE = C_NLEFT + MAX_CHUNKS; // active feature list starts here
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

type TypedCtor<T> = { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number };

function alloc<T>(ctor: TypedCtor<T>, n: number, shared: boolean): T {
  const bytes = Math.max(1, n) * ctor.BYTES_PER_ELEMENT;
  return new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

/**
 * The arrays of a training run with `nSlots` histogram slots, zeroed; on SharedArrayBuffers
 * when `shared` (workers read and write them).
 */
export function allocNodeArrays(
  nRows: number,
  nCols: number,
  nSlots: number,
  shared: boolean,
): NodeArrays {
  return {
    bins: alloc(Uint8Array, nRows * nCols, shared),
    rowBins: alloc(Uint8Array, nRows * nCols, shared),
    nRows,
    nCols,
    rows: alloc(Uint32Array, nRows, shared),
    grad: alloc(Float32Array, nRows, shared),
    hess: alloc(Float32Array, nRows, shared),
    hist: alloc(Float64Array, nSlots * nCols * FEATURE_STRIDE, shared),
    control: alloc(Int32Array, controlLength(nCols), shared),
    params: alloc(Float64Array, PARAMS_LENGTH, shared),
    splits: alloc(Float64Array, 2 * nCols * SPLIT_RECORD, shared),
    nBins: alloc(Int32Array, nCols, shared),
    tmpRows: alloc(Uint32Array, nRows, shared),
  };
}

/**
 * Below this many row-feature updates a job is run by the calling thread alone: waking a
 * worker costs more than it saves.
 */
export const PARALLEL_MIN_UPDATES = 8_000;

/** Rows per partition chunk (at least); a segment of two chunks or more goes parallel. */
export const PARTITION_CHUNK = 16_384;

/**
 * Spin this many polls before blocking: a job round trip is often shorter than a wake-up,
 * and jobs come every few tens of microseconds while a tree grows (a late worker costs
 * nothing: the calling thread closes the job to it).
 */
export const SPIN_POLLS = 40_000;

/**
 * Work on the job in the control block until no work item is left: items (features, or
 * partition chunks) are claimed one at a time, so a faster thread takes more of them. An
 * item is always done whole by one thread with the same code: the result does not depend
 * on who does what.
 */
export function runShare(a: NodeArrays): void {
  const c = a.control;
  if (c[C_CMD] === CMD_PARTITION) {
    const start = c[C_START]!, end = c[C_END]!, size = c[C_PART_CHUNK]!;
    const nChunks = c[C_PART_NCHUNKS]!;
    for (let k = Atomics.add(c, C_NEXT, 1); k < nChunks; k = Atomics.add(c, C_NEXT, 1)) {
      const s = start + k * size;
      c[C_NLEFT + k] = partitionJobChunk(a, s, Math.min(end, s + size));
    }
  } else {
    const nActive = c[C_NACTIVE]!, nGroups = Math.ceil(nActive / GROUP_SIZE);
    for (let k = Atomics.add(c, C_NEXT, 1); k < nGroups; k = Atomics.add(c, C_NEXT, 1)) {
      nodeGroup(a, k * GROUP_SIZE, Math.min(GROUP_SIZE, nActive - k * GROUP_SIZE));
    }
  }
}

/** One chunk of the partition job in the control block (see partitionChunk). */
function partitionJobChunk(a: NodeArrays, s: number, e: number): number {
  const c = a.control;
  const col = c[C_PART_FEATURE]! * a.nRows;
  return partitionChunk(
    a.rows,
    a.tmpRows,
    a.bins,
    col,
    c[C_PART_BIN]!,
    c[C_PART_MISSING_LEFT]!,
    s,
    e,
  );
}

/** Build, then subtraction and split search per feature, for active features k0..k0+count. */
function nodeGroup(a: NodeArrays, k0: number, count: number): void {
  const c = a.control, P = a.params;
  const size = a.nCols * FEATURE_STRIDE;
  const builtBase = c[C_BUILD_SLOT]! * size, subSlot = c[C_SUB_SLOT]!, ev = c[C_EVAL]!;
  const feats = c.subarray(C_ACTIVE);
  buildGroupHistograms(a, feats, k0, count, a.nBins, c[C_START]!, c[C_END]!, builtBase);
  const rules: SplitRules = { lambda: P[F_LAMBDA]!, minChildWeight: P[F_MCW]!, gamma: P[F_GAMMA]! };
  for (let k = k0; k < k0 + count; k++) {
    const f = feats[k]!, fo = f * FEATURE_STRIDE;
    const built = builtBase + fo, sub = subSlot * size + fo;
    const nb = a.nBins[f]!, record = f * SPLIT_RECORD;
    if (subSlot >= 0) subtractFeature(a.hist, sub, built, nb);
    if (ev & 1) {
      featureSplit(a.hist, built, nb, P[F_G_BUILT]!, P[F_H_BUILT]!, rules, a.splits, record);
    }
    if (ev & 2) {
      const r2 = a.nCols * SPLIT_RECORD + record;
      featureSplit(a.hist, sub, nb, P[F_G_SUB]!, P[F_H_SUB]!, rules, a.splits, r2);
    }
  }
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not: it spins). */
const CAN_BLOCK = (() => {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
})();

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
   * Stable in-place partition of rows [start, end): rows whose bin of
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
    const size = Math.max(PARTITION_CHUNK, Math.ceil((end - start) / MAX_CHUNKS));
    const nChunks = Math.max(1, Math.ceil((end - start) / size));
    c[C_PART_CHUNK] = size;
    c[C_PART_NCHUNKS] = nChunks;
    this.#dispatch(nChunks > 1);
    // Gather: left parts in chunk order (each moves down, never over unread data), then
    // the right parts from the scratch array.
    let dst = start + c[C_NLEFT]!;
    for (let k = 1; k < nChunks; k++) {
      const s = start + k * size, nl = c[C_NLEFT + k]!;
      if (dst !== s) a.rows.copyWithin(dst, s, s + nl);
      dst += nl;
    }
    const mid = dst;
    for (let k = 0; k < nChunks; k++) {
      const s = start + k * size, e = Math.min(end, s + size);
      const nr = e - s - c[C_NLEFT + k]!;
      a.rows.set(a.tmpRows.subarray(s, s + nr), dst);
      dst += nr;
    }
    return mid;
  }

  /** Runs the job in the control block, with the workers if `parallel`. */
  #dispatch(parallel: boolean): void {
    const a = this.arrays, c = a.control;
    Atomics.store(c, C_NEXT, 0);
    if (this.threads === 1 || !parallel) {
      runShare(a);
      return;
    }
    const seq = ++this.#seq;
    Atomics.store(c, C_SEQ, seq);
    Atomics.notify(c, C_SEQ);
    runShare(a);
    for (let t = 1; t < this.threads; t++) {
      // Close the job to a worker that has not joined; wait for one that has.
      if (Atomics.compareExchange(c, C_JOIN + t, seq - 1, seq) === seq - 1) continue;
      let polls = 0;
      for (;;) {
        const done = Atomics.load(c, C_DONE + t);
        if (done === seq) break;
        if (++polls > SPIN_POLLS && CAN_BLOCK) Atomics.wait(c, C_DONE + t, done, 5);
      }
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
