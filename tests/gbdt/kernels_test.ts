/**
 * The optimised kernels (histograms, split search, partitioning, tree growth with workers)
 * against the slow references of reference_kernels.ts: the same small hand-checked cases
 * run on both ([naive, fast], as pygbm's tests parametrize), then seeded random shapes
 * (missing values, one-row nodes, constant features, empty bins, unit and varying
 * hessians) on which the two must agree exactly, bit for bit.
 */
import assert from "node:assert/strict";
import { MISSING_BIN } from "../../src/gbdt/binning.ts";
import {
  buildGroupHistograms,
  FEATURE_STRIDE,
  GROUP_SIZE,
  subtractFeature,
} from "../../src/gbdt/histogram.ts";
import { partitionChunk } from "../../src/gbdt/partition.ts";
import { featureSplit, pickSplit, SPLIT_RECORD } from "../../src/gbdt/split.ts";
import {
  allocNodeArrays,
  C_ACTIVE,
  C_NACTIVE,
  F_GAMMA,
  F_LAMBDA,
  F_MCW,
  NodeJobs,
} from "../../src/gbdt/node_jobs.ts";
import { growTree, slotsNeeded } from "../../src/gbdt/grow.ts";
import type { GrownTree } from "../../src/gbdt/grown_tree.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";
import {
  type FeatureHistogram,
  naiveFeatureSplit,
  naiveGrowTree,
  naiveHistogram,
  naiveNodeSplit,
  naivePartition,
  naiveSample,
  naiveSubtract,
  type NodeRows,
  type ReferenceNode,
  type ReferenceSplit,
  type SplitRules,
} from "./reference_kernels.ts";

// ---- the fast kernels behind the reference signatures ----------------------------------

/** Row-major copy of column-major bins (the histogram kernel reads rows). */
function rowMajor(bins: Uint8Array, nRows: number, nCols: number): Uint8Array {
  const out = new Uint8Array(nRows * nCols);
  for (let j = 0; j < nCols; j++) {
    for (let i = 0; i < nRows; i++) out[i * nCols + j] = bins[j * nRows + i]!;
  }
  return out;
}

/** Histograms of `features` by buildGroupHistograms, `group` features per pass. */
function fastHistograms(
  node: NodeRows,
  nCols: number,
  nBins: Int32Array,
  features: Int32Array,
  group = GROUP_SIZE,
): Map<number, FeatureHistogram> {
  const hist = new Float64Array(nCols * FEATURE_STRIDE).fill(NaN); // untouched bins stay NaN
  const src = {
    bins: node.bins,
    rowBins: rowMajor(node.bins, node.nRows, nCols),
    nRows: node.nRows,
    nCols,
    rows: node.rows,
    grad: node.grad,
    hess: node.hess,
    // Unit hessians (half the random cases): the passes that do not read them.
    unitHess: node.hess.every((h) => h === 1),
    hist,
  };
  for (let k = 0; k < features.length; k += group) {
    const count = Math.min(group, features.length - k);
    buildGroupHistograms(src, features, k, count, nBins, node.start, node.end, 0);
  }
  return unpack(hist, nBins, features, 0);
}

function unpack(
  hist: Float64Array,
  nBins: Int32Array,
  features: Int32Array,
  base: number,
): Map<number, FeatureHistogram> {
  const out = new Map<number, FeatureHistogram>();
  for (const f of features) {
    const grad = new Float64Array(MISSING_BIN + 1), hess = new Float64Array(MISSING_BIN + 1);
    const o = base + f * FEATURE_STRIDE;
    for (const b of [...Array(nBins[f]!).keys(), MISSING_BIN]) {
      grad[b] = hist[o + 2 * b]!;
      hess[b] = hist[o + 2 * b + 1]!;
    }
    out.set(f, { grad, hess });
  }
  return out;
}

function pack(h: FeatureHistogram): Float64Array {
  const out = new Float64Array(FEATURE_STRIDE);
  for (let b = 0; b <= MISSING_BIN; b++) {
    out[2 * b] = h.grad[b]!;
    out[2 * b + 1] = h.hess[b]!;
  }
  return out;
}

function readRecord(out: Float64Array, r: number, feature: number): ReferenceSplit {
  return {
    feature,
    bin: out[r + 1]!,
    defaultLeft: out[r + 2] === 1,
    gain: out[r]!,
    gradLeft: out[r + 3]!,
    hessLeft: out[r + 4]!,
    gradRight: out[r + 5]!,
    hessRight: out[r + 6]!,
  };
}

function fastFeatureSplit(
  h: FeatureHistogram,
  nb: number,
  G: number,
  H: number,
  rules: SplitRules,
  feature: number,
): ReferenceSplit {
  const out = new Float64Array(SPLIT_RECORD);
  featureSplit(pack(h), 0, nb, G, H, rules, out, 0);
  return out[0]! < 0 ? naiveFeatureSplit(h, 0, G, H, rules, -1) : readRecord(out, 0, feature);
}

function fastNodeSplit(
  hists: Map<number, FeatureHistogram>,
  nBins: Int32Array,
  features: Int32Array,
  G: number,
  H: number,
  rules: SplitRules,
): ReferenceSplit {
  const nCols = Math.max(...features) + 1;
  const out = new Float64Array(nCols * SPLIT_RECORD);
  for (const f of features) {
    featureSplit(pack(hists.get(f)!), 0, nBins[f]!, G, H, rules, out, f * SPLIT_RECORD);
  }
  const s = pickSplit(out, 0, features, features.length);
  return s.feature < 0 ? naiveFeatureSplit(hists.get(features[0]!)!, 0, G, H, rules, -1) : s;
}

function fastPartition(node: NodeRows, feature: number, bin: number, missingLeft: boolean) {
  const rows = node.rows.slice(), tmp = new Uint32Array(rows.length);
  const nl = partitionChunk(
    rows,
    tmp,
    node.bins,
    feature * node.nRows,
    bin,
    missingLeft ? 1 : 0,
    node.start,
    node.end,
  );
  return {
    left: Array.from(rows.subarray(node.start, node.start + nl)),
    right: Array.from(tmp.subarray(node.start, node.start + (node.end - node.start - nl))),
  };
}

const HIST = { naive: naiveHistogramsOf, fast: fastHistograms };
function naiveHistogramsOf(
  node: NodeRows,
  _nCols: number,
  _nBins: Int32Array,
  features: Int32Array,
) {
  return new Map([...features].map((f) => [f, naiveHistogram(node, f)] as const));
}
const FEATURE_SPLIT = { naive: naiveFeatureSplit, fast: fastFeatureSplit };
const PARTITION = { naive: naivePartition, fast: fastPartition };

// ---- hand-checked cases, run on both implementations ----------------------------------

/** 6 rows, 2 features; feature 1 has a missing value (row 4) and an empty bin (1). */
function small(): NodeRows & { nCols: number; nBins: Int32Array } {
  const nRows = 6;
  const f0 = [0, 1, 2, 0, 1, 2], f1 = [0, 2, 2, 0, MISSING_BIN, 3];
  return {
    bins: Uint8Array.from([...f0, ...f1]),
    nRows,
    nCols: 2,
    nBins: Int32Array.of(3, 4),
    rows: Uint32Array.from([0, 1, 2, 3, 4, 5]),
    start: 0,
    end: 6,
    grad: Float32Array.of(-2, -1, 3, -2, 0.5, 4),
    hess: Float32Array.of(1, 1, 1, 1, 1, 2),
  };
}

for (const [name, build] of Object.entries(HIST)) {
  Deno.test(`histogram (${name}): per-bin sums of a segment, missing values in their own bin`, () => {
    const n = small();
    const h = build({ ...n, start: 1, end: 6 }, n.nCols, n.nBins, Int32Array.of(0, 1));
    // Rows 1..5. Feature 0: bin 0 <- row 3; bin 1 <- rows 1, 4; bin 2 <- rows 2, 5.
    assert.deepEqual([...h.get(0)!.grad.subarray(0, 3)], [-2, -0.5, 7]);
    assert.deepEqual([...h.get(0)!.hess.subarray(0, 3)], [1, 2, 3]);
    assert.equal(h.get(0)!.hess[MISSING_BIN], 0);
    // Feature 1: bin 0 <- row 3; bin 1 empty; bin 2 <- rows 1, 2; bin 3 <- row 5; missing <- 4.
    assert.deepEqual([...h.get(1)!.grad.subarray(0, 4)], [-2, 0, 2, 4]);
    assert.deepEqual([...h.get(1)!.hess.subarray(0, 4)], [1, 0, 2, 2]);
    assert.equal(h.get(1)!.grad[MISSING_BIN], 0.5);
    assert.equal(h.get(1)!.hess[MISSING_BIN], 1);
  });
}

for (const [name, split] of Object.entries(FEATURE_SPLIT)) {
  const hist = (g: number[], h: number[], gm = 0, hm = 0): FeatureHistogram => {
    const grad = new Float64Array(MISSING_BIN + 1), hess = new Float64Array(MISSING_BIN + 1);
    grad.set(g);
    hess.set(h);
    grad[MISSING_BIN] = gm;
    hess[MISSING_BIN] = hm;
    return { grad, hess };
  };
  const rules = { lambda: 1, minChildWeight: 1, gamma: 0 };

  Deno.test(`split (${name}): the gain of equation 7 picks the separating bin`, () => {
    // Bins: (g, h) = (-4, 2), (-4, 2), (6, 3), (2, 1); G = 0, H = 8.
    const s = split(hist([-4, -4, 6, 2], [2, 2, 3, 1]), 4, 0, 8, rules, 3);
    assert.equal(s.feature, 3);
    assert.equal(s.bin, 1);
    assert.equal(s.gain, 64 / 5 + 64 / 5);
    assert.deepEqual([s.gradLeft, s.hessLeft, s.gradRight, s.hessRight], [-8, 4, 8, 4]);
    assert.equal(
      s.defaultLeft,
      true,
      "no missing values: default to the heavier side (a tie: left)",
    );
  });

  Deno.test(`split (${name}): missing values go to the side that gains more`, () => {
    // Values: bin 0 (-3, 1), bin 1 (3, 1); missing (-3, 1) belongs with bin 0.
    const left = split(hist([-3, 3], [1, 1], -3, 1), 2, -3, 3, rules, 0);
    assert.equal(left.bin, 0);
    assert.equal(left.defaultLeft, true);
    assert.deepEqual([left.gradLeft, left.hessLeft], [-6, 2]);
    // Missing (3, 1) belongs with bin 1.
    const right = split(hist([-3, 3], [1, 1], 3, 1), 2, 3, 3, rules, 0);
    assert.equal(right.bin, 0);
    assert.equal(right.defaultLeft, false);
    assert.deepEqual([right.gradLeft, right.hessLeft], [-3, 1]);
    // All values on one side, missing on the other: the last bin is a candidate too.
    const last = split(hist([-1, -1], [1, 1], 5, 1), 2, 3, 3, rules, 0);
    assert.equal(last.bin, 1);
    assert.equal(last.defaultLeft, false);
  });

  Deno.test(`split (${name}): min_child_weight, lambda and gamma are respected`, () => {
    const h = hist([-4, 1, 1, 2], [1, 3, 3, 3]);
    assert.equal(split(h, 4, 0, 10, rules, 0).bin, 0);
    // Each side needs hessian >= 2: bin 0 (h = 1) is out, the best left is bins 0..1.
    const mcw = split(h, 4, 0, 10, { ...rules, minChildWeight: 2 }, 0);
    assert.equal(mcw.bin, 1);
    assert.ok(mcw.hessLeft >= 2 && mcw.hessRight >= 2);
    // Lambda shrinks every term: gain 16/(1+λ) + 16/(9+λ) at bin 0.
    assert.equal(split(h, 4, 0, 10, { ...rules, lambda: 3 }, 0).gain, 16 / 4 + 16 / 12);
    // Gamma above the best gain: no split.
    const best = split(h, 4, 0, 10, rules, 0).gain;
    assert.equal(split(h, 4, 0, 10, { ...rules, gamma: best }, 0).feature, -1);
    assert.equal(split(h, 4, 0, 10, { ...rules, gamma: best * 0.99 }, 0).feature, 0);
  });

  Deno.test(`split (${name}): a constant feature or a single row has no split`, () => {
    assert.equal(split(hist([5], [3]), 1, 5, 3, rules, 0).feature, -1);
    assert.equal(
      split(hist([0, 2, 0], [0, 1, 0]), 3, 2, 1, { ...rules, minChildWeight: 0 }, 0).feature,
      -1,
    );
    // Only missing values: nothing to separate them from.
    assert.equal(split(hist([0, 0], [0, 0], 4, 2), 2, 4, 2, rules, 0).feature, -1);
  });
}

for (const [name, part] of Object.entries(PARTITION)) {
  Deno.test(`partition (${name}): stable, missing values follow the default`, () => {
    const n = small();
    // Feature 1, bins <= 2 left: rows 0, 1, 2, 3 left; 5 right; 4 (missing) by default.
    assert.deepEqual(part(n, 1, 2, true), { left: [0, 1, 2, 3, 4], right: [5] });
    assert.deepEqual(part(n, 1, 2, false), { left: [0, 1, 2, 3], right: [4, 5] });
    assert.deepEqual(part({ ...n, start: 2, end: 5 }, 0, 0, false), { left: [3], right: [2, 4] });
    assert.deepEqual(part({ ...n, start: 5, end: 6 }, 0, 1, false), { left: [], right: [5] });
  });
}

// ---- random shapes: fast == naive, exactly ---------------------------------------------

interface Case extends NodeRows {
  nCols: number;
  nBins: Int32Array;
  features: Int32Array;
}

/**
 * A seeded random node: 1..3000 rows drawn from a larger matrix, 1..9 features (some
 * constant, some all missing, some with most bins empty), missing rates 0..100%, unit or
 * varying hessians, one-row nodes now and then. Larger `maxRows` reach the parallel paths
 * (node jobs shared with a worker, partitions in chunks).
 */
function randomCase(seed: number, maxRows = 3000): Case {
  const rng = new Pcg32(seed, 77);
  const u = () => rng.nextFloat();
  const nRows = 1 + rng.nextInt(u() < 0.2 && maxRows <= 3000 ? 4 : maxRows);
  const nCols = 1 + rng.nextInt(9);
  const nBins = new Int32Array(nCols), bins = new Uint8Array(nRows * nCols);
  for (let j = 0; j < nCols; j++) {
    const kind = u();
    const nb = kind < 0.15 ? 1 : kind < 0.3 ? 2 + rng.nextInt(4) : 2 + rng.nextInt(254);
    nBins[j] = nb;
    // A few used bins only (empty bins between them), or all of them.
    const used = Array.from({ length: 1 + rng.nextInt(u() < 0.5 ? 6 : nb) }, () => rng.nextInt(nb));
    const missing = [0, 0, 0.05, 0.3, 1][rng.nextInt(5)]!;
    for (let i = 0; i < nRows; i++) {
      bins[j * nRows + i] = u() < missing ? MISSING_BIN : used[rng.nextInt(used.length)]!;
    }
  }
  const grad = new Float32Array(nRows), hess = new Float32Array(nRows);
  const unitHess = u() < 0.5;
  for (let i = 0; i < nRows; i++) {
    grad[i] = (u() - 0.5) * 20;
    hess[i] = unitHess ? 1 : 0.01 + u() * 2;
  }
  // The node: a random ascending subset of the rows in the middle of the rows array.
  const chosen: number[] = [];
  const rate = u() < 0.1 ? 0 : u();
  for (let i = 0; i < nRows; i++) if (u() < rate) chosen.push(i);
  if (chosen.length === 0) chosen.push(rng.nextInt(nRows));
  const pad = rng.nextInt(5);
  const rows = new Uint32Array(chosen.length + 2 * pad).fill(nRows - 1);
  rows.set(chosen, pad);
  const features = Int32Array.from([...Array(nCols).keys()].filter(() => u() < 0.8));
  if (features.length === 0) return randomCase(seed + 100_000, maxRows);
  return {
    bins,
    nRows,
    nCols,
    nBins,
    rows,
    start: pad,
    end: pad + chosen.length,
    grad,
    hess,
    features,
  };
}

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

function totals(c: NodeRows): [number, number] {
  let G = 0, H = 0;
  for (let i = c.start; i < c.end; i++) {
    G += c.grad[c.rows[i]!]!;
    H += c.hess[c.rows[i]!]!;
  }
  return [G, H];
}

function sameHistograms(
  a: Map<number, FeatureHistogram>,
  b: Map<number, FeatureHistogram>,
  c: Case,
  what: string,
) {
  for (const f of c.features) {
    for (const bin of [...Array(c.nBins[f]!).keys(), MISSING_BIN]) {
      assert.equal(
        a.get(f)!.grad[bin],
        b.get(f)!.grad[bin],
        `${what}: grad of feature ${f} bin ${bin}`,
      );
      assert.equal(
        a.get(f)!.hess[bin],
        b.get(f)!.hess[bin],
        `${what}: hess of feature ${f} bin ${bin}`,
      );
    }
  }
}

Deno.test("random nodes: histograms and their subtraction agree exactly with the reference", () => {
  for (const seed of SEEDS) {
    const c = randomCase(seed);
    sameHistograms(
      fastHistograms(c, c.nCols, c.nBins, c.features, 1 + (seed % GROUP_SIZE)),
      HIST.naive(c, c.nCols, c.nBins, c.features),
      c,
      `seed ${seed}`,
    );
    // A child (first half of the node) subtracted from the node, both ways.
    const child = { ...c, end: c.start + ((c.end - c.start) >> 1) };
    const parentHist = new Float64Array(c.nCols * FEATURE_STRIDE),
      childHist = new Float64Array(c.nCols * FEATURE_STRIDE);
    for (const f of c.features) {
      parentHist.set(pack(naiveHistogram(c, f)), f * FEATURE_STRIDE);
      childHist.set(pack(naiveHistogram(child, f)), f * FEATURE_STRIDE);
    }
    const both = new Float64Array(2 * c.nCols * FEATURE_STRIDE);
    both.set(parentHist, 0);
    both.set(childHist, c.nCols * FEATURE_STRIDE);
    for (const f of c.features) {
      subtractFeature(both, f * FEATURE_STRIDE, (c.nCols + f) * FEATURE_STRIDE, c.nBins[f]!);
    }
    const naive = new Map(
      [...c.features].map((f) =>
        [f, naiveSubtract(naiveHistogram(c, f), naiveHistogram(child, f))] as const
      ),
    );
    sameHistograms(unpack(both, c.nBins, c.features, 0), naive, c, `seed ${seed}, subtraction`);
  }
});

Deno.test("random nodes: split search agrees exactly with the reference (every rule combination)", () => {
  const ruleSets: SplitRules[] = [
    { lambda: 1, minChildWeight: 1, gamma: 0 },
    { lambda: 0, minChildWeight: 0, gamma: 0 },
    { lambda: 5, minChildWeight: 3, gamma: 0 },
    { lambda: 1, minChildWeight: 0.5, gamma: 2 },
    { lambda: 0.1, minChildWeight: 20, gamma: 50 },
  ];
  let splits = 0;
  for (const seed of SEEDS) {
    const c = randomCase(seed);
    const hists = naiveHistogramsOf(c, c.nCols, c.nBins, c.features);
    const [G, H] = totals(c);
    for (const rules of ruleSets) {
      for (const f of c.features) {
        const want = naiveFeatureSplit(hists.get(f)!, c.nBins[f]!, G, H, rules, f);
        assert.deepEqual(
          fastFeatureSplit(hists.get(f)!, c.nBins[f]!, G, H, rules, f),
          want,
          `seed ${seed}, feature ${f}`,
        );
      }
      const want = naiveNodeSplit(hists, c.nBins, c.features, G, H, rules);
      assert.deepEqual(
        fastNodeSplit(hists, c.nBins, c.features, G, H, rules),
        want,
        `seed ${seed}`,
      );
      if (want.feature >= 0) splits++;
    }
  }
  assert.ok(splits > 300, `only ${splits} cases had a split`);
});

Deno.test("random nodes: partitions agree exactly with the reference", () => {
  for (const seed of SEEDS) {
    const c = randomCase(seed);
    const rng = new Pcg32(seed, 5);
    for (let k = 0; k < 4; k++) {
      const f = c.features[rng.nextInt(c.features.length)]!;
      const bin = rng.nextInt(c.nBins[f]!), missingLeft = rng.nextU32() % 2 === 0;
      assert.deepEqual(
        fastPartition(c, f, bin, missingLeft),
        naivePartition(c, f, bin, missingLeft),
        `seed ${seed}`,
      );
    }
  }
});

// ---- whole trees: the grower with its jobs and workers against the reference grower ----

/** The grown tree as nested nodes, as the reference grower returns them (rows aside). */
function nested(g: GrownTree, node = 0): ReferenceNode {
  const t = g.tree;
  if (t.feature[node]! < 0) return { leaf: true, value: t.value[node]!, rows: [] };
  return {
    leaf: false,
    feature: t.feature[node]!,
    bin: g.splitBin[node]!,
    defaultLeft: t.defaultLeft[node] === 1,
    gain: t.gain[node]!,
    left: nested(g, t.left[node]!),
    right: nested(g, t.right[node]!),
  };
}

function dropRows(n: ReferenceNode): ReferenceNode {
  return n.leaf ? { ...n, rows: [] } : { ...n, left: dropRows(n.left), right: dropRows(n.right) };
}

async function fastTree(
  c: Case,
  rules: Parameters<typeof growTree>[4],
  threads: number,
  byLevel = true,
) {
  const n = c.end - c.start;
  // Few slots: depth-first, one node at a time.
  const nSlots = byLevel ? slotsNeeded(rules, c.nCols) : rules.maxDepth + 2;
  const a = allocNodeArrays(c.nRows, c.nCols, nSlots, threads > 1);
  a.bins.set(c.bins);
  a.rowBins.set(rowMajor(c.bins, c.nRows, c.nCols));
  a.grad.set(c.grad);
  a.hess.set(c.hess);
  a.unitHess = c.hess.every((h) => h === 1);
  a.rows.set(c.rows.subarray(c.start, c.end));
  a.nBins.set(c.nBins);
  a.params[F_LAMBDA] = rules.lambda;
  a.params[F_MCW] = rules.minChildWeight;
  a.params[F_GAMMA] = rules.gamma;
  a.control.set(c.features, C_ACTIVE);
  a.control[C_NACTIVE] = c.features.length;
  const jobs = new NodeJobs(a, threads);
  await jobs.start();
  try {
    const [G, H] = totals(c);
    // Cut values only label the thresholds: bin k's upper cut is k.
    const cuts = {
      cuts: [...c.nBins].map((nb) => Float32Array.from({ length: nb - 1 }, (_, k) => k)),
    };
    return growTree(
      { jobs, cuts, nBins: a.nBins, nSlots },
      n,
      G,
      H,
      rules,
    );
  } finally {
    jobs.close();
  }
}

Deno.test("random data: grown trees equal the reference grower's, by level and depth-first, 1 and 2 threads", async () => {
  let splits = 0;
  for (const seed of SEEDS.slice(0, 60)) {
    const c = randomCase(seed, seed % 10 === 0 ? 100_000 : 3000);
    const rules = {
      lambda: [1, 0, 3][seed % 3]!,
      minChildWeight: [1, 0, 5][seed % 3]!,
      gamma: [0, 0, 1][seed % 3]!,
      maxDepth: 1 + (seed % 7),
      maxLeaves: 0,
      learningRate: 0.3,
    };
    const want = dropRows(naiveGrowTree(c, c.nBins, c.features, rules));
    if (!want.leaf) splits++;
    for (const [threads, byLevel] of [[1, true], [2, true], [1, false], [2, false]] as const) {
      assert.deepEqual(
        nested(await fastTree(c, rules, threads, byLevel)),
        want,
        `seed ${seed}, ${threads} threads, ${byLevel ? "by level" : "depth-first"}`,
      );
    }
  }
  assert.ok(splits > 30, `only ${splits} of 60 trees had a split`);
});

Deno.test("Pcg32.advance(k) lands where k draws land", () => {
  for (const k of [0, 1, 2, 3, 1000, 4096, 123_457]) {
    const a = new Pcg32(11, 3), b = new Pcg32(11, 3);
    for (let i = 0; i < k; i++) a.nextU32();
    b.advance(k);
    assert.deepEqual(b.getState(), a.getState(), `k ${k}`);
    assert.equal(b.nextU32(), a.nextU32());
  }
});

Deno.test("Pcg32.fillU32 draws exactly what nextU32 draws, and leaves the same state", () => {
  for (const [seed, n] of [[0, 1], [7, 5], [2 ** 40 + 3, 10_000]] as const) {
    const a = new Pcg32(seed), b = new Pcg32(seed);
    const out = new Uint32Array(n + 2);
    b.fillU32(out, 1, n + 1);
    const want = Array.from({ length: n }, () => a.nextU32());
    assert.deepEqual(Array.from(out.subarray(1, n + 1)), want, `seed ${seed}`);
    assert.equal(out[0], 0);
    assert.equal(out[n + 1], 0);
    assert.deepEqual(b.getState(), a.getState());
  }
});

Deno.test("row draws by the jobs (chunks, 1 and 2 threads) equal one generator drawing row by row", async () => {
  for (
    const [nRows, rate] of [[1, 0.5], [7, 0.8], [40_001, 0.8], [100_000, 0.1], [50_000, 1]] as const
  ) {
    const want = naiveSample(new Pcg32(5), nRows, Math.round(rate * 65536));
    const expected = rate >= 1 ? [...Array(nRows).keys()] : [...want.kept, ...want.others];
    for (const threads of [1, 2]) {
      const a = allocNodeArrays(nRows, 1, 1, threads > 1);
      const jobs = new NodeJobs(a, threads);
      await jobs.start();
      try {
        const rng = new Pcg32(5);
        const n = jobs.sample(rng, rate);
        assert.equal(n, rate >= 1 ? nRows : want.kept.length, `${nRows} rows, ${threads} threads`);
        assert.deepEqual(Array.from(a.rows), expected, `${nRows} rows, ${threads} threads`);
        // The generator moved on as if it had drawn itself (one draw per two rows).
        const ref = new Pcg32(5);
        if (rate < 1) { for (let i = 0; i < nRows; i += 2) ref.nextU32(); }
        assert.equal(rng.nextU32(), ref.nextU32());
      } finally {
        jobs.close();
      }
    }
  }
});
