/**
 * Slow, obviously correct versions of the GBDT's hot kernels, used in tests only as oracles
 * for the optimised ones in src/gbdt/ (pygbm's and scikit-learn's `_build_histogram_naive`
 * habit): histogram building, split-gain search and row partitioning, plus a whole tree
 * grown from them. They read the column-major bins one value at a time, recompute every
 * prefix sum from scratch and try every candidate split; the only thing they share with the
 * fast code is the split rule itself (written out again here) and the order in which
 * floating-point sums are added, which the fast code keeps fixed so the two agree exactly.
 */
import { MISSING_BIN } from "../../src/gbdt/binning.ts";

/** A node's rows: rows[start, end) index the column-major bins (feature f of row r at f * nRows + r). */
export interface NodeRows {
  bins: Uint8Array;
  nRows: number;
  rows: Uint32Array;
  start: number;
  end: number;
  grad: Float32Array;
  hess: Float32Array;
}

/** Per-bin (grad, hess) sums of one feature; index MISSING_BIN holds the missing values. */
export interface FeatureHistogram {
  grad: Float64Array;
  hess: Float64Array;
}

/** Histogram of feature `f` over the node's rows, each bin summed in row order. */
export function naiveHistogram(node: NodeRows, f: number): FeatureHistogram {
  const grad = new Float64Array(MISSING_BIN + 1), hess = new Float64Array(MISSING_BIN + 1);
  for (let i = node.start; i < node.end; i++) {
    const r = node.rows[i]!;
    const b = node.bins[f * node.nRows + r]!;
    grad[b] = grad[b]! + node.grad[r]!;
    hess[b] = hess[b]! + node.hess[r]!;
  }
  return { grad, hess };
}

/** Parent minus child, bin by bin (the sibling's histogram by subtraction). */
export function naiveSubtract(parent: FeatureHistogram, child: FeatureHistogram): FeatureHistogram {
  return {
    grad: parent.grad.map((g, b) => g - child.grad[b]!),
    hess: parent.hess.map((h, b) => h - child.hess[b]!),
  };
}

export interface SplitRules {
  lambda: number;
  minChildWeight: number;
  gamma: number;
}

export interface ReferenceSplit {
  /** -1: no valid split. */
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gain: number;
  gradLeft: number;
  hessLeft: number;
  gradRight: number;
  hessRight: number;
}

export const NO_SPLIT: ReferenceSplit = {
  feature: -1,
  bin: 0,
  defaultLeft: false,
  gain: 0,
  gradLeft: 0,
  hessLeft: 0,
  gradRight: 0,
  hessRight: 0,
};

/**
 * Structure score gain of a split, XGBoost's equation 7 without the ½ (Chen & Guestrin 2016):
 * GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ).
 */
export function splitGain(
  gl: number,
  hl: number,
  gr: number,
  hr: number,
  parent: number,
  lambda: number,
): number {
  return (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
}

/**
 * Best split of one feature with `nb` value bins for a node with totals (G, H): every bin
 * threshold b ("bins 0..b go left"), with the missing values sent right and then left. A
 * candidate needs each side's hessian sum >= max(minChildWeight, 1e-12) and a gain above
 * max(gamma, 1e-10 · parent score); the first strictly best candidate wins. Without missing
 * values, "all values left" is no split, and the default direction (for missing values at
 * prediction time) is the side with the larger hessian sum.
 */
export function naiveFeatureSplit(
  h: FeatureHistogram,
  nb: number,
  G: number,
  H: number,
  rules: SplitRules,
  feature: number,
): ReferenceSplit {
  const parent = (G * G) / (H + rules.lambda);
  const minH = Math.max(rules.minChildWeight, 1e-12);
  const gm = h.grad[MISSING_BIN]!, hm = h.hess[MISSING_BIN]!;
  const hasMissing = hm > 0;
  let best: ReferenceSplit = { ...NO_SPLIT, gain: Math.max(rules.gamma, 1e-10 * Math.abs(parent)) };
  for (let b = 0; b < nb; b++) {
    // Sums of bins 0..b, from scratch.
    let gl = 0, hl = 0;
    for (let k = 0; k <= b; k++) {
      gl += h.grad[k]!;
      hl += h.hess[k]!;
    }
    for (const missingLeft of [false, true]) {
      if (missingLeft && !hasMissing) continue;
      if (b === nb - 1 && (missingLeft || !hasMissing)) continue; // everything on one side
      const GL = missingLeft ? gl + gm : gl, HL = missingLeft ? hl + hm : hl;
      const GR = G - GL, HR = H - HL;
      if (HL < minH || HR < minH) continue;
      const gain = splitGain(GL, HL, GR, HR, parent, rules.lambda);
      if (gain > best.gain) {
        const defaultLeft = missingLeft || (!hasMissing && HL >= HR);
        best = {
          feature,
          bin: b,
          defaultLeft,
          gain,
          gradLeft: GL,
          hessLeft: HL,
          gradRight: GR,
          hessRight: HR,
        };
      }
    }
  }
  return best.feature < 0 ? { ...NO_SPLIT } : best;
}

/** The best split over `features` (ascending): the first largest gain. */
export function naiveNodeSplit(
  hists: Map<number, FeatureHistogram>,
  nBins: ArrayLike<number>,
  features: ArrayLike<number>,
  G: number,
  H: number,
  rules: SplitRules,
): ReferenceSplit {
  let best = { ...NO_SPLIT };
  for (let k = 0; k < features.length; k++) {
    const f = features[k]!;
    const s = naiveFeatureSplit(hists.get(f)!, nBins[f]!, G, H, rules, f);
    if (s.feature >= 0 && s.gain > best.gain) best = s;
  }
  return best;
}

/** Whether a row with bin `b` goes left: bins <= bin, or missing with the default left. */
export function goesLeft(b: number, bin: number, missingLeft: boolean): boolean {
  return b === MISSING_BIN ? missingLeft : b <= bin;
}

/** rows[start, end) split into [left rows, right rows], each in its original order. */
export function naivePartition(
  node: NodeRows,
  feature: number,
  bin: number,
  missingLeft: boolean,
): { left: number[]; right: number[] } {
  const left: number[] = [], right: number[] = [];
  for (let i = node.start; i < node.end; i++) {
    const r = node.rows[i]!;
    (goesLeft(node.bins[feature * node.nRows + r]!, bin, missingLeft) ? left : right).push(r);
  }
  return { left, right };
}

export interface ReferenceGrowRules extends SplitRules {
  maxDepth: number;
  learningRate: number;
}

/** A tree as nested nodes (ids aside, which differ between growth orders). */
export type ReferenceNode =
  | { leaf: true; value: number; rows: number[] }
  | {
    leaf: false;
    feature: number;
    bin: number;
    defaultLeft: boolean;
    gain: number;
    left: ReferenceNode;
    right: ReferenceNode;
  };

/**
 * Depth-wise growth to maxDepth from the kernels above: a node splits while its depth is
 * below maxDepth, it has two rows or more and its hessian sum is at least twice
 * minChildWeight. As in the fast grower, the smaller child's histograms (by row count; the
 * left one on a tie) are built and the larger child's are the parent's minus them, so the
 * floating-point sums agree exactly. Leaf value: −G/(H+λ) · learningRate, as float32.
 */
export function naiveGrowTree(
  node: NodeRows,
  nBins: ArrayLike<number>,
  features: ArrayLike<number>,
  rules: ReferenceGrowRules,
): ReferenceNode {
  let G = 0, H = 0;
  for (let i = node.start; i < node.end; i++) {
    G += node.grad[node.rows[i]!]!;
    H += node.hess[node.rows[i]!]!;
  }
  const hists = new Map<number, FeatureHistogram>();
  for (let k = 0; k < features.length; k++) {
    hists.set(features[k]!, naiveHistogram(node, features[k]!));
  }
  const rows = Array.from(node.rows.subarray(node.start, node.end));
  return grow(node, rows, hists, G, H, 0, nBins, features, rules);
}

function grow(
  base: NodeRows,
  rows: number[],
  hists: Map<number, FeatureHistogram>,
  G: number,
  H: number,
  depth: number,
  nBins: ArrayLike<number>,
  features: ArrayLike<number>,
  rules: ReferenceGrowRules,
): ReferenceNode {
  const leaf = (): ReferenceNode => ({
    leaf: true,
    value: Math.fround((-G / (H + rules.lambda)) * rules.learningRate),
    rows,
  });
  if (depth >= rules.maxDepth || rows.length < 2 || H < 2 * rules.minChildWeight) return leaf();
  const s = naiveNodeSplit(hists, nBins, features, G, H, rules);
  if (s.feature < 0) return leaf();
  const here = { ...base, rows: Uint32Array.from(rows), start: 0, end: rows.length };
  const { left, right } = naivePartition(here, s.feature, s.bin, s.defaultLeft);
  const smallIsLeft = left.length <= right.length;
  const small = smallIsLeft ? left : right;
  const smallNode = { ...base, rows: Uint32Array.from(small), start: 0, end: small.length };
  const smallHists = new Map<number, FeatureHistogram>(),
    largeHists = new Map<number, FeatureHistogram>();
  for (const [f, h] of hists) {
    const sh = naiveHistogram(smallNode, f);
    smallHists.set(f, sh);
    largeHists.set(f, naiveSubtract(h, sh));
  }
  const lh = smallIsLeft ? smallHists : largeHists, rh = smallIsLeft ? largeHists : smallHists;
  return {
    leaf: false,
    feature: s.feature,
    bin: s.bin,
    defaultLeft: s.defaultLeft,
    gain: s.gain,
    left: grow(base, left, lh, s.gradLeft, s.hessLeft, depth + 1, nBins, features, rules),
    right: grow(base, right, rh, s.gradRight, s.hessRight, depth + 1, nBins, features, rules),
  };
}

/**
 * The row draw of a round, one row at a time: each 32-bit draw of `rng` decides two rows
 * (low 16 bits the even row, high 16 bits the odd one), kept when below `cut` (of 65536).
 * Returns [kept rows, other rows], both ascending.
 */
export function naiveSample(
  rng: { nextU32(): number },
  nRows: number,
  cut: number,
): { kept: number[]; others: number[] } {
  const kept: number[] = [], others: number[] = [];
  for (let i = 0; i < nRows; i += 2) {
    const u = rng.nextU32();
    ((u & 0xffff) < cut ? kept : others).push(i);
    if (i + 1 < nRows) ((u >>> 16) < cut ? kept : others).push(i + 1);
  }
  return { kept, others };
}
