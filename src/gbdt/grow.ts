/**
 * Grows one regression tree on binned data. Depth-wise growth (maxLeaves = 0) splits every
 * node that can be split down to maxDepth; since such a node's split does not depend on its
 * cousins, nodes are expanded depth-first, so only O(depth) histograms are alive at once.
 * Leaf-wise growth (maxLeaves > 0) expands the open leaf with the largest gain (ties: the
 * lowest node id) until maxLeaves leaves.
 *
 * For each split the smaller child's histogram is built and the larger one is the parent's
 * minus it (in the parent's slot). Row indices are partitioned in place, stably (gradients
 * stay at their row index), so each node's rows stay in ascending order.
 */
import type { Tree } from "./tree.ts";
import type { BinCuts } from "./binning.ts";
import { thresholdOf } from "./binning.ts";
import { C_ACTIVE, C_NACTIVE, type NodeJobs } from "./node_jobs.ts";
import { leafWeight, pickSplit, type Split, SPLIT_RECORD, type SplitRules } from "./split.ts";

export interface GrowRules extends SplitRules {
  maxDepth: number;
  maxLeaves: number;
  learningRate: number;
}

/** Reusable buffers of one training run. */
export interface GrowWorkspace {
  jobs: NodeJobs;
  cuts: BinCuts;
  /** Value bins per feature. */
  nBins: Int32Array;
  /** Histogram slots available (the hist array's capacity). */
  nSlots: number;
}

/** A grown tree, plus what the booster needs to update its training predictions. */
export interface GrownTree {
  tree: Tree;
  /** Split bin per node (bins <= it go left); -1 at leaves. */
  splitBin: Int32Array;
  /**
   * Row segment [leafStart, leafEnd) of `rows` per leaf node, and per split node whose rows
   * were not partitioned (its children are leaves at the depth limit, right = left + 1, with
   * segments -1: its rows go to them by `splitBin`); -1 elsewhere.
   */
  leafStart: Int32Array;
  leafEnd: Int32Array;
}

/** Histogram slots a run needs for these rules. */
export function slotsNeeded(r: { maxDepth: number; maxLeaves: number }): number {
  if (r.maxLeaves > 0) return r.maxLeaves + 2;
  return r.maxDepth + 2;
}

interface OpenNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  slot: number;
  split: Split;
}

/**
 * Grows a tree on the rows in segment [0, n) of the workspace arrays, whose gradients are
 * current at their row index and whose active features are in the control block.
 */
export function growTree(
  ws: GrowWorkspace,
  n: number,
  G: number,
  H: number,
  rules: GrowRules,
): GrownTree {
  const a = ws.jobs.arrays;
  const c = a.control;
  const nActive = c[C_NACTIVE]!;
  const features = c.subarray(C_ACTIVE, C_ACTIVE + nActive);
  const secondRecords = a.nCols * SPLIT_RECORD;

  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [];
  const defaultLeft: number[] = [], value: number[] = [], cover: number[] = [], gain: number[] = [];
  const splitBin: number[] = [], leafStart: number[] = [], leafEnd: number[] = [];
  const addNode = (g: number, h: number, start: number, end: number): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    defaultLeft.push(0);
    value.push(Math.fround(leafWeight(g, h, rules.lambda) * rules.learningRate));
    cover.push(h);
    gain.push(0);
    splitBin.push(-1);
    leafStart.push(start);
    leafEnd.push(end);
    return feature.length - 1;
  };

  const freeSlots: number[] = [];
  for (let s = ws.nSlots - 1; s >= 0; s--) freeSlots.push(s);
  const maxDepth = rules.maxDepth > 0 ? rules.maxDepth : Infinity;
  const canSplit = (depth: number, h: number, count: number) =>
    depth < maxDepth && count >= 2 && h >= 2 * rules.minChildWeight;

  const open: OpenNode[] = [];
  // After a job: record the best split of a node evaluated in it (records at `base`).
  const evaluate = (
    id: number,
    start: number,
    end: number,
    depth: number,
    slot: number,
    base: number,
  ) => {
    const split = pickSplit(a.splits, base, features, nActive);
    if (split.feature < 0) freeSlots.push(slot);
    else open.push({ id, start, end, depth, slot, split });
  };

  const root = addNode(G, H, 0, n);
  if (canSplit(0, H, n)) {
    const slot = freeSlots.pop()!;
    ws.jobs.run(0, n, slot, -1, 1, G, H, 0, 0);
    evaluate(root, 0, n, 0, slot, 0);
  }
  let leaves = 1;
  while (open.length > 0) {
    if (rules.maxLeaves > 0 && leaves >= rules.maxLeaves) break;
    let pick = open.length - 1;
    if (rules.maxLeaves > 0) {
      for (let k = open.length - 2; k >= 0; k--) {
        const o = open[k]!, p = open[pick]!;
        if (o.split.gain > p.split.gain || (o.split.gain === p.split.gain && o.id < p.id)) pick = k;
      }
    }
    const node = open[pick]!;
    open.splice(pick, 1);
    const s = node.split;
    const depth = node.depth + 1;
    // Children at the depth limit are leaves whatever their rows: the booster sends the
    // node's rows to them itself, so the partition (a pass over the rows) is not needed.
    const lastLevel = depth >= maxDepth;
    const mid = lastLevel
      ? -1
      : ws.jobs.partition(node.start, node.end, s.feature, s.bin, s.defaultLeft);
    const id = node.id;
    feature[id] = s.feature;
    threshold[id] = thresholdOf(ws.cuts, s.feature, s.bin);
    defaultLeft[id] = s.defaultLeft ? 1 : 0;
    value[id] = 0;
    gain[id] = s.gain;
    splitBin[id] = s.bin;
    leafStart[id] = lastLevel ? node.start : -1;
    leafEnd[id] = lastLevel ? node.end : -1;
    const l = addNode(s.gradLeft, s.hessLeft, lastLevel ? -1 : node.start, mid);
    const r = addNode(s.gradRight, s.hessRight, mid, lastLevel ? -1 : node.end);
    left[id] = l;
    right[id] = r;
    leaves++;
    if (lastLevel) {
      freeSlots.push(node.slot);
      continue;
    }

    const nl = mid - node.start, nr = node.end - mid;
    const splitL = canSplit(depth, s.hessLeft, nl), splitR = canSplit(depth, s.hessRight, nr);
    if (!splitL && !splitR) {
      freeSlots.push(node.slot);
      continue;
    }
    // Build the smaller child; the larger one takes the parent's slot by subtraction (only
    // needed when the larger child may be split).
    const slot = freeSlots.pop()!;
    const smallIsLeft = nl <= nr;
    const [sStart, sEnd, sG, sH, lG, lH] = smallIsLeft
      ? [node.start, mid, s.gradLeft, s.hessLeft, s.gradRight, s.hessRight]
      : [mid, node.end, s.gradRight, s.hessRight, s.gradLeft, s.hessLeft];
    const evalSmall = smallIsLeft ? splitL : splitR, evalLarge = smallIsLeft ? splitR : splitL;
    ws.jobs.run(
      sStart,
      sEnd,
      slot,
      evalLarge ? node.slot : -1,
      (evalSmall ? 1 : 0) | (evalLarge ? 2 : 0),
      sG,
      sH,
      lG,
      lH,
    );
    const slotL = smallIsLeft ? slot : node.slot, slotR = smallIsLeft ? node.slot : slot;
    const baseL = smallIsLeft ? 0 : secondRecords, baseR = smallIsLeft ? secondRecords : 0;
    // Depth-first: push right then left so the left subtree is expanded first.
    if (splitR) evaluate(r, mid, node.end, depth, slotR, baseR);
    else freeSlots.push(slotR);
    if (splitL) evaluate(l, node.start, mid, depth, slotL, baseL);
    else freeSlots.push(slotL);
  }
  for (const o of open) freeSlots.push(o.slot);

  return {
    tree: {
      feature: Int32Array.from(feature),
      threshold: Float32Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      defaultLeft: Uint8Array.from(defaultLeft),
      value: Float32Array.from(value),
      cover: Float64Array.from(cover),
      gain: Float64Array.from(gain),
    },
    splitBin: Int32Array.from(splitBin),
    leafStart: Int32Array.from(leafStart),
    leafEnd: Int32Array.from(leafEnd),
  };
}
