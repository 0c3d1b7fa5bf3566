/**
 * ONNX -> TreeEnsemble, for models from any exporter (ours, skl2onnx, onnxmltools from
 * XGBoost or LightGBM), so TreeSHAP and the model card work on a pretrained `.onnx` too.
 *
 * Every ONNX branch rule becomes our single rule "left when x < T" without changing a
 * single decision for float32 inputs:
 * - BRANCH_LT  t: x < t   <=> x < ceil32(t)                 (left = true branch)
 * - BRANCH_LEQ t: x <= t  <=> x < next32(floor32(t))         (left = true branch)
 * - BRANCH_GT  t: x > t   <=> not (x < next32(floor32(t)))   (left = false branch)
 * - BRANCH_GTE t: x >= t  <=> not (x < ceil32(t))            (left = false branch)
 * where ceil32/floor32 round a (possibly double) threshold to the nearest float32 upwards
 * or downwards and next32 is the next float32 up. A missing value goes to the true branch
 * when `nodes_missing_value_tracks_true` is 1, so defaultLeft is that flag for LT/LEQ and
 * its negation for GT/GTE. BRANCH_EQ / BRANCH_NEQ have no such form: those models, like
 * any graph that is more than one single-target tree ensemble, come back as kind "other"
 * (onnxruntime still scores them; there is just no TreeEnsemble to explain).
 *
 * Covers come from our exporter's metadata_props; other exporters do not store them, so
 * they are NaN until `recomputeCovers` passes a background dataset through the trees.
 *
 * Our own change-target export adds PM2.5(t) back after the trees (export.ts); that graph
 * comes back as a tree ensemble with its `addBack` when the nodes compute exactly what the
 * `aqlab.add_back` metadata describes (read_add_back.ts), so TreeSHAP sums to the level.
 */
import type { Tree, TreeEnsemble } from "../gbdt/tree.ts";
import type { FeatureMatrix } from "../data/matrix.ts";
import {
  type Attribute,
  attributeMap,
  ML_DOMAIN,
  type Model,
  type Node,
  num,
  onnx,
  shapeOf,
  tensorNumbers,
  text,
  type ValueInfo,
} from "./_proto.ts";
import { META_KEYS } from "./export.ts";
import type { AddBack } from "../gbdt/add_back.ts";
import { readAddBack } from "./read_add_back.ts";

export interface OnnxIO {
  name: string;
  /** Dimensions: a number when fixed, a string when symbolic ("N"), null when unknown. */
  shape: (number | string | null)[];
  /** Element type name ("float", "double", "int64", ...), or "" when not a tensor. */
  type: string;
}

export type ImportedOnnx =
  | {
    kind: "tree_ensemble";
    model: TreeEnsemble;
    /** False when the file carried no covers: call `recomputeCovers` before TreeSHAP. */
    hasCovers: boolean;
    inputs: OnnxIO[];
    outputs: OnnxIO[];
    metadata: Record<string, string>;
  }
  | {
    kind: "other";
    /** Why it is not a TreeEnsemble (no tree node, several targets, an EQ rule, ...). */
    reason: string;
    inputs: OnnxIO[];
    outputs: OnnxIO[];
    featureNames?: string[];
    metadata: Record<string, string>;
  };

/** Nodes that may surround the tree ensemble without changing its numbers. */
const PASSTHROUGH = new Set(["Identity", "Cast", "Reshape", "Flatten", "Squeeze", "Unsqueeze"]);

const fail = (why: string): never => {
  throw new SyntaxError(`Cannot read ONNX model: ${why}`);
};

/** Parses the bytes of a `.onnx` file. Throws SyntaxError "Cannot read ONNX model: ..." */
export function importOnnx(bytes: Uint8Array): ImportedOnnx {
  let model: Model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail(`not an ONNX protobuf (${e instanceof Error ? e.message : e})`);
  }
  const graph = model.graph;
  if (!graph || !graph.node?.length || !graph.output?.length) {
    return fail("it has no graph with nodes and outputs");
  }
  const metadata: Record<string, string> = {};
  for (const e of model.metadataProps ?? []) metadata[e.key ?? ""] = e.value ?? "";
  // Initializers may also be listed as graph inputs (older exporters); they are not features.
  const init = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !init.has(v.name)).map(io);
  const outputs = graph.output.map(io);
  const names = featureNamesFrom(metadata);
  const other = (reason: string): ImportedOnnx => ({
    kind: "other",
    reason,
    inputs,
    outputs,
    ...(names ? { featureNames: names } : {}),
    metadata,
  });

  const trees = graph.node.filter((n) => n.opType === "TreeEnsembleRegressor");
  if (trees.length !== 1) return other(`it has ${trees.length} TreeEnsembleRegressor nodes`);
  const node = trees[0]!;
  if ((node.domain ?? "") !== ML_DOMAIN) {
    return other(`TreeEnsembleRegressor is in domain "${node.domain}", expected "${ML_DOMAIN}"`);
  }
  const extra = graph.node.find((n) => n !== node && !PASSTHROUGH.has(n.opType ?? ""));
  if (inputs.length !== 1) return other(`it has ${inputs.length} inputs, expected 1`);

  const dim1 = inputs[0]!.shape[1];
  const parsed = parseTreeEnsemble(node, typeof dim1 === "number" ? dim1 : undefined);
  if (typeof parsed === "string") return other(parsed);
  const nFeatures = parsed.nFeatures;
  const featureNames = names && names.length === nFeatures
    ? names
    : Array.from({ length: nFeatures }, (_, j) => `f${j}`);
  const treeList = parsed.trees;
  let addBack: AddBack | undefined;
  if (extra) {
    const found = readAddBack(
      graph.node,
      node,
      inputs[0]!.name,
      outputs.length === 1 ? outputs[0]!.name : "",
      featureNames,
      metadata[META_KEYS.addBack],
    );
    if (typeof found === "string") return other(found);
    addBack = found;
  }

  const covers = perNodeArrays(metadata, META_KEYS.covers, treeList);
  const gains = perNodeArrays(metadata, META_KEYS.gains, treeList);
  treeList.forEach((t, i) => {
    if (covers) t.cover = covers[i]!;
    if (gains) t.gain = gains[i]!;
  });
  // The exact double base score when our exporter wrote one that matches the float32 field.
  let baseScore = parsed.baseScore;
  const exact = Number(metadata[META_KEYS.baseScore]);
  if (Number.isFinite(exact) && Math.fround(exact) === Math.fround(baseScore)) baseScore = exact;

  return {
    kind: "tree_ensemble",
    model: { baseScore, trees: treeList, featureNames, ...(addBack ? { addBack } : {}) },
    hasCovers: covers !== undefined,
    inputs,
    outputs,
    metadata,
  };
}

/**
 * A copy of `model` whose covers count the rows of `X` reaching each node (the hessian sum
 * for squared error), as TreeSHAP needs. Use the training data or a large sample of it:
 * a node no row reaches gets cover 0.
 */
export function recomputeCovers(model: TreeEnsemble, X: FeatureMatrix): TreeEnsemble {
  if (X.nCols !== model.featureNames.length) {
    throw new RangeError(
      `Cannot recompute covers: the model expects ${model.featureNames.length} features, the matrix has ${X.nCols}`,
    );
  }
  const trees = model.trees.map((t): Tree => {
    const cover = new Float64Array(t.feature.length);
    const { feature, threshold, left, right, defaultLeft } = t;
    for (let i = 0, o = 0; i < X.nRows; i++, o += X.nCols) {
      let n = 0;
      cover[0]! += 1;
      while (feature[n]! >= 0) {
        const v = X.data[o + feature[n]!]!;
        n = v !== v
          ? (defaultLeft[n] ? left[n]! : right[n]!)
          : (v < threshold[n]! ? left[n]! : right[n]!);
        cover[n]! += 1;
      }
    }
    return { ...t, cover };
  });
  return { ...model, trees };
}

const ELEM_TYPES: Record<number, string> = {
  1: "float",
  2: "uint8",
  3: "int8",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
};

function io(v: ValueInfo): OnnxIO {
  const t = v.type?.tensorType?.elemType;
  return { name: v.name ?? "", shape: shapeOf(v), type: t ? ELEM_TYPES[t] ?? `type${t}` : "" };
}

function featureNamesFrom(meta: Record<string, string>): string[] | undefined {
  const raw = meta[META_KEYS.featureNames];
  if (raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v;
  } catch {
    // fall through: a malformed entry is reported the same way as a missing one
  }
  return undefined;
}

function perNodeArrays(
  meta: Record<string, string>,
  key: string,
  trees: Tree[],
): Float64Array[] | undefined {
  const raw = meta[key];
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return fail(`metadata "${key}" is not JSON`);
  }
  const ok = Array.isArray(v) && v.length === trees.length &&
    v.every((a, i) => Array.isArray(a) && a.length === trees[i]!.feature.length);
  if (!ok) return fail(`metadata "${key}" does not hold one number per node of each tree`);
  return (v as (number | null)[][]).map((a) => Float64Array.from(a, (x) => x ?? NaN));
}

// --- float32 neighbours -------------------------------------------------------------

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The next float32 above float32 `f` (f finite or -Infinity). */
function next32(f: number): number {
  if (f === 0) return 1.401298464324817e-45; // smallest positive subnormal
  f32[0] = f;
  i32[0] = f > 0 ? i32[0]! + 1 : i32[0]! - 1;
  return f32[0]!;
}

/** The largest float32 <= t. */
function floor32(t: number): number {
  const f = Math.fround(t);
  if (f <= t) return f;
  f32[0] = f;
  i32[0] = f > 0 ? i32[0]! - 1 : f === 0 ? -2147483647 : i32[0]! + 1; // -0 -> -min subnormal
  return f32[0]!;
}

/** The smallest float32 >= t. */
function ceil32(t: number): number {
  const f = Math.fround(t);
  return f >= t ? f : next32(f);
}

// --- TreeEnsembleRegressor attributes -> trees --------------------------------------

interface Parsed {
  trees: Tree[];
  baseScore: number;
  nFeatures: number;
}

/** Returns the trees, or a string saying why this node has no TreeEnsemble equivalent. */
function parseTreeEnsemble(node: Node, nInputCols: number | undefined): Parsed | string {
  const a = attributeMap(node);
  const aggregate = str(a, "aggregate_function", "SUM");
  if (aggregate !== "SUM" && aggregate !== "AVERAGE") {
    return `aggregate_function is ${aggregate}, expected SUM or AVERAGE`;
  }
  const post = str(a, "post_transform", "NONE");
  if (post !== "NONE") return `post_transform is ${post}, expected NONE`;
  const nTargets = a.has("n_targets") ? num(a.get("n_targets")!.i) : 1;
  if (nTargets !== 1) return `it has ${nTargets} targets, expected 1`;

  const treeIds = intList(a, "nodes_treeids");
  const nodeIds = intList(a, "nodes_nodeids");
  const count = treeIds.length;
  const featureIds = intList(a, "nodes_featureids", count);
  const trueIds = intList(a, "nodes_truenodeids", count);
  const falseIds = intList(a, "nodes_falsenodeids", count);
  const modes = (a.get("nodes_modes")?.strings ?? []).map(text);
  const values = numbers(a, "nodes_values", count);
  const tracks = a.has("nodes_missing_value_tracks_true")
    ? intList(a, "nodes_missing_value_tracks_true", count)
    : new Array<number>(count).fill(0);
  if (nodeIds.length !== count || modes.length !== count) {
    return fail(
      `TreeEnsembleRegressor has ${count} tree ids, ${nodeIds.length} node ids and ${modes.length} modes; expected equal counts`,
    );
  }
  const tTree = intList(a, "target_treeids");
  const tNode = intList(a, "target_nodeids", tTree.length);
  const tIds = intList(a, "target_ids", tTree.length);
  const tWeights = numbers(a, "target_weights", tTree.length);
  const base = a.has("base_values") || a.has("base_values_as_tensor")
    ? numbers(a, "base_values")
    : [0];
  if (base.length !== 1) return fail(`base_values has ${base.length} values, expected 1`);

  // Global node index by tree, then by ONNX node id.
  const byTree = new Map<number, Map<number, number>>();
  for (let k = 0; k < count; k++) {
    const m = byTree.get(treeIds[k]!) ?? new Map<number, number>();
    if (m.has(nodeIds[k]!)) return fail(`tree ${treeIds[k]} repeats node id ${nodeIds[k]}`);
    m.set(nodeIds[k]!, k);
    byTree.set(treeIds[k]!, m);
  }
  const leafWeight = new Map<number, number>();
  for (let k = 0; k < tTree.length; k++) {
    if (tIds[k] !== 0) return `a leaf writes target ${tIds[k]}, expected a single target 0`;
    const g = byTree.get(tTree[k]!)?.get(tNode[k]!);
    if (g === undefined) {
      return fail(`target weight ${k} names a missing node ${tTree[k]}/${tNode[k]}`);
    }
    leafWeight.set(g, (leafWeight.get(g) ?? 0) + tWeights[k]!);
  }

  const treeKeys = [...byTree.keys()].sort((x, y) => x - y);
  const scale = aggregate === "AVERAGE" ? 1 / treeKeys.length : 1;
  let maxFeature = -1;
  const trees: Tree[] = [];
  for (const tid of treeKeys) {
    const ids = byTree.get(tid)!;
    const child = (k: number, which: number[]): number => {
      const g = ids.get(which[k]!);
      if (g === undefined) {
        return fail(`tree ${tid} node ${nodeIds[k]} points to missing node ${which[k]}`);
      }
      return g;
    };
    // The root is the first node listed for the tree, as in onnxruntime and the ONNX
    // reference implementation; nodes it does not reach are never evaluated.
    const root = Math.min(...ids.values());
    const order = nodeOrder(
      ids,
      root,
      nodeIds,
      modes,
      (g) => [child(g, trueIds), child(g, falseIds)],
    );
    const n = order.length;
    const local = new Map(order.map((g, i) => [g, i]));
    const t: Tree = {
      feature: new Int32Array(n).fill(-1),
      threshold: new Float32Array(n),
      left: new Int32Array(n).fill(-1),
      right: new Int32Array(n).fill(-1),
      defaultLeft: new Uint8Array(n),
      value: new Float32Array(n),
      cover: new Float64Array(n).fill(NaN),
      gain: new Float64Array(n).fill(NaN),
    };
    for (let i = 0; i < n; i++) {
      const g = order[i]!;
      const mode = modes[g]!;
      if (mode === "LEAF") {
        t.value[i] = (leafWeight.get(g) ?? 0) * scale;
        t.gain[i] = 0;
        continue;
      }
      const thr = values[g]!;
      if (Number.isNaN(thr)) return fail(`tree ${tid} node ${nodeIds[g]} has a NaN threshold`);
      const yes = local.get(child(g, trueIds))!, no = local.get(child(g, falseIds))!;
      const track = tracks[g] ? 1 : 0;
      let T: number, leftIsTrue: boolean;
      switch (mode) {
        case "BRANCH_LT":
          [T, leftIsTrue] = [ceil32(thr), true];
          break;
        case "BRANCH_GTE":
          [T, leftIsTrue] = [ceil32(thr), false];
          break;
        case "BRANCH_LEQ":
        case "BRANCH_GT": {
          const fl = floor32(thr);
          if (fl === Infinity) {
            return `tree ${tid} has ${mode} at +Infinity, which x < T cannot express`;
          }
          [T, leftIsTrue] = [next32(fl), mode === "BRANCH_LEQ"];
          break;
        }
        default:
          return `tree ${tid} uses ${mode}, which x < T cannot express`;
      }
      const f = featureIds[g]!;
      if (f < 0) return fail(`tree ${tid} node ${nodeIds[g]} splits on feature ${f}`);
      maxFeature = Math.max(maxFeature, f);
      t.feature[i] = f;
      t.threshold[i] = T;
      t.left[i] = leftIsTrue ? yes : no;
      t.right[i] = leftIsTrue ? no : yes;
      t.defaultLeft[i] = leftIsTrue ? track : 1 - track;
    }
    trees.push(t);
  }
  if (nInputCols !== undefined && maxFeature >= nInputCols) {
    return fail(`a node splits on feature ${maxFeature}, but the input has ${nInputCols} columns`);
  }
  return { trees, baseScore: base[0]!, nFeatures: nInputCols ?? maxFeature + 1 };
}

/**
 * Node order of a tree: the ONNX node ids themselves when they are 0..n-1 with the root at
 * 0 and every node reachable (our exporter, XGBoost's), so a round trip keeps every index;
 * else depth-first preorder from the root, which drops nodes the root does not reach.
 */
function nodeOrder(
  ids: Map<number, number>,
  root: number,
  nodeIds: number[],
  modes: string[],
  children: (g: number) => [number, number],
): number[] {
  const order: number[] = [];
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const g = stack.pop()!;
    if (seen.has(g)) return fail(`a tree reaches node ${nodeIds[g]} twice (not a tree)`);
    seen.add(g);
    order.push(g);
    if (modes[g] !== "LEAF") {
      const [yes, no] = children(g);
      stack.push(no, yes);
    }
  }
  const n = ids.size;
  if (order.length === n && nodeIds[root] === 0 && [...ids.keys()].every((id) => id < n)) {
    return Array.from({ length: n }, (_, i) => ids.get(i)!);
  }
  return order;
}

function str(a: Map<string, Attribute>, name: string, dflt: string): string {
  const v = a.get(name);
  return v ? text(v.s) : dflt;
}

function intList(a: Map<string, Attribute>, name: string, expected?: number): number[] {
  const v = (a.get(name)?.ints ?? []).map(num);
  if (expected !== undefined && v.length !== expected) {
    return fail(
      `TreeEnsembleRegressor attribute "${name}" has ${v.length} values, expected ${expected}`,
    );
  }
  return v;
}

/** A float list attribute or its `_as_tensor` (double) twin. */
function numbers(a: Map<string, Attribute>, name: string, expected?: number): number[] {
  const tensor = a.get(`${name}_as_tensor`)?.t;
  const v = tensor
    ? tensorNumbers(tensor, `${name}_as_tensor`)
    : (a.get(name)?.floats ?? []).slice();
  if (expected !== undefined && v.length !== expected) {
    return fail(
      `TreeEnsembleRegressor attribute "${name}" has ${v.length} values, expected ${expected}`,
    );
  }
  return v;
}
