/**
 * Exact path-dependent TreeSHAP (Lundberg et al. 2020, "From local explanations to global
 * understanding with explainable AI for trees", Algorithm 2 semantics), computed in
 * O(nodes · depth) per row and tree in the manner of Linear TreeSHAP (Bifet et al. 2022).
 *
 * The game. For a leaf l with value v, let P be the distinct features split on along its
 * path. For feature j in P: z_j = product of cover(child)/cover(parent) over the path's
 * splits on j (the share of training rows that took the path's branches), o_j = 1 when the
 * row takes every one of those branches, else 0. Conditioning on a set S ⊆ P, the leaf adds
 * v · Π_{j∈S} o_j · Π_{j∈P\S} z_j to the path-dependent expectation E[f | x_S]. Shapley values
 * are linear, so a tree's SHAP values are the sums over its leaves of each leaf's game.
 *
 * The Shapley weight of a coalition of size k among d players, k!(d-1-k)!/d!, is the Beta
 * integral ∫_0^1 t^k (1-t)^(d-1-k) dt. Summing over coalitions therefore gives, with
 * f_j(t) = z_j (1 - t) + o_j t,
 *
 *     φ_i  = v (o_i - z_i) ∫_0^1 Π_{j∈P, j≠i} f_j(t) dt
 *     φ_ij = v/2 (o_i - z_i)(o_j - z_j) ∫_0^1 Π_{m∈P, m≠i,j} f_m(t) dt      (i ≠ j)
 *
 * the second being the Shapley interaction index split between (i, j) and (j, i), which is
 * what XGBoost's `pred_interactions` computes (diagonal = φ_i - Σ_{j≠i} φ_ij). The
 * integrands are polynomials of degree < d, so Gauss-Legendre quadrature with ⌈d/2⌉ points
 * is exact: each leaf's path product becomes q numbers instead of a polynomial.
 *
 * Linear time. A leaf's term for feature i only depends on the last split on i along its
 * path, so φ_i collects, at each edge e on feature i, (o_e - z_e) ∫ S_e(t) / f_e(t) dt, where
 * S_e sums v_l Π_{j∈P_l} f_j(t) over the leaves below e that do not split on i again. One
 * top-down pass builds the path products (dividing out a feature's earlier factor when it
 * repeats), one bottom-up pass sums them and subtracts the deeper re-splits. Measured on a
 * 500-tree depth-8 model this beat both per-leaf subset tables (Fast TreeSHAP v2 style,
 * 100 MB and cache-bound) and per-leaf polynomial arithmetic; see bench/explain.ts.
 *
 * Memory traffic, not arithmetic, limits a 500-tree model: the passes run node-major with
 * every quadrature point in the inner loop (unrolled for 4 points), compute f on the fly
 * and divide rather than stream tables of f and 1/f, and push sums up to the parent
 * instead of pulling them through child arrays. On a 500-tree depth-8 model that took
 * 55 to about 150 rows/s (one thread, CPU time, loaded 2-core machine).
 *
 * A change-target model adds the current value back (src/gbdt/add_back.ts). That term
 * depends on one input at a time (the first add-back column present), so it is attributed
 * whole to the column that supplied it: φ_col += addBack(x) - mean, with the training mean
 * of the add-back in the base value (and to the first column when the fallback is used,
 * its absence being the reason). Values then still sum to the level prediction.
 *
 * No Deno or Node API: the pipeline, the endpoint and the browser share this module.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { type AddBack, addBackColumns, addBackOf, addBackSource } from "../gbdt/add_back.ts";

/** Paths may split on at most this many distinct features (quadrature up to 32 points). */
export const MAX_PATH_FEATURES = 64;

/** A tree compiled for explanation, nodes renumbered in preorder (parents first). */
interface LinearTree {
  n: number;
  /** Quadrature points for this tree: ⌈(most distinct features on a path) / 2⌉, at least 1. */
  q: number;
  /** Gauss-Legendre points on [0, 1] and their weights. */
  s: Float64Array;
  w: Float64Array;
  /** Internal node positions in preorder. */
  internal: Int32Array;
  feature: Int32Array;
  threshold: Float32Array;
  defaultLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf value (0 at internal nodes; float32 like the model's, half the bytes to stream). */
  value: Float32Array;
  /** Per node: the feature its parent splits on (-1 at the root). */
  edgeFeature: Int32Array;
  parent: Int32Array;
  /**
   * Per node: the node entered by the previous split on the same feature above, or the
   * sentinel n whose factor is 1 (zn = 1 - s_k, on = 1), so the passes need no branch.
   */
  prev: Int32Array;
  /** Per node: the merged z of its edge feature (product of cover ratios down to here). */
  z: Float64Array;
  /**
   * Per node c and point k at `c · q + k`: z · (1 - s_k), so f(s_k) = zn + o · s_k; the
   * sentinel n holds 1 - s_k (f = 1 with o = 1). The passes compute f and divide on the
   * fly: tables of f and 1/f were faster on an idle machine but twice the memory traffic,
   * which is what limits a 500-tree model (bench/explain.ts).
   */
  zn: Float64Array;
  /**
   * Per internal node: the node entered by the nearest split above (or into it) on its own
   * feature, whose leaves it re-merges; else the scratch slot n + 1.
   */
  up: Int32Array;
  /** Per leaf (by position): its distinct features' last edges, for interactions. */
  leafEdgeStart: Int32Array;
  leafEdges: Int32Array;
  /** Σ_leaves v · Π z: this tree's expected value. */
  expected: number;
}

/** Gauss-Legendre points and weights on [0, 1] (Newton on the Legendre recurrence). */
function gaussLegendre(q: number): { s: Float64Array; w: Float64Array } {
  const s = new Float64Array(q), w = new Float64Array(q);
  for (let k = 0; k < q; k++) {
    let x = Math.cos(Math.PI * (k + 0.75) / (q + 0.5)), dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = x;
      for (let m = 2; m <= q; m++) [p0, p1] = [p1, ((2 * m - 1) * x * p1 - (m - 1) * p0) / m];
      if (q === 1) p0 = 1;
      dp = q * (x * p1 - p0) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    s[k] = (1 - x) / 2;
    w[k] = 1 / ((1 - x * x) * dp * dp);
  }
  return { s, w };
}

function compileTree(model: TreeEnsemble, t: number): LinearTree {
  const tree = model.trees[t]!;
  const N = tree.feature.length;
  // Preorder renumbering, depth first with the left child first.
  const order: number[] = [], pos = new Int32Array(N).fill(-1);
  const todo = [0];
  while (todo.length > 0) {
    const node = todo.pop()!;
    if (node < 0 || node >= N || pos[node] !== -1) {
      throw new RangeError(
        `Cannot explain tree ${t}: child index ${node} is outside 0..${N - 1} or reached twice`,
      );
    }
    pos[node] = order.length;
    order.push(node);
    if (tree.feature[node]! >= 0) todo.push(tree.right[node]!, tree.left[node]!);
  }
  const n = order.length;
  const feature = new Int32Array(n), threshold = new Float32Array(n);
  const defaultLeft = new Uint8Array(n), left = new Int32Array(n), right = new Int32Array(n);
  const isLeaf = new Uint8Array(n), value = new Float32Array(n);
  const edgeFeature = new Int32Array(n).fill(-1), prev = new Int32Array(n).fill(n);
  const z = new Float64Array(n).fill(1), up = new Int32Array(n).fill(n + 1);
  const parent = new Int32Array(n);
  const internal: number[] = [];
  for (let p = 0; p < n; p++) {
    const node = order[p]!, f = tree.feature[node]!;
    feature[p] = f;
    if (f < 0) {
      isLeaf[p] = 1;
      value[p] = tree.value[node]!;
      left[p] = right[p] = -1;
      continue;
    }
    if (f >= model.featureNames.length) {
      throw new RangeError(
        `Cannot explain tree ${t}: node ${node} splits on feature ${f}; the model has ${model.featureNames.length}`,
      );
    }
    internal.push(p);
    threshold[p] = tree.threshold[node]!;
    defaultLeft[p] = tree.defaultLeft[node]!;
    left[p] = pos[tree.left[node]!]!;
    right[p] = pos[tree.right[node]!]!;
  }
  // Path state, top-down: for each node, the last edge node per feature on its path.
  const lastEdge: Map<number, number>[] = new Array(n);
  lastEdge[0] = new Map();
  let dMax = 0, expected = 0;
  const leafEdgeStart: number[] = [], leafEdges: number[] = [];
  const pathZ = new Float64Array(n).fill(1); // Π of all cover ratios down to the node
  for (let p = 0; p < n; p++) {
    const last = lastEdge[p]!;
    if (isLeaf[p]) {
      dMax = Math.max(dMax, last.size);
      expected += value[p]! * pathZ[p]!;
      leafEdgeStart[p] = leafEdges.length;
      leafEdges.push(...last.values());
      continue;
    }
    leafEdgeStart[p] = leafEdges.length;
    const f = feature[p]!;
    // The edge whose leaves this split re-merges (its own incoming edge when that is on f).
    up[p] = last.get(f) ?? n + 1;
    const cover = tree.cover[order[p]!]!;
    for (const c of [left[p]!, right[p]!]) {
      const cc = tree.cover[order[c]!]!;
      if (!(cover > 0 && cc > 0)) {
        throw new RangeError(
          `Cannot explain tree ${t}: nodes ${order[p]} and ${
            order[c]
          } have covers ${cover} and ${cc}; TreeSHAP needs positive covers`,
        );
      }
      const ratio = cc / cover, pr = last.get(f);
      edgeFeature[c] = f;
      parent[c] = p;
      prev[c] = pr ?? n;
      z[c] = (pr === undefined ? 1 : z[pr]!) * ratio;
      pathZ[c] = pathZ[p]! * ratio;
      const next = new Map(last);
      next.set(f, c);
      lastEdge[c] = next;
    }
  }
  leafEdgeStart[n] = leafEdges.length;
  if (dMax > MAX_PATH_FEATURES) {
    throw new RangeError(
      `Cannot explain tree ${t}: a path splits on ${dMax} distinct features; at most ${MAX_PATH_FEATURES} supported`,
    );
  }
  const q = Math.max(1, Math.ceil(dMax / 2));
  const { s, w } = gaussLegendre(q);
  const zn = new Float64Array(q * (n + 1));
  for (let c = 0; c <= n; c++) {
    for (let k = 0; k < q; k++) zn[c * q + k] = (c === n ? 1 : z[c]!) * (1 - s[k]!);
  }
  return {
    n,
    q,
    s,
    w,
    internal: Int32Array.from(internal),
    feature,
    threshold,
    defaultLeft,
    left,
    right,
    value,
    edgeFeature,
    parent,
    prev,
    z,
    zn,
    up,
    leafEdgeStart: Int32Array.from(leafEdgeStart),
    leafEdges: Int32Array.from(leafEdges),
    expected,
  };
}

/**
 * A model prepared for explanation: build it once per model (the pipeline stage, the
 * endpoint at start-up, the browser page on load) and reuse it for every row. Holds
 * O(nodes · depth) numbers per tree and scratch space for one row; not safe to share
 * between concurrent callers of the `*Into` methods within one thread of control.
 *
 * @example
 * ```ts
 * const explainer = new TreeExplainer(model);
 * const { values, expectedValue } = shapValues(explainer, matrix);
 * // expectedValue + Σ_j values[i * nFeatures + j] === predictRow(model, row i)
 * ```
 */
export class TreeExplainer {
  /** E[f(X)] under the training covers: the SHAP base value (includes the model's baseScore). */
  readonly expectedValue: number;
  readonly featureNames: readonly string[];
  readonly nFeatures: number;
  readonly #trees: LinearTree[];
  readonly #addBack: { a: AddBack; cols: Int32Array } | null;
  #on: Uint8Array;
  #onB: Uint8Array;
  #PB: Float64Array;
  #sumB: Float64Array;
  #innerB: Float64Array;
  #P: Float64Array;
  #sum: Float64Array;
  #inner: Float64Array;
  #g: Float64Array;
  #h: Float64Array;
  #fe: Int32Array;
  #rowShap: Float64Array;

  constructor(model: TreeEnsemble) {
    this.featureNames = model.featureNames;
    this.nFeatures = model.featureNames.length;
    this.#trees = model.trees.map((_, t) => compileTree(model, t));
    const a = model.addBack;
    this.#addBack = a ? { a, cols: addBackColumns(a, model.featureNames) } : null;
    let e = model.baseScore + (a ? a.mean : 0), maxN = 1, maxQ = 1;
    for (const lt of this.#trees) {
      e += lt.expected;
      maxN = Math.max(maxN, lt.n);
      maxQ = Math.max(maxQ, lt.q);
    }
    this.expectedValue = e;
    this.#on = new Uint8Array(maxN + 1);
    this.#onB = new Uint8Array(maxN + 1);
    this.#P = new Float64Array(maxQ * (maxN + 1));
    this.#sum = new Float64Array(maxQ * (maxN + 2));
    this.#inner = new Float64Array(maxQ * (maxN + 2));
    this.#PB = new Float64Array(maxQ * (maxN + 1));
    this.#sumB = new Float64Array(maxQ * (maxN + 2));
    this.#innerB = new Float64Array(maxQ * (maxN + 2));
    this.#g = new Float64Array(MAX_PATH_FEATURES * maxQ);
    this.#h = new Float64Array(MAX_PATH_FEATURES * maxQ);
    this.#fe = new Int32Array(MAX_PATH_FEATURES);
    this.#rowShap = new Float64Array(this.nFeatures);
  }

  /** `on[c]` = 1 when the row takes every branch on c's edge feature down to c. */
  #branches(lt: LinearTree, x: ArrayLike<number>, o: number, on = this.#on): Uint8Array {
    const { n, internal, feature, threshold, defaultLeft, left, right, prev } = lt;
    on[n] = 1;
    for (let a = 0; a < internal.length; a++) {
      const p = internal[a]!;
      const v = x[o + feature[p]!]!;
      const goLeft = v !== v ? defaultLeft[p] !== 0 : v < threshold[p]!;
      const l = left[p]!, r = right[p]!;
      on[l] = goLeft ? on[prev[l]!]! : 0;
      on[r] = goLeft ? 0 : on[prev[r]!]!;
    }
    return on;
  }

  /**
   * Path products at every point into `P[c · q + k]`: the product over the distinct path
   * features of f_j(s_k), dividing out a feature's earlier factor where it repeats.
   */
  #pathProducts(lt: LinearTree, on: Uint8Array, P: Float64Array) {
    const { n, q, parent, prev, zn, s } = lt;
    for (let k = 0; k < q; k++) P[k] = 1;
    for (let c = 1; c < n; c++) {
      const pr = prev[c]!, cb = c * q, pb = parent[c]! * q, rb = pr * q;
      const oc = on[c]!, op = on[pr]!;
      for (let k = 0; k < q; k++) {
        P[cb + k] = P[pb + k]! * (zn[cb + k]! + oc * s[k]!) / (zn[rb + k]! + op * s[k]!);
      }
    }
  }

  /**
   * Add the SHAP values of the row at `x[o .. o + nFeatures)` to `out[outOffset ..]`
   * (accumulates: zero `out` first). The low-level kernel behind {@link shapValues}.
   */
  shapRowInto(x: ArrayLike<number>, o: number, out: Float64Array, outOffset: number): void {
    for (const lt of this.#trees) this.#shapTree(lt, x, o, out, outOffset);
    this.#addBackInto(x, o, out, outOffset);
  }

  /** The add-back's share (see the module comment), added to its column's value. */
  #addBackInto(x: ArrayLike<number>, o: number, out: Float64Array, outOffset: number): void {
    const ab = this.#addBack;
    if (!ab) return;
    const k = addBackSource(ab.cols, x, o);
    const j = outOffset + ab.cols[Math.max(0, k)]!;
    out[j] = out[j]! + addBackOf(ab.a, ab.cols, x, o) - ab.a.mean;
  }

  /** One tree's SHAP values of the row at `x[o ..]`, added to `out[outOffset ..]`. */
  #shapTree(lt: LinearTree, x: ArrayLike<number>, o: number, out: Float64Array, outOffset: number) {
    const P = this.#P, sum = this.#sum, inner = this.#inner;
    const { n, q, s, w, value, parent, up, edgeFeature, z, zn } = lt;
    if (n === 1) return;
    const on = this.#branches(lt, x, o);
    if (q === 4) {
      this.#shapTree4(lt, on, out, outOffset);
      return;
    }
    if (q === 3) {
      this.#shapTree3(lt, on, out, outOffset);
      return;
    }
    this.#pathProducts(lt, on, P);
    // Sums are pushed up: a node's slot holds its children's sums when it is reached
    // (reverse preorder: children, and every re-split below, before their parent) and is
    // reset once read; inner[c] likewise. The scratch stays clean between trees.
    for (let c = n - 1; c > 0; c--) {
      const cb = c * q, pb = parent[c]! * q, ub = up[c]! * q;
      const v = value[c]!, oc = on[c]!;
      let a = 0;
      for (let k = 0; k < q; k++) {
        const sv = v * P[cb + k]! + sum[cb + k]!;
        sum[cb + k] = 0;
        sum[pb + k] = sum[pb + k]! + sv;
        // ub may be cb (c re-splits its own edge feature): add before reading.
        inner[ub + k] = inner[ub + k]! + sv;
        a += w[k]! * (sv - inner[cb + k]!) / (zn[cb + k]! + oc * s[k]!);
        inner[cb + k] = 0;
      }
      const fo = outOffset + edgeFeature[c]!;
      out[fo] = out[fo]! + (oc - z[c]!) * a;
    }
    // The root's slot, and the scratch slot of nodes without a re-split above.
    for (let k = 0; k < q; k++) sum[k] = inner[(n + 1) * q + k] = 0;
  }

  /**
   * SHAP values of `nRows` consecutive rows from `x[o ..]` into `out[outOffset ..]`, row i
   * at `outOffset + i · nFeatures` (accumulates: zero `out` first). Trees with 4
   * quadrature points are walked for two rows at a time; the values are identical to
   * {@link shapRowInto} row by row.
   */
  shapRowsInto(
    x: ArrayLike<number>,
    o: number,
    nRows: number,
    out: Float64Array,
    outOffset: number,
  ): void {
    const F = this.nFeatures;
    let i = 0;
    for (; i + 1 < nRows; i += 2) {
      const oA = o + i * F, oB = oA + F, ooA = outOffset + i * F, ooB = ooA + F;
      for (const lt of this.#trees) {
        if (lt.n === 1) continue;
        if (lt.q === 4) {
          const onA = this.#branches(lt, x, oA, this.#on);
          const onB = this.#branches(lt, x, oB, this.#onB);
          this.#shapTree4x2(lt, onA, onB, out, ooA, ooB);
        } else {
          this.#shapTree(lt, x, oA, out, ooA);
          this.#shapTree(lt, x, oB, out, ooB);
        }
      }
      this.#addBackInto(x, oA, out, ooA);
      this.#addBackInto(x, oB, out, ooB);
    }
    if (i < nRows) this.shapRowInto(x, o + i * F, out, outOffset + i * F);
  }

  /** shapRowInto's per-tree passes for 4 quadrature points, unrolled (depth 7-8 paths). */
  #shapTree4(lt: LinearTree, on: Uint8Array, out: Float64Array, outOffset: number) {
    const { n, parent, prev, zn, s, w, value, up, edgeFeature, z } = lt;
    const P = this.#P, sum = this.#sum, inner = this.#inner;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    P[0] =
      P[1] =
      P[2] =
      P[3] =
        1;
    for (let c = 1; c < n; c++) {
      const pr = prev[c]!, cb = c * 4, pb = parent[c]! * 4, rb = pr * 4;
      const oc = on[c]!, op = on[pr]!;
      P[cb] = P[pb]! * (zn[cb]! + oc * s0) / (zn[rb]! + op * s0);
      P[cb + 1] = P[pb + 1]! * (zn[cb + 1]! + oc * s1) / (zn[rb + 1]! + op * s1);
      P[cb + 2] = P[pb + 2]! * (zn[cb + 2]! + oc * s2) / (zn[rb + 2]! + op * s2);
      P[cb + 3] = P[pb + 3]! * (zn[cb + 3]! + oc * s3) / (zn[rb + 3]! + op * s3);
    }
    // Sums are pushed up: a node's slot holds its children's sums when it is reached
    // (reverse preorder) and is reset once read, so the scratch stays clean.
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!;
    for (let c = n - 1; c > 0; c--) {
      const cb = c * 4, pb = parent[c]! * 4, ub = up[c]! * 4;
      const v = value[c]!, oc = on[c]!;
      const a0 = v * P[cb]! + sum[cb]!;
      const a1 = v * P[cb + 1]! + sum[cb + 1]!;
      const a2 = v * P[cb + 2]! + sum[cb + 2]!;
      const a3 = v * P[cb + 3]! + sum[cb + 3]!;
      sum[cb] =
        sum[cb + 1] =
        sum[cb + 2] =
        sum[cb + 3] =
          0;
      sum[pb] = sum[pb]! + a0;
      sum[pb + 1] = sum[pb + 1]! + a1;
      sum[pb + 2] = sum[pb + 2]! + a2;
      sum[pb + 3] = sum[pb + 3]! + a3;
      // ub may be cb (c re-splits its own edge feature): add before reading.
      inner[ub] = inner[ub]! + a0;
      inner[ub + 1] = inner[ub + 1]! + a1;
      inner[ub + 2] = inner[ub + 2]! + a2;
      inner[ub + 3] = inner[ub + 3]! + a3;
      const a = w0 * (a0 - inner[cb]!) / (zn[cb]! + oc * s0) +
        w1 * (a1 - inner[cb + 1]!) / (zn[cb + 1]! + oc * s1) +
        w2 * (a2 - inner[cb + 2]!) / (zn[cb + 2]! + oc * s2) +
        w3 * (a3 - inner[cb + 3]!) / (zn[cb + 3]! + oc * s3);
      inner[cb] =
        inner[cb + 1] =
        inner[cb + 2] =
        inner[cb + 3] =
          0;
      const fo = outOffset + edgeFeature[c]!;
      out[fo] = out[fo]! + (oc - z[c]!) * a;
    }
    sum[0] =
      sum[1] =
      sum[2] =
      sum[3] =
        0;
    const zb = (n + 1) * 4;
    inner[zb] =
      inner[zb + 1] =
      inner[zb + 2] =
      inner[zb + 3] =
        0;
  }

  /**
   * {@link #shapTree4} for two rows at once: the tree's arrays are read once for both,
   * which is what limits the single-row pass (memory traffic); each row's arithmetic is
   * exactly the single-row one, so the values are the same bits.
   */
  #shapTree4x2(
    lt: LinearTree,
    onA: Uint8Array,
    onB: Uint8Array,
    out: Float64Array,
    ooA: number,
    ooB: number,
  ) {
    const { n, parent, prev, zn, s, w, value, up, edgeFeature, z } = lt;
    const PA = this.#P, PB = this.#PB, sA = this.#sum, sB = this.#sumB;
    const iA = this.#inner, iB = this.#innerB;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    PA.fill(1, 0, 4);
    PB.fill(1, 0, 4);
    for (let c = 1; c < n; c++) {
      const pr = prev[c]!, cb = c * 4, pb = parent[c]! * 4, rb = pr * 4;
      const z0 = zn[cb]!, z1 = zn[cb + 1]!, z2 = zn[cb + 2]!, z3 = zn[cb + 3]!;
      const r0 = zn[rb]!, r1 = zn[rb + 1]!, r2 = zn[rb + 2]!, r3 = zn[rb + 3]!;
      const oa = onA[c]!, opa = onA[pr]!, ob = onB[c]!, opb = onB[pr]!;
      PA[cb] = PA[pb]! * (z0 + oa * s0) / (r0 + opa * s0);
      PA[cb + 1] = PA[pb + 1]! * (z1 + oa * s1) / (r1 + opa * s1);
      PA[cb + 2] = PA[pb + 2]! * (z2 + oa * s2) / (r2 + opa * s2);
      PA[cb + 3] = PA[pb + 3]! * (z3 + oa * s3) / (r3 + opa * s3);
      PB[cb] = PB[pb]! * (z0 + ob * s0) / (r0 + opb * s0);
      PB[cb + 1] = PB[pb + 1]! * (z1 + ob * s1) / (r1 + opb * s1);
      PB[cb + 2] = PB[pb + 2]! * (z2 + ob * s2) / (r2 + opb * s2);
      PB[cb + 3] = PB[pb + 3]! * (z3 + ob * s3) / (r3 + opb * s3);
    }
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!, w3 = w[3]!;
    for (let c = n - 1; c > 0; c--) {
      const cb = c * 4, pb = parent[c]! * 4, ub = up[c]! * 4;
      const v = value[c]!, zc = z[c]!, f = edgeFeature[c]!, oa = onA[c]!, ob = onB[c]!;
      const z0 = zn[cb]!, z1 = zn[cb + 1]!, z2 = zn[cb + 2]!, z3 = zn[cb + 3]!;
      const a0 = v * PA[cb]! + sA[cb]!;
      const a1 = v * PA[cb + 1]! + sA[cb + 1]!;
      const a2 = v * PA[cb + 2]! + sA[cb + 2]!;
      const a3 = v * PA[cb + 3]! + sA[cb + 3]!;
      sA[cb] = 0;
      sA[pb] = sA[pb]! + a0;
      iA[ub] = iA[ub]! + a0;
      sA[cb + 1] = 0;
      sA[pb + 1] = sA[pb + 1]! + a1;
      iA[ub + 1] = iA[ub + 1]! + a1;
      sA[cb + 2] = 0;
      sA[pb + 2] = sA[pb + 2]! + a2;
      iA[ub + 2] = iA[ub + 2]! + a2;
      sA[cb + 3] = 0;
      sA[pb + 3] = sA[pb + 3]! + a3;
      iA[ub + 3] = iA[ub + 3]! + a3;
      const at = w0 * (a0 - iA[cb]!) / (z0 + oa * s0) +
        w1 * (a1 - iA[cb + 1]!) / (z1 + oa * s1) +
        w2 * (a2 - iA[cb + 2]!) / (z2 + oa * s2) +
        w3 * (a3 - iA[cb + 3]!) / (z3 + oa * s3);
      iA[cb] = 0;
      iA[cb + 1] = 0;
      iA[cb + 2] = 0;
      iA[cb + 3] = 0;
      {
        const fo = ooA + f;
        out[fo] = out[fo]! + (oa - zc) * at;
      }
      const b0 = v * PB[cb]! + sB[cb]!;
      const b1 = v * PB[cb + 1]! + sB[cb + 1]!;
      const b2 = v * PB[cb + 2]! + sB[cb + 2]!;
      const b3 = v * PB[cb + 3]! + sB[cb + 3]!;
      sB[cb] = 0;
      sB[pb] = sB[pb]! + b0;
      iB[ub] = iB[ub]! + b0;
      sB[cb + 1] = 0;
      sB[pb + 1] = sB[pb + 1]! + b1;
      iB[ub + 1] = iB[ub + 1]! + b1;
      sB[cb + 2] = 0;
      sB[pb + 2] = sB[pb + 2]! + b2;
      iB[ub + 2] = iB[ub + 2]! + b2;
      sB[cb + 3] = 0;
      sB[pb + 3] = sB[pb + 3]! + b3;
      iB[ub + 3] = iB[ub + 3]! + b3;
      const bt = w0 * (b0 - iB[cb]!) / (z0 + ob * s0) +
        w1 * (b1 - iB[cb + 1]!) / (z1 + ob * s1) +
        w2 * (b2 - iB[cb + 2]!) / (z2 + ob * s2) +
        w3 * (b3 - iB[cb + 3]!) / (z3 + ob * s3);
      iB[cb] = 0;
      iB[cb + 1] = 0;
      iB[cb + 2] = 0;
      iB[cb + 3] = 0;
      {
        const fo = ooB + f;
        out[fo] = out[fo]! + (ob - zc) * bt;
      }
    }
    sA.fill(0, 0, 4);
    sB.fill(0, 0, 4);
    iA.fill(0, (n + 1) * 4, (n + 2) * 4);
    iB.fill(0, (n + 1) * 4, (n + 2) * 4);
  }

  /** shapRowInto's per-tree passes for 3 quadrature points, unrolled (depth 5-6 paths). */
  #shapTree3(lt: LinearTree, on: Uint8Array, out: Float64Array, outOffset: number) {
    const { n, parent, prev, zn, s, w, value, up, edgeFeature, z } = lt;
    const P = this.#P, sum = this.#sum, inner = this.#inner;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!;
    P.fill(1, 0, 3);
    for (let c = 1; c < n; c++) {
      const pr = prev[c]!, cb = c * 3, pb = parent[c]! * 3, rb = pr * 3;
      const oc = on[c]!, op = on[pr]!;
      P[cb] = P[pb]! * (zn[cb]! + oc * s0) / (zn[rb]! + op * s0);
      P[cb + 1] = P[pb + 1]! * (zn[cb + 1]! + oc * s1) / (zn[rb + 1]! + op * s1);
      P[cb + 2] = P[pb + 2]! * (zn[cb + 2]! + oc * s2) / (zn[rb + 2]! + op * s2);
    }
    const w0 = w[0]!, w1 = w[1]!, w2 = w[2]!;
    for (let c = n - 1; c > 0; c--) {
      const cb = c * 3, pb = parent[c]! * 3, ub = up[c]! * 3;
      const v = value[c]!, oc = on[c]!;
      const a0 = v * P[cb]! + sum[cb]!;
      const a1 = v * P[cb + 1]! + sum[cb + 1]!;
      const a2 = v * P[cb + 2]! + sum[cb + 2]!;
      sum[cb] = 0;
      sum[cb + 1] = 0;
      sum[cb + 2] = 0;
      sum[pb] = sum[pb]! + a0;
      sum[pb + 1] = sum[pb + 1]! + a1;
      sum[pb + 2] = sum[pb + 2]! + a2;
      inner[ub] = inner[ub]! + a0;
      inner[ub + 1] = inner[ub + 1]! + a1;
      inner[ub + 2] = inner[ub + 2]! + a2;
      const a = w0 * (a0 - inner[cb]!) / (zn[cb]! + oc * s0) +
        w1 * (a1 - inner[cb + 1]!) / (zn[cb + 1]! + oc * s1) +
        w2 * (a2 - inner[cb + 2]!) / (zn[cb + 2]! + oc * s2);
      inner[cb] = 0;
      inner[cb + 1] = 0;
      inner[cb + 2] = 0;
      const fo = outOffset + edgeFeature[c]!;
      out[fo] = out[fo]! + (oc - z[c]!) * a;
    }
    sum.fill(0, 0, 3);
    inner.fill(0, (n + 1) * 3, (n + 2) * 3);
  }

  /** Add the off-diagonal interaction values of one row to the F × F block at `out[oo ..]`. */
  #pairsRowInto(x: ArrayLike<number>, o: number, out: Float64Array, oo: number): void {
    const F = this.nFeatures, P = this.#P, g = this.#g, h = this.#h, fe = this.#fe;
    for (const lt of this.#trees) {
      const { n, q, s, w, feature, value, edgeFeature, z, zn, leafEdgeStart, leafEdges } = lt;
      if (n === 1) continue;
      const on = this.#branches(lt, x, o);
      this.#pathProducts(lt, on, P);
      for (let c = 0; c < n; c++) {
        if (feature[c]! >= 0) continue;
        const e0 = leafEdgeStart[c]!, d = leafEdgeStart[c + 1]! - e0;
        if (d < 2) continue;
        const hv = 0.5 * value[c]!;
        // Per path feature j: h[j·q + k] = (o_j - z_j) / f_j(s_k) and g[j·q + k] = v/2 ·
        // (o_j - z_j) · w_k · P(s_k) / f_j(s_k), so a pair's value is the dot product
        // Σ_k g_i h_j (P / (f_i f_j) = the path product without both players): d·q
        // divisions per leaf, then multiplications only.
        for (let j = 0; j < d; j++) {
          const e = leafEdges[e0 + j]!, oe = on[e]!, dz = oe - z[e]!;
          for (let k = 0; k < q; k++) {
            const inv = dz / (zn[e * q + k]! + oe * s[k]!);
            h[j * q + k] = inv;
            g[j * q + k] = hv * w[k]! * P[c * q + k]! * inv;
          }
          fe[j] = edgeFeature[e]!;
        }
        for (let i = 0; i < d; i++) {
          const row = oo + fe[i]! * F, iq = i * q;
          for (let j = i + 1; j < d; j++) {
            const jq = j * q;
            let acc: number;
            if (q === 4) {
              acc = g[iq]! * h[jq]! + g[iq + 1]! * h[jq + 1]! + g[iq + 2]! * h[jq + 2]! +
                g[iq + 3]! * h[jq + 3]!;
            } else if (q === 3) {
              acc = g[iq]! * h[jq]! + g[iq + 1]! * h[jq + 1]! + g[iq + 2]! * h[jq + 2]!;
            } else {
              acc = 0;
              for (let k = 0; k < q; k++) acc += g[iq + k]! * h[jq + k]!;
            }
            // One triangle only: (i, j) and (j, i) are made equal once the row is done.
            out[row + fe[j]!] = out[row + fe[j]!]! + acc;
          }
        }
      }
    }
    for (let i = 0; i < F; i++) {
      for (let j = i + 1; j < F; j++) {
        const v = out[oo + i * F + j]! + out[oo + j * F + i]!;
        out[oo + i * F + j] = out[oo + j * F + i] = v;
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
