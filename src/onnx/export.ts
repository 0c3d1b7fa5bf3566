/**
 * TreeEnsemble -> ONNX `ai.onnx.ml` TreeEnsembleRegressor (opset ml 3, ai.onnx 17).
 *
 * Graph: input "input" float [N, nFeatures] -> one TreeEnsembleRegressor -> output
 * "variable" float [N, 1]. Our rule "left when x < threshold, NaN follows defaultLeft" is
 * exactly BRANCH_LT with `nodes_missing_value_tracks_true` = defaultLeft, the true branch
 * being the left child. Thresholds and leaf values are float32 by contract, so the float
 * attributes hold them without rounding.
 *
 * What ONNX has no field for travels in `metadata_props`: the feature names, the per-node
 * covers (TreeSHAP needs them), the split gains and the exact base score (ONNX stores
 * `base_values` as float32; the double lets an import give back the same number).
 *
 * A change-target model (`model.addBack`, src/gbdt/add_back.ts) adds its add-back inside the
 * graph, so the file answers the level: per add-back column a Gather and an IsNaN, a chain
 * of Where (first present column, else the fallback constant) and an Add after the trees.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import { type AddBack, addBackColumns } from "../gbdt/add_back.ts";
import {
  type Attribute,
  encodeModel,
  floatInput,
  floats,
  int,
  ints,
  ML_DOMAIN,
  type Node,
  onnx,
  string,
  strings,
} from "./_proto.ts";

/** metadata_props keys written by aqlab exporters (values are JSON). */
export const META_KEYS = {
  featureNames: "feature_names",
  covers: "aqlab.covers",
  gains: "aqlab.gains",
  baseScore: "aqlab.base_score",
  modelKind: "aqlab.model_kind",
  addBack: "aqlab.add_back",
} as const;

export const INPUT_NAME = "input";
export const OUTPUT_NAME = "variable";

const RESERVED = new Set<string>(Object.values(META_KEYS));

/** Checks that `meta` does not overwrite a key the exporter writes itself. */
export function checkMeta(meta: Record<string, string>): void {
  for (const key of Object.keys(meta)) {
    if (RESERVED.has(key)) {
      throw new RangeError(
        `Cannot export ONNX model: metadata key "${key}" is reserved for the exporter`,
      );
    }
  }
}

/** Serialises a tree ensemble as an ONNX model (bytes of a `.onnx` file). */
export function exportTreeEnsemble(
  model: TreeEnsemble,
  meta: Record<string, string> = {},
): Uint8Array {
  checkMeta(meta);
  const nFeatures = model.featureNames.length;
  if (nFeatures === 0) throw new RangeError("Cannot export ONNX model: the model has no features");
  if (model.trees.length === 0) throw new RangeError("Cannot export ONNX model: it has no trees");

  const treeIds: number[] = [], nodeIds: number[] = [], featureIds: number[] = [];
  const modes: string[] = [], values: number[] = [], trueIds: number[] = [];
  const falseIds: number[] = [], missingTrue: number[] = [];
  const tTree: number[] = [], tNode: number[] = [], tWeight: number[] = [];

  model.trees.forEach((tree, t) => {
    const n = tree.feature.length;
    if (n === 0) throw new RangeError(`Cannot export ONNX model: tree ${t} has no nodes`);
    for (let i = 0; i < n; i++) {
      const f = tree.feature[i]!;
      treeIds.push(t);
      nodeIds.push(i);
      if (f < 0) {
        featureIds.push(0);
        modes.push("LEAF");
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        missingTrue.push(0);
        tTree.push(t);
        tNode.push(i);
        tWeight.push(tree.value[i]!);
        continue;
      }
      const l = tree.left[i]!, r = tree.right[i]!;
      if (f >= nFeatures || l <= 0 || l >= n || r <= 0 || r >= n) {
        throw new RangeError(
          `Cannot export ONNX model: tree ${t} node ${i} has feature ${f}, children ${l}/${r}; expected a feature below ${nFeatures} and children in 1..${
            n - 1
          }`,
        );
      }
      featureIds.push(f);
      modes.push("BRANCH_LT");
      values.push(tree.threshold[i]!);
      trueIds.push(l);
      falseIds.push(r);
      missingTrue.push(tree.defaultLeft[i] ? 1 : 0);
    }
  });

  const treesOut = model.addBack ? "trees" : OUTPUT_NAME;
  const node = {
    opType: "TreeEnsembleRegressor",
    domain: ML_DOMAIN,
    name: "trees",
    input: [INPUT_NAME],
    output: [treesOut],
    attribute: [
      string("aggregate_function", "SUM"),
      floats("base_values", [model.baseScore]),
      int("n_targets", 1),
      ints("nodes_falsenodeids", falseIds),
      ints("nodes_featureids", featureIds),
      ints("nodes_missing_value_tracks_true", missingTrue),
      strings("nodes_modes", modes),
      ints("nodes_nodeids", nodeIds),
      ints("nodes_treeids", treeIds),
      ints("nodes_truenodeids", trueIds),
      floats("nodes_values", values),
      string("post_transform", "NONE"),
      ints("target_ids", new Array<number>(tTree.length).fill(0)),
      ints("target_nodeids", tNode),
      ints("target_treeids", tTree),
      floats("target_weights", tWeight),
    ],
  };

  const jsonArrays = (pick: (i: number) => ArrayLike<number>) =>
    JSON.stringify(model.trees.map((_, i) => Array.from(pick(i))));
  return encodeModel(
    {
      name: "aqlab_tree_ensemble",
      nodes: model.addBack
        ? [node, ...addBackNodes(model.addBack, model.featureNames, treesOut)]
        : [node],
      input: [floatInput(INPUT_NAME, nFeatures)],
      output: [floatInput(OUTPUT_NAME, 1)],
    },
    {
      ...meta,
      [META_KEYS.modelKind]: "tree_ensemble",
      [META_KEYS.featureNames]: JSON.stringify(model.featureNames),
      [META_KEYS.baseScore]: JSON.stringify(model.baseScore),
      [META_KEYS.covers]: jsonArrays((i) => model.trees[i]!.cover),
      [META_KEYS.gains]: jsonArrays((i) => model.trees[i]!.gain),
      ...(model.addBack ? { [META_KEYS.addBack]: JSON.stringify(model.addBack) } : {}),
    },
  );
}

/** Nodes computing `trees` + add-back into OUTPUT_NAME (see the module comment). */
function addBackNodes(a: AddBack, featureNames: readonly string[], trees: string): Node[] {
  const cols = addBackColumns(a, featureNames);
  const T = onnx.TensorProto.DataType;
  const tensor = (name: string, t: NonNullable<Attribute["t"]>): Attribute => ({
    name,
    type: onnx.AttributeProto.AttributeType.TENSOR,
    t,
  });
  const nodes: Node[] = [{
    opType: "Constant",
    name: "add_back_fallback",
    output: ["add_back_fallback"],
    attribute: [tensor("value", { dataType: T.FLOAT, dims: [1, 1], floatData: [a.fallback] })],
  }];
  let acc = "add_back_fallback";
  // Built from the last column to the first, so the first present column wins.
  for (let k = cols.length - 1; k >= 0; k--) {
    const idx = `add_back_index_${k}`, col = `add_back_col_${k}`, miss = `add_back_missing_${k}`;
    const out = k === 0 ? "add_back" : `add_back_${k}`;
    nodes.push(
      {
        opType: "Constant",
        name: idx,
        output: [idx],
        attribute: [tensor("value", { dataType: T.INT64, dims: [1], int64Data: [cols[k]!] })],
      },
      {
        opType: "Gather",
        name: col,
        input: [INPUT_NAME, idx],
        output: [col],
        attribute: [int("axis", 1)],
      },
      { opType: "IsNaN", name: miss, input: [col], output: [miss] },
      { opType: "Where", name: out, input: [miss, acc, col], output: [out] },
    );
    acc = out;
  }
  nodes.push({ opType: "Add", name: "level", input: [trees, acc], output: [OUTPUT_NAME] });
  return nodes;
}
