/**
 * Exact path-dependent TreeSHAP (Lundberg et al. 2020, "From local explanations to global
 * understanding with explainable AI for trees", Algorithm 2 semantics), computed per leaf
 * with precomputed subset tables in the manner of Fast TreeSHAP v2 (Yang 2021).
 *
 * The game. For a leaf l with value v, let P be the distinct features split on along its
 * path. For feature j in P: z_j = product of cover(child)/cover(parent) over the path's
 * splits on j (the share of training rows that took the path's branches), o_j = 1 when the
 * row takes every one of those branches, else 0. Conditioning on a set S ⊆ P, the leaf adds
 * v · Π_{j∈S} o_j · Π_{j∈P\S} z_j to the path-dependent expectation E[f | x_S]. Shapley values
 * are linear, so a tree's SHAP values are the sum over its leaves of each leaf's game.
 *
 * For one leaf with d = |P| players, write the generating polynomial
 * G(t) = Π_{j∈P} (z_j + o_j t) and W_n(Q) = Σ_k Q_k · k!(n-1-k)!/n!. Then
 *
 *     φ_i = v (o_i - z_i) W_d(G / (z_i + o_i t))                        (SHAP value)
 *     φ_ij = v/2 (o_i - z_i)(o_j - z_j) W_{d-1}(G / ((z_i + o_i t)(z_j + o_j t)))  (i ≠ j)
 *
 * the second being the Shapley interaction index, which is what XGBoost's
 * `pred_interactions` computes (diagonal = φ_i - Σ_{j≠i} φ_ij).
 *
 * Speed. Both depend on the row only through A = {j : o_j = 1}. With
 * H(S) = v Π_{j∉S} z_j W_d(Π_{j∈S}(z_j + t)) the SHAP value is φ_i = r_i H(A \ {i}) where
 * r_i = (o_i - z_i)/z_i, so a table of H over the 2^d subsets turns a leaf into d lookups;
 * K(S) (the same with W_{d-1}) gives φ_ij = r_i r_j K(A \ {i,j}) / 2. Per row and tree the
 * work is one pass over the internal nodes (A as a bitmask per node) plus O(d) per leaf
 * (O(d²) for interactions), against O(leaves · d²) for Algorithm 2. Leaves whose table
 * would exceed the memory budget use the polynomial formulas directly (O(d²) per leaf).
 *
 * No Deno or Node API: the pipeline, the endpoint and the browser share this module.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";

/** Paths may split on at most this many distinct features (the subset masks are int32). */
export const MAX_PATH_FEATURES = 30;

export interface TreeExplainerOptions {
  /**
   * Memory for the precomputed SHAP tables, in bytes (8 per entry, 2^d entries for a leaf
   * whose path has d distinct features). Leaves with the fewest path features get tables
   * first; the others are computed directly (exact too, a few times slower). The same budget
   * again applies to the interaction tables, built on the first interaction request.
   * Default 64 MiB; 0 disables the tables.
   */
  maxTableBytes?: number;
}

/** A tree compiled for explanation: nodes in preorder, leaves with their path players. */
interface PathTree {
  /** Internal node ids in preorder (a parent before its children). */
  internal: Int32Array;
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  defaultLeft: Uint8Array;
  /** Per internal node: the bit of its feature among the distinct features above and at it. */
  bit: Int32Array;
  /** Leaf node ids in preorder. */
  leaf: Int32Array;
  leafValue: Float64Array;
  /** Per leaf: number of distinct path features d, and offset of its players in `pathFeature`. */
  leafD: Int32Array;
  leafOffset: Int32Array;
  pathFeature: Int32Array;
  pathZ: Float64Array;
  /** (1 - z) / z per player: r_i when o_i = 1. */
  pathR: Float64Array;
  /** Per leaf: offset of its H table in `shapTable`, -1 when computed directly. */
  shapOffset: Int32Array;
  shapTable: Float64Array;
  /** Per leaf: offset of its K table in `pairTable`, -1 when computed directly. */
  pairOffset: Int32Array;
  pairTable: Float64Array;
  nNodes: number;
}

/** Shapley weights: WEIGHTS[n * STRIDE + k] = k!(n-1-k)!/n! for n players, subset size k. */
const STRIDE = MAX_PATH_FEATURES + 1;
const WEIGHTS = (() => {
  const w = new Float64Array(STRIDE * STRIDE);
  for (let n = 1; n <= MAX_PATH_FEATURES; n++) {
    // k!(n-1-k)!/n! = 1 / (n · C(n-1, k))
    let c = 1;
    for (let k = 0; k < n; k++) {
      w[n * STRIDE + k] = 1 / (n * c);
      c = c * (n - 1 - k) / (k + 1);
    }
  }
  return w;
})();

/** Ascending-d leaf selection under a budget of table entries. */
function tableCutoff(counts: number[], budgetEntries: number): number {
  let used = 0, cut = 0;
  for (let d = 1; d < counts.length && d <= MAX_PATH_FEATURES; d++) {
    used += counts[d]! * 2 ** d;
    if (used > budgetEntries) break;
    cut = d;
  }
  return cut;
}

function compileTree(model: TreeEnsemble, t: number): PathTree {
  const tree = model.trees[t]!;
  const n = tree.feature.length;
  const internal: number[] = [], leaves: number[] = [];
  const bit = new Int32Array(n);
  const leafValue: number[] = [], leafD: number[] = [], leafOffset: number[] = [];
  const pathFeature: number[] = [], pathZ: number[] = [];
  // Depth-first with explicit per-node path state: distinct features and their z products.
  const stack: { node: number; feats: number[]; zs: number[] }[] = [
    { node: 0, feats: [], zs: [] },
  ];
  while (stack.length > 0) {
    const { node, feats, zs } = stack.pop()!;
    if (node < 0 || node >= n) {
      throw new RangeError(`Cannot explain tree ${t}: child index ${node} is outside 0..${n - 1}`);
    }
    const f = tree.feature[node]!;
    if (f < 0) {
      leaves.push(node);
      leafValue.push(tree.value[node]!);
      leafD.push(feats.length);
      leafOffset.push(pathFeature.length);
      pathFeature.push(...feats);
      pathZ.push(...zs);
      continue;
    }
    if (f >= model.featureNames.length) {
      throw new RangeError(
        `Cannot explain tree ${t}: node ${node} splits on feature ${f}; the model has ${model.featureNames.length}`,
      );
    }
    internal.push(node);
    let b = feats.indexOf(f);
    if (b < 0) {
      b = feats.length;
      if (b >= MAX_PATH_FEATURES) {
        throw new RangeError(
          `Cannot explain tree ${t}: a path splits on more than ${MAX_PATH_FEATURES} distinct features`,
        );
      }
    }
    bit[node] = b;
    const cover = tree.cover[node]!;
    // Right pushed first so the left subtree comes first in preorder.
    for (const child of [tree.right[node]!, tree.left[node]!]) {
      const c = tree.cover[child]!;
      if (!(cover > 0 && c > 0)) {
        throw new RangeError(
          `Cannot explain tree ${t}: nodes ${node} and ${child} have covers ${cover} and ${c}; TreeSHAP needs positive covers`,
        );
      }
      const f2 = feats.slice(), z2 = zs.slice();
      if (b === feats.length) {
        f2.push(f);
        z2.push(c / cover);
      } else z2[b] = z2[b]! * (c / cover);
      stack.push({ node: child, feats: f2, zs: z2 });
    }
  }
  const nLeaves = leaves.length;
  return {
    internal: Int32Array.from(internal),
    feature: tree.feature,
    threshold: tree.threshold,
    left: tree.left,
    right: tree.right,
    defaultLeft: tree.defaultLeft,
    bit,
    leaf: Int32Array.from(leaves),
    leafValue: Float64Array.from(leafValue),
    leafD: Int32Array.from(leafD),
    leafOffset: Int32Array.from(leafOffset),
    pathFeature: Int32Array.from(pathFeature),
    pathZ: Float64Array.from(pathZ),
    pathR: Float64Array.from(pathZ, (z) => (1 - z) / z),
    shapOffset: new Int32Array(nLeaves).fill(-1),
    shapTable: new Float64Array(0),
    pairOffset: new Int32Array(nLeaves).fill(-1),
    pairTable: new Float64Array(0),
    nNodes: n,
  };
}

/**
 * Fill `table[off + S]` = v Π_{j∉S} z_j W_n(Π_{j∈S}(z_j + t)) for every subset S of the d
 * players, with n = d (SHAP) or d - 1 (interactions). Subsets whose polynomial degree
 * reaches n are never looked up and are left at 0.
 */
function fillTable(
  table: Float64Array,
  off: number,
  v: number,
  z: Float64Array,
  zOff: number,
  d: number,
  players: number,
): void {
  const size = 1 << d, full = size - 1, stride = d + 1;
  const poly = new Float64Array(size * stride);
  const prodZ = new Float64Array(size);
  poly[0] = 1;
  prodZ[0] = 1;
  const deg = new Int32Array(size);
  for (let s = 1; s < size; s++) {
    const low = s & -s, b = 31 - Math.clz32(low), p = s ^ low, zb = z[zOff + b]!;
    const k = deg[p]! + 1;
    deg[s] = k;
    prodZ[s] = prodZ[p]! * zb;
    // poly[s] = poly[p] · (z_b + t)
    const ps = p * stride, ss = s * stride;
    poly[ss + k] = poly[ps + k - 1]!;
    for (let j = k - 1; j > 0; j--) poly[ss + j] = poly[ps + j]! * zb + poly[ps + j - 1]!;
    poly[ss] = poly[ps]! * zb;
  }
  const wOff = players * STRIDE;
  for (let s = 0; s < size; s++) {
    const k = deg[s]!;
    if (k >= players) continue;
    let w = 0;
    for (let j = 0; j <= k; j++) w += poly[s * stride + j]! * WEIGHTS[wOff + j]!;
    table[off + s] = v * prodZ[full ^ s]! * w;
  }
}

function buildTables(trees: PathTree[], maxBytes: number, pairs: boolean): void {
  const counts: number[] = new Array(MAX_PATH_FEATURES + 1).fill(0);
  for (const pt of trees) for (const d of pt.leafD) counts[d]!++;
  // Interaction tables are only useful for d >= 2; their entries cost the same.
  const cut = tableCutoff(pairs ? counts.map((c, d) => (d >= 2 ? c : 0)) : counts, maxBytes / 8);
  for (const pt of trees) {
    let total = 0;
    const offsets = pairs ? pt.pairOffset : pt.shapOffset;
    const minD = pairs ? 2 : 1;
    for (let l = 0; l < pt.leafD.length; l++) {
      const d = pt.leafD[l]!;
      if (d >= minD && d <= cut) {
        offsets[l] = total;
        total += 1 << d;
      }
    }
    const table = new Float64Array(total);
    for (let l = 0; l < pt.leafD.length; l++) {
      const off = offsets[l]!;
      if (off < 0) continue;
      const d = pt.leafD[l]!;
      fillTable(table, off, pt.leafValue[l]!, pt.pathZ, pt.leafOffset[l]!, d, pairs ? d - 1 : d);
    }
    if (pairs) pt.pairTable = table;
    else pt.shapTable = table;
  }
}

/** Divide the polynomial `p` (degree `deg`) by (z + t) into `q` (degree deg - 1). */
function divideLinear(p: Float64Array, deg: number, z: number, q: Float64Array): void {
  // Top-down synthetic division: the errors shrink by z <= 1 at each step.
  let carry = p[deg]!;
  for (let k = deg - 1; k >= 0; k--) {
    q[k] = carry;
    carry = p[k]! - z * carry;
  }
}

function weighted(q: Float64Array, deg: number, players: number): number {
  const wOff = players * STRIDE;
  let s = 0;
  for (let k = 0; k <= deg; k++) s += q[k]! * WEIGHTS[wOff + k]!;
  return s;
}

/**
 * A model prepared for explanation: build it once per model (the pipeline stage, the
 * endpoint at start-up, the browser page on load) and reuse it for every row.
 *
 * @example
 * ```ts
 * const explainer = new TreeExplainer(model);
 * const { values, expectedValue } = explainer.shapValues(matrix);
 * // expectedValue + Σ_j values[i * nFeatures + j] === predictRow(model, row i)
 * ```
 */
export class TreeExplainer {
  /** E[f(X)] under the training covers: the SHAP base value (includes the model's baseScore). */
  readonly expectedValue: number;
  readonly featureNames: readonly string[];
  readonly nFeatures: number;
  readonly #trees: PathTree[];
  readonly #maxTableBytes: number;
  #pairTablesBuilt = false;
  #mask: Int32Array;
  #poly: Float64Array;
  #quot: Float64Array;
  #quot2: Float64Array;
  #rowShap: Float64Array;

  constructor(model: TreeEnsemble, options: TreeExplainerOptions = {}) {
    const maxTableBytes = options.maxTableBytes ?? 64 * 1024 * 1024;
    if (!(maxTableBytes >= 0)) {
      throw new RangeError(
        `Cannot build TreeExplainer: maxTableBytes must be >= 0, got ${maxTableBytes}`,
      );
    }
    this.#maxTableBytes = maxTableBytes;
    this.featureNames = model.featureNames;
    this.nFeatures = model.featureNames.length;
    this.#trees = model.trees.map((_, t) => compileTree(model, t));
    let e = model.baseScore, maxNodes = 1;
    for (const pt of this.#trees) {
      maxNodes = Math.max(maxNodes, pt.nNodes);
      for (let l = 0; l < pt.leaf.length; l++) {
        let p = pt.leafValue[l]!;
        const o = pt.leafOffset[l]!;
        for (let j = 0; j < pt.leafD[l]!; j++) p *= pt.pathZ[o + j]!;
        e += p;
      }
    }
    this.expectedValue = e;
    buildTables(this.#trees, maxTableBytes, false);
    this.#mask = new Int32Array(maxNodes);
    this.#poly = new Float64Array(STRIDE + 1);
    this.#quot = new Float64Array(STRIDE + 1);
    this.#quot2 = new Float64Array(STRIDE + 1);
    this.#rowShap = new Float64Array(this.nFeatures);
  }

  /** Bytes held by the precomputed tables (SHAP, plus interactions once built). */
  get tableBytes(): number {
    let b = 0;
    for (const pt of this.#trees) b += pt.shapTable.byteLength + pt.pairTable.byteLength;
    return b;
  }

  /** Per node of `pt`: bit set j = the row takes the path's branches on path feature j. */
  #masks(pt: PathTree, x: ArrayLike<number>, o: number): Int32Array {
    const mask = this.#mask;
    const { internal, feature, threshold, left, right, defaultLeft, bit } = pt;
    mask[0] = -1;
    for (let k = 0; k < internal.length; k++) {
      const n = internal[k]!;
      const m = mask[n]!;
      const v = x[o + feature[n]!]!;
      const goLeft = v !== v ? defaultLeft[n] === 1 : v < threshold[n]!;
      const off = m & ~(1 << bit[n]!);
      if (goLeft) {
        mask[left[n]!] = m;
        mask[right[n]!] = off;
      } else {
        mask[right[n]!] = m;
        mask[left[n]!] = off;
      }
    }
    return mask;
  }

  /**
   * Add the SHAP values of the row at `x[o .. o + nFeatures)` to `out[outOffset ..]`
   * (accumulates: zero `out` first). The low-level kernel behind {@link shapValues}.
   */
  shapRowInto(x: ArrayLike<number>, o: number, out: Float64Array, outOffset: number): void {
    for (const pt of this.#trees) {
      const mask = this.#masks(pt, x, o);
      const { leaf, leafD, leafOffset, pathFeature, pathR, shapOffset, shapTable } = pt;
      for (let l = 0; l < leaf.length; l++) {
        const d = leafD[l]!;
        if (d === 0) continue;
        const a = mask[leaf[l]!]! & ((1 << d) - 1);
        const po = leafOffset[l]!, to = shapOffset[l]!;
        if (to < 0) {
          this.#shapLeafDirect(pt, l, a, out, outOffset);
          continue;
        }
        const h = shapTable[to + a]!;
        for (let b = 0; b < d; b++) {
          const bb = 1 << b, f = outOffset + pathFeature[po + b]!;
          if (a & bb) out[f] = out[f]! + pathR[po + b]! * shapTable[to + (a ^ bb)]!;
          else out[f] = out[f]! - h;
        }
      }
    }
  }

  /** G(t) = c · poly(t) for leaf l: poly over the satisfied players, c = v · Π z over the rest. */
  #leafPolynomial(pt: PathTree, l: number, a: number): [number, number] {
    const g = this.#poly, d = pt.leafD[l]!, po = pt.leafOffset[l]!;
    let c = pt.leafValue[l]!, deg = 0;
    g[0] = 1;
    for (let b = 0; b < d; b++) {
      const z = pt.pathZ[po + b]!;
      if (a & (1 << b)) {
        deg++;
        g[deg] = g[deg - 1]!;
        for (let k = deg - 1; k > 0; k--) g[k] = g[k]! * z + g[k - 1]!;
        g[0] = g[0]! * z;
      } else c *= z;
    }
    return [c, deg];
  }

  #shapLeafDirect(pt: PathTree, l: number, a: number, out: Float64Array, oo: number): void {
    const d = pt.leafD[l]!, po = pt.leafOffset[l]!;
    const [c, deg] = this.#leafPolynomial(pt, l, a);
    const g = this.#poly, q = this.#quot;
    // Players not taken: G / z_i leaves the polynomial, so all share one weighted sum.
    const offTerm = deg < d ? c * weighted(g, deg, d) : 0;
    for (let b = 0; b < d; b++) {
      const f = oo + pt.pathFeature[po + b]!, z = pt.pathZ[po + b]!;
      if (a & (1 << b)) {
        divideLinear(g, deg, z, q);
        out[f] = out[f]! + (1 - z) * c * weighted(q, deg - 1, d);
      } else out[f] = out[f]! - offTerm;
    }
  }

  /**
   * Add the off-diagonal SHAP interaction values of one row to the F × F block at
   * `out[outOffset ..]` (accumulates). The diagonal is left to the caller.
   */
  #pairsRowInto(x: ArrayLike<number>, o: number, out: Float64Array, oo: number): void {
    const F = this.nFeatures;
    for (const pt of this.#trees) {
      const mask = this.#masks(pt, x, o);
      const { leaf, leafD, leafOffset, pathFeature, pathR, pairOffset, pairTable } = pt;
      for (let l = 0; l < leaf.length; l++) {
        const d = leafD[l]!;
        if (d < 2) continue;
        const a = mask[leaf[l]!]! & ((1 << d) - 1);
        const po = leafOffset[l]!, to = pairOffset[l]!;
        if (to < 0) {
          this.#pairsLeafDirect(pt, l, a, out, oo);
          continue;
        }
        for (let i = 0; i < d; i++) {
          const bi = 1 << i, ri = a & bi ? pathR[po + i]! : -1, si = a & ~bi;
          const fi = pathFeature[po + i]!;
          for (let j = i + 1; j < d; j++) {
            const bj = 1 << j, rj = a & bj ? pathR[po + j]! : -1;
            const val = 0.5 * ri * rj * pairTable[to + (si & ~bj)]!;
            const fj = pathFeature[po + j]!;
            out[oo + fi * F + fj] = out[oo + fi * F + fj]! + val;
            out[oo + fj * F + fi] = out[oo + fj * F + fi]! + val;
          }
        }
      }
    }
  }

  #pairsLeafDirect(pt: PathTree, l: number, a: number, out: Float64Array, oo: number): void {
    const F = this.nFeatures, d = pt.leafD[l]!, po = pt.leafOffset[l]!;
    const [c, deg] = this.#leafPolynomial(pt, l, a);
    const g = this.#poly, q = this.#quot, q2 = this.#quot2;
    for (let i = 0; i < d; i++) {
      const zi = pt.pathZ[po + i]!, oi = a & (1 << i) ? 1 : 0;
      let qi: Float64Array = g, degI = deg, ci = c;
      if (oi) {
        divideLinear(g, deg, zi, q);
        qi = q;
        degI = deg - 1;
      } else ci /= zi;
      const fi = pt.pathFeature[po + i]!;
      for (let j = i + 1; j < d; j++) {
        const zj = pt.pathZ[po + j]!, oj = a & (1 << j) ? 1 : 0;
        let s: number, cij = ci;
        if (oj) {
          divideLinear(qi, degI, zj, q2);
          s = weighted(q2, degI - 1, d - 1);
        } else {
          cij /= zj;
          s = weighted(qi, degI, d - 1);
        }
        const val = 0.5 * (oi - zi) * (oj - zj) * cij * s;
        const fj = pt.pathFeature[po + j]!;
        out[oo + fi * F + fj] = out[oo + fi * F + fj]! + val;
        out[oo + fj * F + fi] = out[oo + fj * F + fi]! + val;
      }
    }
  }

  /**
   * Write the SHAP interaction values of one row, an F × F block, at `out[outOffset ..]`
   * (overwrites). Off-diagonal (i, j) = (j, i) is the Shapley interaction index split
   * evenly between the pair; the diagonal holds the main effect φ_i - Σ_{j≠i} φ_ij, so
   * each row of the block sums to the feature's SHAP value.
   */
  interactionRowInto(x: ArrayLike<number>, o: number, out: Float64Array, outOffset: number): void {
    if (!this.#pairTablesBuilt) {
      buildTables(this.#trees, this.#maxTableBytes, true);
      this.#pairTablesBuilt = true;
    }
    const F = this.nFeatures, phi = this.#rowShap;
    out.fill(0, outOffset, outOffset + F * F);
    phi.fill(0);
    this.shapRowInto(x, o, phi, 0);
    this.#pairsRowInto(x, o, out, outOffset);
    for (let i = 0; i < F; i++) {
      let s = 0;
      for (let j = 0; j < F; j++) if (j !== i) s += out[outOffset + i * F + j]!;
      out[outOffset + i * F + i] = phi[i]! - s;
    }
  }
}
