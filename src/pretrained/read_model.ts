/**
 * Reads a model trained elsewhere: an ONNX file (any exporter), or an XGBoost model in its
 * JSON format (`Booster.save_model("m.json")`, also what XGBoost on Spark or Dask saves),
 * told apart by the file extension. Both come back as the ONNX importer's description, so
 * the input check and the packaging that follow do not care where the model came from.
 */
import { extname } from "node:path";
import { type ImportedOnnx, importOnnx } from "../onnx/import.ts";
import { importXgboostJson } from "../gbdt/xgboost_import.ts";

export type PretrainedFormat = "onnx" | "xgboost_json";

export interface PretrainedModel {
  format: PretrainedFormat;
  /** The file's bytes (scored as they are when the model is not a tree ensemble). */
  bytes: Uint8Array;
  imported: ImportedOnnx;
}

/** The format of a model file, from its extension. */
export function formatOf(file: string): PretrainedFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".onnx") return "onnx";
  if (ext === ".json") return "xgboost_json";
  throw new TypeError(
    `Cannot read pretrained model "${file}": expected a .onnx file or an XGBoost .json model, got extension "${ext}"`,
  );
}

/** Parses a model file's bytes; `file` names it in errors and decides the format. */
export function parsePretrained(bytes: Uint8Array, file: string): PretrainedModel {
  const format = formatOf(file);
  try {
    if (format === "onnx") return { format, bytes, imported: importOnnx(bytes) };
    const model = importXgboostJson(JSON.parse(new TextDecoder().decode(bytes)));
    const imported: ImportedOnnx = {
      kind: "tree_ensemble",
      model,
      // XGBoost stores each node's hessian sum: the covers TreeSHAP needs.
      hasCovers: model.trees.every((t) => t.cover.every(Number.isFinite)),
      inputs: [{ name: "input", shape: [null, model.featureNames.length], type: "float" }],
      outputs: [{ name: "prediction", shape: [null, 1], type: "float" }],
      metadata: {},
    };
    return { format, bytes, imported };
  } catch (e) {
    throw new TypeError(`Cannot read pretrained model "${file}": ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Reads and parses a model file. */
export async function readPretrained(path: string, file = path): Promise<PretrainedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new TypeError(`Cannot read pretrained model "${file}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  return parsePretrained(bytes, file);
}
