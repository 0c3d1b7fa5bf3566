/**
 * Private helpers over `onnx-proto` (protobufjs-generated ONNX 1.10 definitions): building
 * attributes, value infos and models, and reading attributes back. onnx-proto is a
 * CommonJS module whose `module.exports` is the protobuf root, hence the default import.
 */
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export type Attribute = onnxProto.onnx.IAttributeProto;
export type Node = onnxProto.onnx.INodeProto;
export type ValueInfo = onnxProto.onnx.IValueInfoProto;
export type Model = onnxProto.onnx.IModelProto;

/** IR version 8 goes with opset 17, the newest pairing onnxruntime 1.30 reads without notes. */
export const IR_VERSION = 8;
export const OPSET_ONNX = 17;
/** ai.onnx.ml v3: TreeEnsembleRegressor with `*_as_tensor` attributes, LinearRegressor, Imputer. */
export const OPSET_ML = 3;
export const ML_DOMAIN = "ai.onnx.ml";
export const PRODUCER = "aqlab";

const { AttributeType } = onnx.AttributeProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export const ints = (name: string, v: ArrayLike<number>): Attribute => ({
  name,
  type: AttributeType.INTS,
  ints: Array.from(v),
});
export const floats = (name: string, v: ArrayLike<number>): Attribute => ({
  name,
  type: AttributeType.FLOATS,
  floats: Array.from(v),
});
export const strings = (name: string, v: string[]): Attribute => ({
  name,
  type: AttributeType.STRINGS,
  strings: v.map((s) => utf8.encode(s)),
});
export const string = (name: string, v: string): Attribute => ({
  name,
  type: AttributeType.STRING,
  s: utf8.encode(v),
});
export const float = (name: string, v: number): Attribute => ({
  name,
  type: AttributeType.FLOAT,
  f: v,
});
export const int = (name: string, v: number): Attribute => ({
  name,
  type: AttributeType.INT,
  i: v,
});

/** A float tensor value info with a symbolic batch dimension "N". */
export function floatInput(name: string, nCols: number): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: [{ dimParam: "N" }, { dimValue: nCols }] },
      },
    },
  };
}

/** Serialises a single-graph model with our opsets and metadata. */
export function encodeModel(
  graph: { name: string; nodes: Node[]; input: ValueInfo[]; output: ValueInfo[] },
  meta: Record<string, string>,
): Uint8Array {
  const model: Model = {
    irVersion: IR_VERSION,
    producerName: PRODUCER,
    producerVersion: "1",
    opsetImport: [{ domain: "", version: OPSET_ONNX }, { domain: ML_DOMAIN, version: OPSET_ML }],
    graph: { name: graph.name, node: graph.nodes, input: graph.input, output: graph.output },
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

/** protobufjs gives int64 as number or Long depending on the value and whether `long` loads. */
export function num(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

export function text(b: Uint8Array | null | undefined): string {
  return b ? fromUtf8.decode(b) : "";
}

/** Attributes of a node by name. */
export function attributeMap(node: Node): Map<string, Attribute> {
  const m = new Map<string, Attribute>();
  for (const a of node.attribute ?? []) if (a.name) m.set(a.name, a);
  return m;
}

/** The numbers held by a TensorProto (float, double, int32, int64; raw or typed fields). */
export function tensorNumbers(t: onnxProto.onnx.ITensorProto, what: string): number[] {
  const T = onnx.TensorProto.DataType;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  switch (t.dataType) {
    case T.FLOAT:
      if (view) {
        return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getFloat32(4 * i, true));
      }
      return (t.floatData ?? []).slice();
    case T.DOUBLE:
      if (view) {
        return Array.from({ length: view.byteLength / 8 }, (_, i) => view.getFloat64(8 * i, true));
      }
      return (t.doubleData ?? []).slice();
    case T.INT32:
      if (view) {
        return Array.from({ length: view.byteLength / 4 }, (_, i) => view.getInt32(4 * i, true));
      }
      return (t.int32Data ?? []).slice();
    case T.INT64:
      if (view) {
        return Array.from(
          { length: view.byteLength / 8 },
          (_, i) => Number(view.getBigInt64(8 * i, true)),
        );
      }
      return (t.int64Data ?? []).map(num);
    default:
      throw new TypeError(
        `Cannot read ONNX model: tensor attribute "${what}" has data type ${t.dataType}, expected float, double, int32 or int64`,
      );
  }
}

/** Shape of a value info as numbers (known dims) or strings (symbolic) or null (unknown). */
export function shapeOf(v: ValueInfo): (number | string | null)[] {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== null && d.dimValue !== undefined) return num(d.dimValue);
    return null;
  });
}
