/**
 * Seeded random tree ensembles for tests and the benchmark: trees grown on random data so
 * that covers are real row counts (children sum to the parent), features repeat along
 * paths, and missing values follow a random default branch.
 */
import type { Tree, TreeEnsemble } from "../../src/gbdt/tree.ts";

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random rows, row-major: a share `missing` of NaN, every third feature on a 0..9 grid. */
export function randomRows(
  rand: () => number,
  nRows: number,
  nFeatures: number,
  missing = 0.1,
): Float32Array {
  const x = new Float32Array(nRows * nFeatures);
  for (let i = 0; i < x.length; i++) {
    const j = i % nFeatures;
    x[i] = rand() < missing ? NaN : j % 3 === 0 ? Math.floor(rand() * 10) : rand();
  }
  return x;
}

export interface RandomEnsembleOptions {
  nTrees: number;
  nFeatures: number;
  maxDepth: number;
  /** Rows the trees are grown on (covers are their counts). */
  nRows?: number;
  /** Chance to stop early at an internal node, for unbalanced trees. */
  pStop?: number;
  missing?: number;
}

export function randomEnsemble(rand: () => number, o: RandomEnsembleOptions): TreeEnsemble {
  const nRows = o.nRows ?? 2000, F = o.nFeatures;
  const x = randomRows(rand, nRows, F, o.missing ?? 0.1);
  const trees: Tree[] = [];
  for (let t = 0; t < o.nTrees; t++) {
    const feature: number[] = [], threshold: number[] = [], left: number[] = [];
    const right: number[] = [], defaultLeft: number[] = [], value: number[] = [];
    const cover: number[] = [];
    const grow = (rows: number[], depth: number): number => {
      const n = feature.length;
      feature.push(-1), threshold.push(0), left.push(-1), right.push(-1);
      defaultLeft.push(0), value.push(0), cover.push(rows.length);
      const makeLeaf = () => {
        value[n] = Math.fround((rand() * 2 - 1) * 10);
        return n;
      };
      if (depth >= o.maxDepth || rows.length < 4 || rand() < (o.pStop ?? 0)) return makeLeaf();
      for (let attempt = 0; attempt < 5; attempt++) {
        const f = Math.floor(rand() * F);
        const vals = rows.map((r) => x[r * F + f]!).filter((v) => !Number.isNaN(v));
        if (vals.length < 2) continue;
        const thr = vals[Math.floor(rand() * vals.length)]!;
        const dl = rand() < 0.5;
        const l: number[] = [], r: number[] = [];
        for (const i of rows) {
          const v = x[i * F + f]!;
          (Number.isNaN(v) ? dl : v < thr) ? l.push(i) : r.push(i);
        }
        if (l.length === 0 || r.length === 0) continue;
        feature[n] = f, threshold[n] = thr, defaultLeft[n] = dl ? 1 : 0;
        left[n] = grow(l, depth + 1);
        right[n] = grow(r, depth + 1);
        return n;
      }
      return makeLeaf();
    };
    grow(Array.from({ length: nRows }, (_, i) => i), 0);
    trees.push({
      feature: Int32Array.from(feature),
      threshold: Float32Array.from(threshold),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      defaultLeft: Uint8Array.from(defaultLeft),
      value: Float32Array.from(value),
      cover: Float64Array.from(cover),
      gain: new Float64Array(feature.length),
    });
  }
  return {
    baseScore: rand() * 100,
    trees,
    featureNames: Array.from({ length: F }, (_, j) => `x${j}`),
  };
}
