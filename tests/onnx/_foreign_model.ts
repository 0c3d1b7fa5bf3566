/**
 * Builds ONNX TreeEnsembleRegressor files by hand, the way other exporters write them
 * (skl2onnx and LightGBM use BRANCH_LEQ, node ids need not be 0..n-1 nor root-first),
 * straight from onnx-proto so the tests do not depend on our exporter.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const A = onnx.AttributeProto.AttributeType;
const utf8 = new TextEncoder();

export interface ForeignNode {
  tree: number;
  id: number;
  mode: "LEAF" | "BRANCH_LT" | "BRANCH_LEQ" | "BRANCH_GT" | "BRANCH_GTE" | "BRANCH_EQ";
  feature?: number;
  threshold?: number;
  yes?: number;
  no?: number;
  /** 1: a missing value takes the true ("yes") branch. */
  missingYes?: 0 | 1;
  weight?: number;
}

export interface ForeignOptions {
  nFeatures: number;
  base?: number;
  aggregate?: string;
  /** Write thresholds as a double tensor (`nodes_values_as_tensor`). */
  doubleThresholds?: boolean;
  /** Target id per leaf weight (default 0). */
  targets?: number;
  meta?: Record<string, string>;
}

export function foreignModel(nodes: ForeignNode[], o: ForeignOptions): Uint8Array {
  const leaves = nodes.filter((n) => n.mode === "LEAF");
  const ints = (name: string, v: number[]) => ({ name, type: A.INTS, ints: v });
  const floats = (name: string, v: number[]) => ({ name, type: A.FLOATS, floats: v });
  const thresholds = nodes.map((n) => n.threshold ?? 0);
  const valuesAttr = o.doubleThresholds
    ? {
      name: "nodes_values_as_tensor",
      type: A.TENSOR,
      t: {
        dataType: onnx.TensorProto.DataType.DOUBLE,
        dims: [thresholds.length],
        doubleData: thresholds,
      },
    }
    : floats("nodes_values", thresholds);
  const node = {
    opType: "TreeEnsembleRegressor",
    domain: "ai.onnx.ml",
    input: ["X"],
    output: ["Y"],
    attribute: [
      { name: "aggregate_function", type: A.STRING, s: utf8.encode(o.aggregate ?? "SUM") },
      floats("base_values", [o.base ?? 0]),
      { name: "n_targets", type: A.INT, i: o.targets ?? 1 },
      ints("nodes_treeids", nodes.map((n) => n.tree)),
      ints("nodes_nodeids", nodes.map((n) => n.id)),
      ints("nodes_featureids", nodes.map((n) => n.feature ?? 0)),
      { name: "nodes_modes", type: A.STRINGS, strings: nodes.map((n) => utf8.encode(n.mode)) },
      valuesAttr,
      ints("nodes_truenodeids", nodes.map((n) => n.yes ?? 0)),
      ints("nodes_falsenodeids", nodes.map((n) => n.no ?? 0)),
      ints("nodes_missing_value_tracks_true", nodes.map((n) => n.missingYes ?? 0)),
      { name: "post_transform", type: A.STRING, s: utf8.encode("NONE") },
      ints("target_treeids", leaves.map((n) => n.tree)),
      ints("target_nodeids", leaves.map((n) => n.id)),
      ints("target_ids", leaves.map((_, i) => i % (o.targets ?? 1))),
      floats("target_weights", leaves.map((n) => n.weight ?? 0)),
    ],
  };
  const tensor = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: {
          dim: dims.map((d) => typeof d === "string" ? { dimParam: d } : { dimValue: d }),
        },
      },
    },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: "hand-built",
    opsetImport: [{ domain: "", version: 17 }, { domain: "ai.onnx.ml", version: 3 }],
    graph: {
      name: "foreign",
      node: [node],
      input: [tensor("X", ["batch", o.nFeatures])],
      output: [tensor("Y", ["batch", o.targets ?? 1])],
    },
    metadataProps: Object.entries(o.meta ?? {}).map(([key, value]) => ({ key, value })),
  }).finish();
}

/**
 * Direct evaluation of the ONNX rules in float64 (a second oracle, for the files
 * onnxruntime does not run, such as double thresholds with a float input).
 */
export function scoreForeign(nodes: ForeignNode[], row: ArrayLike<number>, base = 0): number {
  const byTree = new Map<number, Map<number, ForeignNode>>();
  for (const n of nodes) {
    const m = byTree.get(n.tree) ?? new Map<number, ForeignNode>();
    if (m.size === 0) m.set(-1, n); // first listed = root
    m.set(n.id, n);
    byTree.set(n.tree, m);
  }
  let s = base;
  for (const m of byTree.values()) {
    let n = m.get(-1)!;
    while (n.mode !== "LEAF") {
      const x = row[n.feature!]!, t = n.threshold!;
      const yes = Number.isNaN(x)
        ? n.missingYes === 1
        : n.mode === "BRANCH_LT"
        ? x < t
        : n.mode === "BRANCH_LEQ"
        ? x <= t
        : n.mode === "BRANCH_GT"
        ? x > t
        : n.mode === "BRANCH_GTE"
        ? x >= t
        : x === t;
      n = m.get(yes ? n.yes! : n.no!)!;
    }
    s += n.weight ?? 0;
  }
  return s;
}
