/**
 * The booster's per-round work on rows, as work items the node-job threads share (see
 * node_jobs.ts): the row draw, the gradients of the drawn rows, and after each tree the update of every
 * training row's prediction with the training loss. Items are fixed chunks of ROUND_CHUNK
 * positions of `rows` and their sums are kept per chunk, then added chunk by chunk in
 * order, so the results do not depend on the number of threads.
 */
import { MISSING_BIN } from "./binning.ts";
import type { GrownTree } from "./grown_tree.ts";
import { Pcg32 } from "./random.ts";

/** Positions of `rows` per work item. */
export const ROUND_CHUNK = 16_384;

/** What the round items read and write, besides the tree. */
export interface RoundSource {
  /** Column-major bins (one step of a node whose rows were not partitioned). */
  bins: Uint8Array;
  /** Row-major bins (a walk reads one cache line per row). */
  rowBins: Uint8Array;
  nRows: number;
  nCols: number;
  /** Drawn rows first (the tree's segments), then the others. */
  rows: Uint32Array;
  y: Float32Array;
  pred: Float64Array;
}

/** A grown tree in the flat form the update reads (shared with workers when it fits). */
export interface RoundTree {
  /** Per node, 4 ints: feature (−1 at a leaf), left child (right = left + 1), split bin, default left. */
  nodes: Int32Array;
  /** Per node: leaf value. */
  value: Float64Array;
  /** Row segments that tile the drawn rows [0, n), ascending: start, end, node. */
  segments: Int32Array;
}

/** Node capacity of a RoundTree for trees of `maxNodes` nodes. */
export function allocRoundTree(maxNodes: number, shared: boolean): RoundTree {
  const buf = (bytes: number) => shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return {
    nodes: new Int32Array(buf(16 * maxNodes)),
    value: new Float64Array(buf(8 * maxNodes)),
    segments: new Int32Array(buf(12 * maxNodes)),
  };
}

/**
 * Copies `g` into `t` (which must have room for its nodes); returns the segment count. A
 * segment is a leaf's rows, or the rows of a split whose children are leaves at the depth
 * limit (its rows were not partitioned: they take one step by the split's column).
 */
export function loadRoundTree(g: GrownTree, t: RoundTree): number {
  const { feature, left, defaultLeft, value } = g.tree;
  const segs: number[] = [];
  for (let node = 0; node < feature.length; node++) {
    t.nodes[4 * node] = feature[node]!;
    t.nodes[4 * node + 1] = left[node]!;
    t.nodes[4 * node + 2] = g.splitBin[node]!;
    t.nodes[4 * node + 3] = defaultLeft[node]!;
    t.value[node] = value[node]!;
    if (g.leafStart[node]! >= 0 && g.leafEnd[node]! > g.leafStart[node]!) segs.push(node);
  }
  segs.sort((p, q) => g.leafStart[p]! - g.leafStart[q]!);
  segs.forEach((node, k) => {
    t.segments[3 * k] = g.leafStart[node]!;
    t.segments[3 * k + 1] = g.leafEnd[node]!;
    t.segments[3 * k + 2] = node;
  });
  return segs.length;
}

/** Work items of the update of a round with `n` drawn rows (segments first, then walks). */
export function updateItems(n: number, nRows: number): number {
  return Math.ceil(n / ROUND_CHUNK) + Math.ceil((nRows - n) / ROUND_CHUNK);
}

/**
 * Update item `k`: adds the tree's value to the predictions of its chunk of rows and
 * writes the chunk's sum of squared errors (after the update) to loss[k].
 */
export function updateItem(
  a: RoundSource,
  t: RoundTree,
  nSegments: number,
  n: number,
  k: number,
  loss: Float64Array,
): void {
  const nSeg = Math.ceil(n / ROUND_CHUNK);
  if (k < nSeg) {
    const p0 = k * ROUND_CHUNK, p1 = Math.min(n, p0 + ROUND_CHUNK);
    loss[k] = updateSegments(a, t, nSegments, p0, p1);
  } else {
    const p0 = n + (k - nSeg) * ROUND_CHUNK;
    loss[k] = walkRows(a, t, p0, Math.min(a.nRows, p0 + ROUND_CHUNK));
  }
}

/** Drawn rows at positions [p0, p1): each by its segment's leaf (or one step). */
function updateSegments(a: RoundSource, t: RoundTree, nSegments: number, p0: number, p1: number) {
  const { rows, pred, y, bins, nRows } = a, { segments, nodes, value } = t;
  // The last segment starting at or before p0.
  let lo = 0, hi = nSegments - 1;
  while (lo < hi) {
    const m = (lo + hi + 1) >> 1;
    if (segments[3 * m]! <= p0) lo = m;
    else hi = m - 1;
  }
  let loss = 0;
  for (let s = lo; s < nSegments && segments[3 * s]! < p1; s++) {
    const from = Math.max(p0, segments[3 * s]!), to = Math.min(p1, segments[3 * s + 1]!);
    const node = segments[3 * s + 2]!, f = nodes[4 * node]!;
    if (f < 0) {
      const v = value[node]!;
      for (let i = from; i < to; i++) {
        const r = rows[i]!, p = pred[r]! + v;
        pred[r] = p;
        const e = p - y[r]!;
        loss += e * e;
      }
      continue;
    }
    // A split whose rows were not partitioned (its children are leaves at the depth limit,
    // right = left + 1): one step per row, from the feature's column.
    const col = f * nRows, sb = nodes[4 * node + 2]!, dl = nodes[4 * node + 3]!;
    const l = nodes[4 * node + 1]!, vl = value[l]!, vr = value[l + 1]!;
    for (let i = from; i < to; i++) {
      const r = rows[i]!, b = bins[col + r]!;
      const goRight = ((sb - b) >>> 31) - (((MISSING_BIN - 1 - b) >>> 31) & dl);
      const p = pred[r]! + (goRight === 1 ? vr : vl);
      pred[r] = p;
      const e = p - y[r]!;
      loss += e * e;
    }
  }
  return loss;
}

/**
 * Rows not drawn, at positions [p0, p1): a walk down the tree on row-major bins (a row's walk
 * reads one cache line, not one column per level). The step is branch-free (a branch per
 * level is a coin flip for the predictor): right = left + 1, and as the missing bin is the
 * highest, "b > splitBin" is right except missing with defaultLeft. Four rows go in
 * lockstep, so their walks (each a chain of dependent loads) overlap; a row at a leaf
 * (feature −1) stays there (masks, not branches) until all four are.
 */
function walkRows(a: RoundSource, t: RoundTree, p0: number, p1: number): number {
  const { rows, pred, y, rowBins, nCols } = a, { nodes, value } = t;
  let loss = 0, i = p0;
  const f00 = nodes[0]!;
  for (; i + 3 < p1; i += 4) {
    const r0 = rows[i]!, r1 = rows[i + 1]!, r2 = rows[i + 2]!, r3 = rows[i + 3]!;
    const o0 = r0 * nCols, o1 = r1 * nCols, o2 = r2 * nCols, o3 = r3 * nCols;
    let n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    let f0 = f00, f1 = f00, f2 = f00, f3 = f00;
    while ((f0 & f1 & f2 & f3) >= 0) {
      n0 = walkStep(rowBins, o0, f0, n0, nodes);
      n1 = walkStep(rowBins, o1, f1, n1, nodes);
      n2 = walkStep(rowBins, o2, f2, n2, nodes);
      n3 = walkStep(rowBins, o3, f3, n3, nodes);
      f0 = nodes[4 * n0]!;
      f1 = nodes[4 * n1]!;
      f2 = nodes[4 * n2]!;
      f3 = nodes[4 * n3]!;
    }
    const q0 = pred[r0]! + value[n0]!, q1 = pred[r1]! + value[n1]!;
    const q2 = pred[r2]! + value[n2]!, q3 = pred[r3]! + value[n3]!;
    pred[r0] = q0;
    pred[r1] = q1;
    pred[r2] = q2;
    pred[r3] = q3;
    const e0 = q0 - y[r0]!, e1 = q1 - y[r1]!, e2 = q2 - y[r2]!, e3 = q3 - y[r3]!;
    loss += e0 * e0;
    loss += e1 * e1;
    loss += e2 * e2;
    loss += e3 * e3;
  }
  for (; i < p1; i++) {
    const r = rows[i]!, o = r * nCols;
    let node = 0;
    for (let f = f00; f >= 0; f = nodes[4 * node]!) node = walkStep(rowBins, o, f, node, nodes);
    const q = pred[r]! + value[node]!;
    pred[r] = q;
    const e = q - y[r]!;
    loss += e * e;
  }
  return loss;
}

/**
 * One level of a walk on binned data: the child of `node` (feature `f`) for the row whose
 * bins start at `o`, or `node` itself at a leaf (f < 0).
 */
function walkStep(
  rowBins: Uint8Array,
  o: number,
  f: number,
  node: number,
  nodes: Int32Array,
): number {
  const leaf = f >> 31; // −1 at a leaf, else 0
  const b = rowBins[o + (f & ~leaf)]!;
  const k = 4 * node;
  const goRight = ((nodes[k + 2]! - b) >>> 31) - (((MISSING_BIN - 1 - b) >>> 31) & nodes[k + 3]!);
  return ((nodes[k + 1]! + goRight) & ~leaf) | (node & leaf);
}

/** The draws of a sample chunk (this thread's; grown to the largest chunk). */
let draws = new Uint32Array(0);

/**
 * Rows [s, e) of a round's draw (XGBoost's Bernoulli subsample, each row kept with
 * probability cut/65536), `s` even: the kept rows go to rows[s, s + kept), the others to
 * tmpRows[s, ...), both ascending; returns the kept count. Each 32-bit draw serves two rows
 * (16 bits each), which halves the generator's share of a round; the chunk's generator is
 * the round's (`state`, from Pcg32.getState) moved s/2 draws ahead, so the draws are those
 * of one generator over all rows, whoever does the chunk.
 */
export function sampleChunk(
  rows: Uint32Array,
  tmpRows: Uint32Array,
  state: ArrayLike<number>,
  cut: number,
  s: number,
  e: number,
): number {
  const rng = Pcg32.fromState(state);
  rng.advance(s / 2);
  const nDraws = (e - s + 1) >> 1;
  if (draws.length < nDraws) draws = new Uint32Array(nDraws);
  rng.fillU32(draws, 0, nDraws);
  let n = s, m = s;
  // Branch-free: each row is written to both sides and only one cursor moves.
  for (let i = s, d = 0; i < e; i += 2, d++) {
    const u = draws[d]!;
    let take = ((u & 0xffff) - cut) >>> 31;
    rows[n] = i;
    tmpRows[m] = i;
    n += take;
    m += 1 - take;
    if (i + 1 === e) break;
    take = ((u >>> 16) - cut) >>> 31;
    rows[n] = i + 1;
    tmpRows[m] = i + 1;
    n += take;
    m += 1 - take;
  }
  return n - s;
}
