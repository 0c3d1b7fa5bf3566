/**
 * Seeded random tree ensembles and matrices for the ONNX tests and benchmark: varied
 * depths, NaN defaults both ways, float32 thresholds drawn from a small grid so that test
 * rows land exactly on thresholds.
 */
import type { Tree, TreeEnsemble } from "../../src/gbdt/tree.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";

/** mulberry32: small, seeded, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Grid of float32 values used for thresholds and feature values. */
export function gridValue(rand: () => number): number {
  return Math.fround((Math.floor(rand() * 41) - 20) * 0.37 + 0.1);
}

export interface RandomTreeOptions {
  maxDepth: number;
  /** Probability that an internal node below the root stops early (varied depths). */
  stopProb?: number;
  /** Build complete trees of exactly maxDepth (benchmark shape). */
  full?: boolean;
}

export function randomTree(nFeatures: number, rand: () => number, o: RandomTreeOptions): Tree {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [];
  const right: number[] = [], defaultLeft: number[] = [], value: number[] = [];
  const cover: number[] = [], gain: number[] = [];
  const add = (c: number) => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    defaultLeft.push(0);
    value.push(0);
    cover.push(c);
    gain.push(0);
    return feature.length - 1;
  };
  // Breadth-first so node order resembles a level-wise learner's.
  const queue: [number, number][] = [[add(1000 + Math.floor(rand() * 1000)), 0]];
  while (queue.length > 0) {
    const [n, depth] = queue.shift()!;
    const stop = depth >= o.maxDepth ||
      (!o.full && depth > 0 && rand() < (o.stopProb ?? 0.25)) || cover[n]! < 2;
    if (stop) {
      value[n] = Math.fround((rand() - 0.5) * 4);
      continue;
    }
    feature[n] = Math.floor(rand() * nFeatures);
    threshold[n] = gridValue(rand);
    defaultLeft[n] = rand() < 0.5 ? 1 : 0;
    gain[n] = rand() * 100;
    const cl = Math.max(1, Math.floor(cover[n]! * (0.1 + 0.8 * rand())));
    const l = add(cl), r = add(cover[n]! - cl);
    left[n] = l;
    right[n] = r;
    queue.push([l, depth + 1], [r, depth + 1]);
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    defaultLeft: Uint8Array.from(defaultLeft),
    value: Float32Array.from(value),
    cover: Float64Array.from(cover),
    gain: Float64Array.from(gain),
  };
}

export function randomEnsemble(
  seed: number,
  nTrees: number,
  nFeatures: number,
  o: RandomTreeOptions,
): TreeEnsemble {
  const rand = prng(seed);
  return {
    baseScore: 40 + rand() * 20,
    trees: Array.from({ length: nTrees }, () => randomTree(nFeatures, rand, o)),
    featureNames: Array.from({ length: nFeatures }, (_, j) => `f_${j}`),
  };
}

/** Rows from the threshold grid (so many hit thresholds exactly), with a share of NaN. */
export function randomMatrix(
  seed: number,
  nRows: number,
  names: string[],
  nanShare = 0.15,
): FeatureMatrix {
  const rand = prng(seed);
  const nCols = names.length;
  const data = new Float32Array(nRows * nCols);
  for (let k = 0; k < data.length; k++) {
    const u = rand();
    data[k] = u < nanShare ? NaN : u < 0.6 ? gridValue(rand) : (rand() - 0.5) * 16;
  }
  return { data, nRows, nCols, names };
}
