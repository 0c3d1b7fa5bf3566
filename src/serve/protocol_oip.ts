/**
 * The Open Inference Protocol v2 (KServe, Triton, Seldon) as a pure adapter: an inference
 * request to checked rows and the outputs asked for, predictions to the inference answer,
 * and the model metadata. The whole request, `outputs` included, is checked here, before
 * anything is scored or logged.
 *
 * Inputs: one [n, F] tensor (features in model order), or one [n] tensor per feature named
 * by it. A tensor's `data` is flat in row-major order or nested exactly as its `shape`.
 */
import { predictionInterval } from "../metrics/conformal.ts";
import type { FeatureSchema } from "../features/schema.ts";
import type { LoadedModel } from "./model.ts";
import {
  type CheckedRow,
  checkRowCount,
  InputError,
  isRecord,
  onlyKeys,
  rowFromValues,
} from "./validate.ts";

export interface OipRequest {
  id: string | undefined;
  rows: CheckedRow[];
  /** Output names asked for, in the model's order; null = all. */
  outputs: string[] | null;
}

/** The version string of OIP answers ("1", or "candidate" for an unregistered model). */
export const oipVersion = (m: LoadedModel): string => String(m.metadata.version ?? "candidate");

/** Outputs of the model: the prediction, and the interval bounds when it has an interval. */
export const outputNames = (m: LoadedModel): string[] =>
  m.metadata.interval ? ["predict", "interval_lower", "interval_upper"] : ["predict"];

/** Checks an inference request in full and returns its rows and outputs. */
export function parseOip(
  body: Record<string, unknown>,
  m: LoadedModel,
  names: readonly string[],
  maxRows: number,
): OipRequest {
  onlyKeys(body, ["id", "inputs", "outputs", "parameters"], "inference request");
  const id = body.id;
  if (id !== undefined && typeof id !== "string") {
    throw new InputError(`Cannot read "id": expected a string`, "id", "a string", 400);
  }
  const outputs = body.outputs === undefined ? null : wantedOutputs(body.outputs, m);
  const inputs = body.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InputError(
      `Cannot read "inputs": expected a non-empty array of tensors`,
      "inputs",
      "a non-empty array of tensors",
      400,
    );
  }
  const schema: FeatureSchema = m.metadata.schema;
  const values = inputRows(inputs, names, maxRows);
  const rows = values.map((v, i) => rowFromValues(v, schema, `inputs[${i}].`));
  return { id, rows, outputs };
}

function wantedOutputs(given: unknown, m: LoadedModel): string[] {
  const all = outputNames(m);
  const expected = `a non-empty array of {name} with names among ${all.join(", ")}`;
  if (!Array.isArray(given) || given.length === 0) {
    throw new InputError(
      Array.isArray(given)
        ? `Cannot read "outputs": it is empty (leave it out for every output)`
        : `Cannot read "outputs": expected an array`,
      "outputs",
      expected,
      400,
    );
  }
  const wanted = new Set<string>();
  for (const o of given) {
    const name = isRecord(o) ? o.name : undefined;
    if (typeof name !== "string" || !all.includes(name)) {
      throw new InputError(
        `Cannot read "outputs": unknown output ${JSON.stringify(name ?? o)?.slice(0, 60)}`,
        "outputs",
        expected,
        400,
      );
    }
    wanted.add(name);
  }
  return all.filter((n) => wanted.has(n));
}

interface Tensor {
  name: string;
  shape: number[];
  values: unknown[];
}

/** A tensor's checked header and its values, row-major. */
function readTensor(t: unknown, i: number, maxValues: number): Tensor {
  const field = `inputs[${i}]`;
  if (!isRecord(t) || typeof t.name !== "string" || !Array.isArray(t.shape) || !("data" in t)) {
    throw new InputError(
      `Cannot read "${field}": expected a tensor {name, shape, datatype, data}`,
      field,
      "{name, shape, datatype, data}",
      400,
    );
  }
  const shape = t.shape;
  if (
    shape.length === 0 || shape.length > 8 ||
    !shape.every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) <= 1e7)
  ) {
    throw new InputError(
      `Cannot read "${field}.shape": expected 1 to 8 non-negative integers`,
      `${field}.shape`,
      "non-negative integers",
      400,
    );
  }
  if (typeof t.datatype !== "string" || !/^(FP(16|32|64)|U?INT(8|16|32|64))$/.test(t.datatype)) {
    throw new InputError(
      `Cannot read "${field}.datatype": expected a numeric type`,
      `${field}.datatype`,
      "FP32, FP64 or an integer type",
      400,
    );
  }
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > maxValues) {
    throw new InputError(
      `Cannot accept "${field}": shape [${
        dims.join(", ")
      }] holds ${size} values, at most ${maxValues} per request`,
      "inputs",
      `at most ${maxValues} values`,
      413,
    );
  }
  return { name: t.name, shape: dims, values: tensorValues(t.data, dims, size, field) };
}

/** `data` flat (row-major, `size` values) or nested exactly as `shape`; else a 400. */
function tensorValues(data: unknown, shape: number[], size: number, field: string): unknown[] {
  const mismatch = (what: string) =>
    new InputError(
      `Cannot read "${field}.data": ${what} for shape [${shape.join(", ")}]`,
      `${field}.data`,
      `${size} values, flat or nested as the shape`,
      400,
    );
  if (!Array.isArray(data)) {
    if (size === 1) return [data];
    throw mismatch("a single value");
  }
  if (!data.some(Array.isArray)) {
    if (data.length !== size) throw mismatch(`${data.length} values`);
    return data;
  }
  const out: unknown[] = [];
  const walk = (v: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw mismatch(`nesting deeper than ${shape.length} levels`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw mismatch(
        `${Array.isArray(v) ? `${v.length} entries` : "a value"} at level ${d + 1} where ${
          shape[d]
        } are expected`,
      );
    }
    for (const c of v) walk(c, d + 1);
  };
  walk(data, 0);
  return out;
}

/** Input tensors as rows of values in model order. */
function inputRows(inputs: unknown[], names: readonly string[], maxRows: number): unknown[][] {
  const F = names.length;
  if (inputs.length === 1) {
    const t = readTensor(inputs[0], 0, maxRows * F);
    if (t.shape[t.shape.length - 1] !== F || t.shape.length > 2) {
      throw new InputError(
        `Cannot read "inputs[0].shape": expected [n, ${F}] (features in model order)`,
        "inputs[0].shape",
        `[n, ${F}]`,
        400,
      );
    }
    const n = t.values.length / F;
    checkRowCount(n, "inputs", maxRows);
    const rows: unknown[][] = [];
    for (let i = 0; i < n; i++) rows.push(t.values.slice(i * F, (i + 1) * F));
    return rows;
  }
  // One tensor per feature, by name.
  if (inputs.length !== F) {
    throw new InputError(
      `Cannot read "inputs": expected one [n, ${F}] tensor or one tensor per feature; got ${inputs.length} tensors`,
      "inputs",
      `one tensor named by each of the ${F} features`,
      400,
    );
  }
  const tensors = inputs.map((t, i) => readTensor(t, i, maxRows));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const missing = names.filter((n) => !byName.has(n));
  if (missing.length > 0) {
    throw new InputError(
      `Cannot read "inputs": expected one [n, ${F}] tensor or one tensor per feature; missing ${
        missing.slice(0, 5).join(", ")
      }`,
      "inputs",
      `one tensor named by each of the ${F} features`,
      400,
    );
  }
  const n = byName.get(names[0]!)!.values.length;
  if (!tensors.every((t) => t.values.length === n)) {
    throw new InputError(
      `Cannot read "inputs": feature tensors of different lengths`,
      "inputs",
      "equal lengths",
      400,
    );
  }
  checkRowCount(n, "inputs", maxRows);
  const rows: unknown[][] = [];
  for (let i = 0; i < n; i++) rows.push(names.map((name) => byName.get(name)!.values[i]));
  return rows;
}

/** The inference answer. */
export function oipAnswer(m: LoadedModel, req: OipRequest, pred: Float32Array): unknown {
  const n = pred.length;
  const q = m.metadata.interval;
  const tensor = (name: string, data: number[]) => ({
    name,
    datatype: "FP32",
    shape: [n, 1],
    data,
  });
  const outputs = (req.outputs ?? outputNames(m)).map((name) =>
    name === "predict" ? tensor(name, Array.from(pred)) : tensor(
      name,
      Array.from(pred, (y) => predictionInterval(y, q!)[name === "interval_lower" ? 0 : 1]),
    )
  );
  return {
    model_name: m.metadata.name,
    model_version: oipVersion(m),
    ...(req.id !== undefined ? { id: req.id } : {}),
    outputs,
  };
}

/** Model metadata (`GET /v2/models/:name`). */
export function oipMetadata(m: LoadedModel, names: readonly string[]): unknown {
  return {
    name: m.metadata.name,
    versions: [oipVersion(m)],
    platform: "onnx_onnxv1",
    inputs: [{ name: "input", datatype: "FP32", shape: [-1, names.length] }],
    outputs: outputNames(m).map((name) => ({ name, datatype: "FP32", shape: [-1, 1] })),
    parameters: { feature_names: names },
  };
}

/** The model named by the path (`:name`, `:version`), or a 404. */
export function checkModelPath(
  m: LoadedModel,
  params: Record<string, string | undefined>,
): void {
  const version = oipVersion(m);
  if (params.name !== m.metadata.name) {
    throw new InputError(
      `Cannot find model "${String(params.name).slice(0, 60)}"`,
      "name",
      `"${m.metadata.name}"`,
      404,
    );
  }
  if (params.version !== undefined && params.version !== version) {
    throw new InputError(
      `Cannot find version "${params.version.slice(0, 20)}" of model "${m.metadata.name}"`,
      "version",
      `"${version}"`,
      404,
    );
  }
}
