/**
 * The work shared between the calling thread and Web Workers while a tree grows, in jobs
 * over a batch of nodes (a whole tree level at a time when the histogram slots allow it):
 *
 * - a build job: for each entry (a node just split), build the smaller child's histograms,
 *   subtract them from the parent's (which become the larger child's) and find each
 *   feature's best split for both children. Work items are (entry, group of features);
 * - a partition job: stable partition of each entry's rows by its split. Work items are
 *   chunks of rows; the thread that finishes a node's last chunk gathers that node's parts;
 * - the booster's jobs on rows (round_jobs.ts): each round's row draw (a partition of all
 *   rows by the generator), the gradients, and the prediction update after the tree.
 *
 * Threads claim work items one at a time, so a faster (or not descheduled) thread takes
 * more of them, and each item is always done whole by one thread with the same code, in row
 * order: the model does not depend on the number of threads or on who did what. Batching a
 * level into one job means one hand-over per level instead of one per node.
 *
 * Jobs are handed over through a SharedArrayBuffer control block with Atomics wait/notify
 * (microseconds), not postMessage (far more per job).
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
import { gradientRange } from "./objective.ts";
import {
  allocRoundTree,
  loadRoundTree,
  ROUND_CHUNK,
  type RoundSource,
  type RoundTree,
  sampleChunk,
  updateItem,
  updateItems,
} from "./round_jobs.ts";
import type { GrownTree } from "./grown_tree.ts";
import type { Pcg32 } from "./random.ts";

/** Everything a job reads and writes; SharedArrayBuffer views when T > 1. */
export interface NodeArrays extends HistogramSource, RoundSource {
  /** Value bins per feature. */
  nBins: Int32Array;
  /** Integer job fields (indices C_*), then the active features from C_ACTIVE. */
  control: Int32Array;
  /** Float fields of the run (indices F_*). */
  params: Float64Array;
  /** Per batch entry e, NODE_INTS integer fields (N_*) from e * NODE_INTS. */
  nodeInt: Int32Array;
  /** Per batch entry e, NODE_SUMS totals (S_*) from e * NODE_SUMS. */
  nodeSums: Float64Array;
  /**
   * Per-feature split records of build entry e: its built child's from
   * e * splitStride(nCols), its subtracted child's nCols * SPLIT_RECORD further.
   */
  splits: Float64Array;
  /** Left count of each partition chunk of a job. */
  chunkLeft: Int32Array;
  /** Partition scratch: the right-hand rows of a chunk, at the chunk's own indices. */
  tmpRows: Uint32Array;
  /** The tree of the prediction update (when it fits). */
  roundTree: RoundTree;
  /** Per round item: its sums (gradient G, H at 2k; loss at k). */
  roundSums: Float64Array;
}

/** Most entries in one job (a wider tree level runs as several jobs). */
export const MAX_BATCH = 256;

// Control block (Int32 indices).
export const C_SEQ = 0; // job sequence number, bumped by the calling thread
export const C_CMD = 1; // one of the CMD_* below
export const C_NENTRIES = 2; // entries in the job's batch
export const C_NITEMS = 3; // work items of the job
export const C_NEXT = 4; // next work item to claim
export const C_NACTIVE = 5; // active features of the tree
export const C_ROUND_N = 6; // round jobs: drawn rows (rows[0, n))
export const C_NSEGMENTS = 7; // update job: segments of the tree
export const C_OBJECTIVE = 8; // gradient job: OBJECTIVE_SQUARED or OBJECTIVE_HUBER
export const C_NGROUPS = 9; // build job: feature groups per entry (their bounds: groupsAt)
/** Most threads. */
export const MAX_THREADS = 64;
// Worker t joins job s by compare-exchange s-1 -> s at C_JOIN + t. Once the calling thread
// has run out of work items it does the same exchange itself: a worker that was late (say,
// descheduled on a busy machine) then cannot join any more, and only joined workers are
// waited for.
export const C_JOIN = 10;
// Worker t stores s at C_DONE + t when it has finished its part of job s.
export const C_DONE = C_JOIN + MAX_THREADS;
// Build job: its entries in the order their work items are claimed (largest first).
export const C_ORDER = C_DONE + MAX_THREADS;
// Sample job: the round generator's state (Pcg32.getState) and the keep threshold (of 65536).
export const C_RNG = C_ORDER + MAX_BATCH;
export const C_SAMPLE_CUT = C_RNG + 4;
export const C_ACTIVE = C_SAMPLE_CUT + 1; // active feature list starts here
export const CMD_BUILD = 1;
export const CMD_QUIT = 2;
export const CMD_PARTITION = 3;
export const CMD_GRADIENTS = 4;
export const CMD_UPDATE = 5;
export const CMD_SAMPLE = 6;

// Per-entry integer fields.
export const N_START = 0; // rows [start, end): the child to build, or the node to partition
export const N_END = 1;
export const N_BUILD_SLOT = 2; // build: slot to build into
export const N_SUB_SLOT = 3; // build: slot to subtract the built one from; -1: none
export const N_EVAL = 4; // build: bit 1 evaluate the built child, bit 2 the subtracted one
export const N_FEATURE = 5; // partition: the split
export const N_BIN = 6;
export const N_MISSING_LEFT = 7;
export const N_FIRST_CHUNK = 8; // partition: the entry's first work item (chunk)
export const N_NCHUNKS = 9;
export const N_PENDING = 10; // partition: chunks not yet done
export const N_MID = 11; // partition result: first right index
export const NODE_INTS = 12;
// Per-entry float fields: totals of the built and the subtracted child.
export const S_G_BUILT = 0;
export const S_H_BUILT = 1;
export const S_G_SUB = 2;
export const S_H_SUB = 3;
export const NODE_SUMS = 4;
// Float params.
export const F_LAMBDA = 0;
export const F_MCW = 1;
export const F_GAMMA = 2;
export const F_HUBER_INV = 3; // 1/δ² of pseudo-Huber
export const PARAMS_LENGTH = 4;

/** Rows per partition chunk (the last chunk of a node may be shorter). */
export const PARTITION_CHUNK = 8_192;

/** Int32 entries of the control block for `nCols` features. */
export function controlLength(nCols: number): number {
  return C_ACTIVE + 2 * nCols + 1;
}

/**
 * Build job: where its feature groups' bounds start in the control block, after the active
 * features: group g is active features [c[at + g], c[at + g + 1]).
 */
export function groupsAt(nCols: number): number {
  return C_ACTIVE + nCols;
}

/** Float64 entries of one build entry's split records. */
export function splitStride(nCols: number): number {
  return 2 * nCols * SPLIT_RECORD;
}

type TypedCtor<T> = { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number };

function alloc<T>(ctor: TypedCtor<T>, n: number, shared: boolean): T {
  const bytes = Math.max(1, n) * ctor.BYTES_PER_ELEMENT;
  return new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

/** Most nodes of a tree the workers help update predictions with (larger: the caller alone). */
export const ROUND_TREE_CAPACITY = 16_384;

/**
 * The arrays of a training run with `nSlots` histogram slots and trees of up to `maxNodes`
 * nodes, zeroed; on SharedArrayBuffers when `shared` (workers read and write them).
 */
export function allocNodeArrays(
  nRows: number,
  nCols: number,
  nSlots: number,
  shared: boolean,
  maxNodes = 1,
): NodeArrays {
  return {
    y: alloc(Float32Array, nRows, shared),
    pred: alloc(Float64Array, nRows, shared),
    roundTree: allocRoundTree(Math.min(maxNodes, ROUND_TREE_CAPACITY), shared),
    roundSums: alloc(Float64Array, 2 * (Math.ceil(nRows / ROUND_CHUNK) + 1), shared),
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
    nodeInt: alloc(Int32Array, MAX_BATCH * NODE_INTS, shared),
    nodeSums: alloc(Float64Array, MAX_BATCH * NODE_SUMS, shared),
    splits: alloc(Float64Array, MAX_BATCH * splitStride(nCols), shared),
    chunkLeft: alloc(Int32Array, Math.ceil(nRows / PARTITION_CHUNK) + MAX_BATCH, shared),
    nBins: alloc(Int32Array, nCols, shared),
    tmpRows: alloc(Uint32Array, nRows, shared),
  };
}

/**
 * Below this many row-feature updates (build) or rows (partition) a job is run by the
 * calling thread alone: waking a worker costs more than it saves.
 */
export const PARALLEL_MIN_UPDATES = 8_000;
export const PARALLEL_MIN_ROWS = 2 * PARTITION_CHUNK;

/**
 * Spin this many polls before blocking: a job round trip is often shorter than a wake-up,
 * and jobs come every few tens of microseconds while a tree grows (a late worker costs
 * nothing: the calling thread closes the job to it).
 */
export const SPIN_POLLS = 40_000;

/** Work on the job in the control block until no work item is left. */
export function runShare(a: NodeArrays, tree: RoundTree = a.roundTree): void {
  const c = a.control, nItems = c[C_NITEMS]!, cmd = c[C_CMD]!;
  const nGroups = c[C_NGROUPS]!;
  const n = c[C_ROUND_N]!, nSegments = c[C_NSEGMENTS]!, objective = c[C_OBJECTIVE]!;
  const inv = a.params[F_HUBER_INV]!;
  for (let k = Atomics.add(c, C_NEXT, 1); k < nItems; k = Atomics.add(c, C_NEXT, 1)) {
    if (cmd === CMD_BUILD) buildItem(a, c[C_ORDER + ((k / nGroups) | 0)]!, k % nGroups);
    else if (cmd === CMD_PARTITION || cmd === CMD_SAMPLE) partitionItem(a, k, cmd);
    else if (cmd === CMD_UPDATE) updateItem(a, tree, nSegments, n, k, a.roundSums);
    else {
      const from = k * ROUND_CHUNK, to = Math.min(n, from + ROUND_CHUNK);
      gradientRange(
        objective,
        inv,
        a.y,
        a.pred,
        a.rows,
        from,
        to,
        a.grad,
        a.hess,
        a.roundSums,
        2 * k,
      );
    }
  }
}

/**
 * Partition chunk `k` of the job (or of the row draw, a partition of all rows by the
 * generator); the thread that finishes a node's last chunk gathers it.
 */
function partitionItem(a: NodeArrays, k: number, cmd: number): void {
  const N = a.nodeInt;
  // The entry that owns chunk k: the last one whose first chunk is <= k.
  let lo = 0, hi = a.control[C_NENTRIES]! - 1;
  while (lo < hi) {
    const m = (lo + hi + 1) >> 1;
    if (N[m * NODE_INTS + N_FIRST_CHUNK]! <= k) lo = m;
    else hi = m - 1;
  }
  const e = lo * NODE_INTS;
  const start = N[e + N_START]!, end = N[e + N_END]!;
  const s = start + (k - N[e + N_FIRST_CHUNK]!) * PARTITION_CHUNK;
  if (cmd === CMD_SAMPLE) {
    const c = a.control;
    a.chunkLeft[k] = sampleChunk(
      a.rows,
      a.tmpRows,
      c.subarray(C_RNG, C_RNG + 4),
      c[C_SAMPLE_CUT]!,
      s,
      Math.min(end, s + PARTITION_CHUNK),
    );
  } else {
    a.chunkLeft[k] = partitionChunk(
      a.rows,
      a.tmpRows,
      a.bins,
      N[e + N_FEATURE]! * a.nRows,
      N[e + N_BIN]!,
      N[e + N_MISSING_LEFT]!,
      s,
      Math.min(end, s + PARTITION_CHUNK),
    );
  }
  if (Atomics.sub(N, e + N_PENDING, 1) === 1) gather(a, e);
}

/**
 * After all chunks of the entry at `e` are partitioned: left parts in chunk order (each
 * moves down, never over unread data), then the right parts from the scratch array.
 */
function gather(a: NodeArrays, e: number): void {
  const N = a.nodeInt, { rows, tmpRows, chunkLeft } = a;
  const start = N[e + N_START]!, end = N[e + N_END]!;
  const first = N[e + N_FIRST_CHUNK]!, n = N[e + N_NCHUNKS]!;
  let dst = start + chunkLeft[first]!;
  for (let k = 1; k < n; k++) {
    const s = start + k * PARTITION_CHUNK, nl = chunkLeft[first + k]!;
    if (dst !== s) rows.copyWithin(dst, s, s + nl);
    dst += nl;
  }
  N[e + N_MID] = dst;
  for (let k = 0; k < n; k++) {
    const s = start + k * PARTITION_CHUNK, e2 = Math.min(end, s + PARTITION_CHUNK);
    const nr = e2 - s - chunkLeft[first + k]!;
    rows.set(tmpRows.subarray(s, s + nr), dst);
    dst += nr;
  }
}

/**
 * Splits the active features into the groups of a build job of `n` entries; returns their
 * count. Wide passes (six features) read each row's cache line fewest times, so groups are
 * six wide, except that with several threads and fewer than two items per thread (the top
 * levels) the widest group is halved until there are enough to share: 18 features make
 * 6, 6, 3, 3 (widest first, so the last items claimed are the small ones) rather than six
 * groups of 3, whose passes cost about 25% more per row and feature.
 */
function setGroups(c: Int32Array, nCols: number, n: number, threads: number): number {
  const nActive = c[C_NACTIVE]!;
  const sizes: number[] = [];
  for (let k = 0; k < nActive; k += GROUP_SIZE) sizes.push(Math.min(GROUP_SIZE, nActive - k));
  if (threads > 1) {
    while (n * sizes.length < 2 * threads) {
      let w = 0;
      for (let i = 1; i < sizes.length; i++) if (sizes[i]! > sizes[w]!) w = i;
      const s = sizes[w]!;
      if (s === 1) break;
      sizes.splice(w, 1, Math.ceil(s / 2), Math.floor(s / 2));
    }
    sizes.sort((p, q) => q - p);
  }
  const at = groupsAt(nCols);
  c[at] = 0;
  for (let g = 0; g < sizes.length; g++) c[at + g + 1] = c[at + g]! + sizes[g]!;
  return sizes.length;
}

/** Build, then subtraction and split search per feature, for feature group g of entry j. */
function buildItem(a: NodeArrays, j: number, g: number): void {
  const c = a.control, P = a.params, N = a.nodeInt, S = a.nodeSums;
  const e = j * NODE_INTS, es = j * NODE_SUMS;
  const at = groupsAt(a.nCols) + g, k0 = c[at]!, count = c[at + 1]! - k0;
  const size = a.nCols * FEATURE_STRIDE;
  const builtBase = N[e + N_BUILD_SLOT]! * size, subSlot = N[e + N_SUB_SLOT]!, ev = N[e + N_EVAL]!;
  const feats = c.subarray(C_ACTIVE);
  buildGroupHistograms(a, feats, k0, count, a.nBins, N[e + N_START]!, N[e + N_END]!, builtBase);
  const rules: SplitRules = { lambda: P[F_LAMBDA]!, minChildWeight: P[F_MCW]!, gamma: P[F_GAMMA]! };
  const recBase = j * splitStride(a.nCols);
  for (let k = k0; k < k0 + count; k++) {
    const f = feats[k]!, fo = f * FEATURE_STRIDE;
    const built = builtBase + fo, sub = subSlot * size + fo;
    const nb = a.nBins[f]!, record = recBase + f * SPLIT_RECORD;
    if (subSlot >= 0) subtractFeature(a.hist, sub, built, nb);
    if (ev & 1) {
      featureSplit(
        a.hist,
        built,
        nb,
        S[es + S_G_BUILT]!,
        S[es + S_H_BUILT]!,
        rules,
        a.splits,
        record,
      );
    }
    if (ev & 2) {
      const r2 = record + a.nCols * SPLIT_RECORD;
      featureSplit(a.hist, sub, nb, S[es + S_G_SUB]!, S[es + S_H_SUB]!, rules, a.splits, r2);
    }
  }
}

/**
 * Busy-machine fallback (see #dispatch): a wait for a joined worker longer than LONG_WAIT_MS
 * plus the calling thread's own share of the job counts as long (a worker's last item can
 * take as long as that share; on the standard task about a millisecond, on 16M rows far
 * more: an absolute bound sent large trainings to one thread almost throughout); with
 * SOLO_AFTER_LONG_WAITS of them in SOLO_WINDOW parallel jobs, the next SOLO_JOBS jobs that
 * would go parallel run on the calling thread alone (about 20 trees of the standard task).
 */
export const LONG_WAIT_MS = 5;
export const SOLO_WINDOW = 100;
export const SOLO_AFTER_LONG_WAITS = 3;
export const SOLO_JOBS = 500;

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
  #parallelJobs = 0;
  #longWaits = 0;
  #soloLeft = 0;

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
   * Build entry `j` of the next build job: rows [start, end) into `buildSlot`, subtracted
   * from `subSlot` (-1: none); splits evaluated per `evalMask` (bit 1: the built child with
   * totals gB, hB; bit 2: the subtracted one with gS, hS) into the entry's split records.
   */
  setBuild(
    j: number,
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
    const N = this.arrays.nodeInt, S = this.arrays.nodeSums;
    const e = j * NODE_INTS, es = j * NODE_SUMS;
    N[e + N_START] = start;
    N[e + N_END] = end;
    N[e + N_BUILD_SLOT] = buildSlot;
    N[e + N_SUB_SLOT] = subSlot;
    N[e + N_EVAL] = evalMask;
    S[es + S_G_BUILT] = gB;
    S[es + S_H_BUILT] = hB;
    S[es + S_G_SUB] = gS;
    S[es + S_H_SUB] = hS;
  }

  /** Runs the build job of entries [0, n) (set by setBuild). */
  build(n: number): void {
    const a = this.arrays, c = a.control, N = a.nodeInt;
    const nGroups = setGroups(c, a.nCols, n, this.threads);
    const size = (j: number) => N[j * NODE_INTS + N_END]! - N[j * NODE_INTS + N_START]!;
    let rows = 0;
    for (let j = 0; j < n; j++) rows += size(j);
    // Largest entries first, so the last items claimed are small ones (stable for ties).
    const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => size(q) - size(p) || p - q);
    c.set(order, C_ORDER);
    c[C_NGROUPS] = nGroups;
    c[C_CMD] = CMD_BUILD;
    c[C_NENTRIES] = n;
    c[C_NITEMS] = n * nGroups;
    this.#dispatch(rows * c[C_NACTIVE]! >= PARALLEL_MIN_UPDATES);
  }

  /** Offset of build entry `j`'s split records in `arrays.splits` (its built child's). */
  splitBase(j: number): number {
    return j * splitStride(this.arrays.nCols);
  }

  /**
   * Partition entry `j` of the next partition job: rows [start, end), rows whose bin of
   * `feature` is <= `bin` (missing: `missingLeft`) first, stably.
   */
  setPartition(
    j: number,
    start: number,
    end: number,
    feature: number,
    bin: number,
    missingLeft: boolean,
  ): void {
    const N = this.arrays.nodeInt, e = j * NODE_INTS;
    N[e + N_START] = start;
    N[e + N_END] = end;
    N[e + N_FEATURE] = feature;
    N[e + N_BIN] = bin;
    N[e + N_MISSING_LEFT] = missingLeft ? 1 : 0;
  }

  /**
   * Draws the rows of a round, each kept with probability `rate` (resolved to 1/65536):
   * kept rows to rows[0, n) ascending, the others after them, ascending; returns n. `rng`
   * moves on by the draws made, one per two rows, exactly as if it had made them itself.
   */
  sample(rng: Pcg32, rate: number): number {
    const a = this.arrays, c = a.control, nRows = a.nRows;
    if (rate >= 1) {
      for (let i = 0; i < nRows; i++) a.rows[i] = i;
      return nRows;
    }
    c.set(rng.getState(), C_RNG);
    c[C_SAMPLE_CUT] = Math.round(rate * 65536);
    this.setPartition(0, 0, nRows, 0, 0, false);
    this.#partitionJob(1, CMD_SAMPLE);
    rng.advance(Math.ceil(nRows / 2));
    return this.mid(0);
  }

  /**
   * Runs the partition job of entries [0, n) (set by setPartition); then `mid(j)` is entry
   * j's first right index. The result is the same whether chunks run in parallel or not.
   */
  partition(n: number): void {
    this.#partitionJob(n, CMD_PARTITION);
  }

  #partitionJob(n: number, cmd: number): void {
    const a = this.arrays, c = a.control, N = a.nodeInt;
    let chunks = 0, rows = 0;
    for (let j = 0; j < n; j++) {
      const e = j * NODE_INTS, len = N[e + N_END]! - N[e + N_START]!;
      const nc = Math.max(1, Math.ceil(len / PARTITION_CHUNK));
      N[e + N_FIRST_CHUNK] = chunks;
      N[e + N_NCHUNKS] = nc;
      N[e + N_PENDING] = nc;
      chunks += nc;
      rows += len;
    }
    c[C_CMD] = cmd;
    c[C_NENTRIES] = n;
    c[C_NITEMS] = chunks;
    this.#dispatch(rows >= PARALLEL_MIN_ROWS);
  }

  /** First right index of partition entry `j` after `partition`. */
  mid(j: number): number {
    return this.arrays.nodeInt[j * NODE_INTS + N_MID]!;
  }

  /**
   * Gradients and hessians of the drawn rows rows[0, n) at their row index (objective code
   * and 1/δ² in the control block and params); returns their sums [G, H].
   */
  gradients(n: number): [number, number] {
    const a = this.arrays, c = a.control;
    const nItems = Math.ceil(n / ROUND_CHUNK);
    c[C_CMD] = CMD_GRADIENTS;
    c[C_ROUND_N] = n;
    c[C_NITEMS] = nItems;
    this.#dispatch(n >= 2 * ROUND_CHUNK);
    let G = 0, H = 0;
    for (let k = 0; k < nItems; k++) {
      G += a.roundSums[2 * k]!;
      H += a.roundSums[2 * k + 1]!;
    }
    return [G, H];
  }

  /**
   * Adds tree `g` (grown on the drawn rows rows[0, n)) to every training row's prediction;
   * returns the sum of squared errors after it.
   */
  update(g: GrownTree, n: number): number {
    const a = this.arrays, c = a.control;
    const nodes = g.tree.feature.length;
    // A tree too large for the shared buffer is updated by the calling thread alone.
    const fits = 4 * nodes <= a.roundTree.nodes.length;
    const tree = fits ? a.roundTree : allocRoundTree(nodes, false);
    c[C_NSEGMENTS] = loadRoundTree(g, tree);
    const nItems = updateItems(n, a.nRows);
    c[C_CMD] = CMD_UPDATE;
    c[C_ROUND_N] = n;
    c[C_NITEMS] = nItems;
    this.#dispatch(fits && a.nRows >= 2 * ROUND_CHUNK, tree);
    let loss = 0;
    for (let k = 0; k < nItems; k++) loss += a.roundSums[k]!;
    return loss;
  }

  /** Runs the job in the control block, with the workers if `parallel`. */
  #dispatch(parallel: boolean, tree?: RoundTree): void {
    const a = this.arrays, c = a.control;
    Atomics.store(c, C_NEXT, 0);
    if (parallel && this.#soloLeft > 0) {
      this.#soloLeft--;
      parallel = false;
    }
    if (this.threads === 1 || !parallel) {
      runShare(a, tree);
      return;
    }
    const seq = ++this.#seq;
    Atomics.store(c, C_SEQ, seq);
    Atomics.notify(c, C_SEQ);
    const tShare = performance.now();
    runShare(a);
    const t0 = performance.now();
    // A worker may still be on its last item, which can take as long as the calling
    // thread's whole share when items are large (a feature group of a 10M-row node).
    const expected = t0 - tShare;
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
    // A wait this long means a worker was paused by the scheduler while it held an item (a
    // busy machine): after a few of them, the calling thread works alone for a while (the
    // result is the same), then tries the workers again.
    if (performance.now() - t0 > LONG_WAIT_MS + expected) this.#longWaits++;
    if (++this.#parallelJobs % SOLO_WINDOW === 0) {
      if (this.#longWaits >= SOLO_AFTER_LONG_WAITS) this.#soloLeft = SOLO_JOBS;
      this.#longWaits = 0;
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
