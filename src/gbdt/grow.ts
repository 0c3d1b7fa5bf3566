/**
 * Grows one regression tree on binned data. Depth-wise growth (maxLeaves = 0) splits every
 * node that can be split down to maxDepth; since such a node's split does not depend on its
 * cousins, the order of expansion does not change the tree (only the node numbering): a
 * whole level is expanded at once (one partition job and one build job for all its nodes)
 * when the histogram slots of a level fit in memory, else one node at a time depth-first,
 * which keeps only O(depth) histograms alive. Leaf-wise growth (maxLeaves > 0) expands the
 * open leaf with the largest gain (ties: the lowest node id) until maxLeaves leaves.
 *
 * For each split the smaller child's histogram is built and the larger one is the parent's
 * minus it (in the parent's slot). Row indices are partitioned in place, stably (gradients
 * stay at their row index), so each node's rows stay in ascending order.
 */
import type { GrownTree } from "./grown_tree.ts";
import type { BinCuts } from "./binning.ts";
import { thresholdOf } from "./binning.ts";
import { C_ACTIVE, C_NACTIVE, MAX_BATCH, type NodeJobs } from "./node_jobs.ts";
import { FEATURE_STRIDE } from "./histogram.ts";
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

/** Histogram memory above which depth-wise growth goes one node at a time (bytes). */
export const LEVEL_HISTOGRAM_BYTES = 96 * 2 ** 20;

/**
 * Slots to expand a whole level at once: every open node holds one, and the open nodes are
 * at most the nodes of the deepest level that needs histograms (maxDepth − 1), plus one.
 */
function levelSlots(maxDepth: number): number {
  return 2 ** Math.max(0, maxDepth - 1) + 1;
}

/** Histogram slots a run needs for these rules with `nCols` features. */
export function slotsNeeded(r: { maxDepth: number; maxLeaves: number }, nCols: number): number {
  if (r.maxLeaves > 0) return r.maxLeaves + 2;
  const level = levelSlots(r.maxDepth);
  return level * nCols * FEATURE_STRIDE * 8 <= LEVEL_HISTOGRAM_BYTES ? level : r.maxDepth + 2;
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
  const jobs = ws.jobs, a = jobs.arrays;
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
  const leafWise = rules.maxLeaves > 0;
  // Whole levels at once (first in, first out) when every open node of a level can hold a
  // slot; else depth-first, one node at a time (last in, first out).
  const byLevel = !leafWise && ws.nSlots >= levelSlots(rules.maxDepth);

  const open: OpenNode[] = [];
  // After a build job: record the best split of a child evaluated in it.
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
    jobs.setBuild(0, 0, n, slot, -1, 1, G, H, 0, 0);
    jobs.build(1);
    evaluate(root, 0, n, 0, slot, jobs.splitBase(0));
  }
  let leaves = 1;
  const batch: OpenNode[] = [];
  /** A child to build (the smaller) and its sibling, of one split in the batch. */
  interface Pending {
    l: number;
    r: number;
    start: number;
    mid: number;
    end: number;
    depth: number;
    slotL: number;
    slotR: number;
    splitL: boolean;
    splitR: boolean;
    smallIsLeft: boolean;
  }
  const pending: Pending[] = [];
  while (open.length > 0) {
    if (leafWise && leaves >= rules.maxLeaves) break;
    batch.length = 0;
    if (leafWise) {
      let pick = open.length - 1;
      for (let k = open.length - 2; k >= 0; k--) {
        const o = open[k]!, p = open[pick]!;
        if (o.split.gain > p.split.gain || (o.split.gain === p.split.gain && o.id < p.id)) pick = k;
      }
      batch.push(open[pick]!);
      open.splice(pick, 1);
    } else if (byLevel) {
      batch.push(...open.splice(0, Math.min(open.length, MAX_BATCH)));
    } else {
      batch.push(open.pop()!);
    }

    // The splits, and one partition job for every node whose children are not at the depth
    // limit (children at the limit are leaves whatever their rows: the booster sends the
    // node's rows to them itself, so the partition, a pass over the rows, is not needed).
    let nPart = 0;
    for (const node of batch) {
      const s = node.split;
      if (node.depth + 1 < maxDepth) {
        jobs.setPartition(nPart++, node.start, node.end, s.feature, s.bin, s.defaultLeft);
      }
    }
    if (nPart > 0) jobs.partition(nPart);

    pending.length = 0;
    let part = 0;
    for (const node of batch) {
      const s = node.split, id = node.id, depth = node.depth + 1;
      const lastLevel = depth >= maxDepth;
      const mid = lastLevel ? -1 : jobs.mid(part++);
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
      const evalSmall = smallIsLeft ? splitL : splitR, evalLarge = smallIsLeft ? splitR : splitL;
      jobs.setBuild(
        pending.length,
        smallIsLeft ? node.start : mid,
        smallIsLeft ? mid : node.end,
        slot,
        evalLarge ? node.slot : -1,
        (evalSmall ? 1 : 0) | (evalLarge ? 2 : 0),
        smallIsLeft ? s.gradLeft : s.gradRight,
        smallIsLeft ? s.hessLeft : s.hessRight,
        smallIsLeft ? s.gradRight : s.gradLeft,
        smallIsLeft ? s.hessRight : s.hessLeft,
      );
      pending.push({
        l,
        r,
        start: node.start,
        mid,
        end: node.end,
        depth,
        slotL: smallIsLeft ? slot : node.slot,
        slotR: smallIsLeft ? node.slot : slot,
        splitL,
        splitR,
        smallIsLeft,
      });
    }
    if (pending.length === 0) continue;
    jobs.build(pending.length);
    pending.forEach((p, j) => {
      const base = jobs.splitBase(j);
      const baseL = p.smallIsLeft ? base : base + secondRecords;
      const baseR = p.smallIsLeft ? base + secondRecords : base;
      const evalL = () => {
        if (p.splitL) evaluate(p.l, p.start, p.mid, p.depth, p.slotL, baseL);
        else freeSlots.push(p.slotL);
      };
      const evalR = () => {
        if (p.splitR) evaluate(p.r, p.mid, p.end, p.depth, p.slotR, baseR);
        else freeSlots.push(p.slotR);
      };
      // By level: left then right, in node order. Depth-first: push right then left so the
      // left subtree is expanded first.
      if (byLevel) {
        evalL();
        evalR();
      } else {
        evalR();
        evalL();
      }
    });
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
