/**
 * Our own JSON protocol, `POST /v1/predict`, as a pure adapter: a parsed body to checked
 * rows, and predictions (with SHAP values when asked) to the answer. No I/O, no state.
 *
 *   {"features": {...}}  one row by feature name    -> {prediction, interval, ...}
 *   {"observation": {...}}  one raw observation      -> the same
 *   {"rows": [...]}  a batch, either form per row     -> {model_version, predictions: [...]}
 */
import { predictionInterval } from "../metrics/conformal.ts";
import type { FeatureSchema } from "../features/schema.ts";
import type { LoadedModel } from "./model.ts";
import {
  batchRows,
  type CheckedRow,
  checkRow,
  exactlyOne,
  InputError,
  isRecord,
  onlyKeys,
  rowFromFeatures,
  rowFromObservation,
} from "./validate.ts";

const KEYS = ["features", "observation", "rows"] as const;

export interface V1Request {
  rows: CheckedRow[];
  /** One row given as `features` or `observation` (answered as one object). */
  single: boolean;
}

/** `?explain=` as a boolean (absent: false). */
export function explainFlag(value: string | null): boolean {
  if (value === null || value === "false" || value === "0") return false;
  if (value === "true" || value === "1") return true;
  throw new InputError(
    `Cannot read "explain": expected true or false, got "${value.slice(0, 20)}"`,
    "explain",
    "true or false",
    400,
  );
}

/** The rows of a predict request; `maxRows` is the batch limit (lower with explain=true). */
export function parseV1(
  body: Record<string, unknown>,
  schema: FeatureSchema,
  maxRows: number,
  explain: boolean,
): V1Request {
  onlyKeys(body, KEYS, "predict request");
  const key = exactlyOne(
    body,
    KEYS,
    "predict request",
    '{"features": {...}} or {"observation": {...}} or {"rows": [...]}',
  );
  if (key === "rows") {
    const rows = batchRows(
      body.rows,
      "rows",
      maxRows,
      (v, p) => checkRow(v, schema, p),
      explain ? " with explain=true" : "",
    );
    return { rows, single: false };
  }
  const obj = body[key];
  if (!isRecord(obj)) {
    throw new InputError(`Cannot read "${key}": expected an object`, key, "an object", 400);
  }
  const row = key === "features" ? rowFromFeatures(obj, schema) : rowFromObservation(obj, schema);
  return { rows: [row], single: true };
}

/** The answer for one row. */
function rowAnswer(
  m: LoadedModel,
  y: number,
  row: CheckedRow,
  shap: { expected: number; values: Float64Array; at: number } | null,
  names: readonly string[],
) {
  const q = m.metadata.interval;
  const out: Record<string, unknown> = {
    prediction: y,
    interval: null,
    model_version: m.version,
    flags: row.flags,
  };
  if (q) {
    const [lower, upper] = predictionInterval(y, q);
    out.interval = { lower, upper, level: 1 - q.alpha };
  }
  if (shap) {
    const values: Record<string, number> = {};
    for (let j = 0; j < names.length; j++) values[names[j]!] = shap.values[shap.at + j]!;
    out.shap = { expected_value: shap.expected, values };
  }
  return out;
}

/** The answer body: one object for a single row, `{model_version, predictions}` for a batch. */
export function v1Answer(
  m: LoadedModel,
  req: V1Request,
  pred: Float32Array,
  shap: Float64Array | null,
  names: readonly string[],
): unknown {
  const F = names.length;
  const expected = m.explainer?.expectedValue ?? 0;
  const one = (i: number) =>
    rowAnswer(
      m,
      pred[i]!,
      req.rows[i]!,
      shap ? { expected, values: shap, at: i * F } : null,
      names,
    );
  if (req.single) return one(0);
  return { model_version: m.version, predictions: req.rows.map((_, i) => one(i)) };
}
