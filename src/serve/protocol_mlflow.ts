/**
 * MLflow's scoring protocol (`POST /invocations`) as a pure adapter: the four JSON input
 * formats to checked rows, predictions to `{predictions: [...]}`. Row counts are checked
 * before any row is built.
 *
 *   {"dataframe_split": {"columns": [...], "data": [[...], ...]}}
 *   {"dataframe_records": [{...}, ...]}
 *   {"instances": [{...} | [...], ...]}
 *   {"inputs": [{...} | [...], ...] | {"feature": [values], ...}}
 */
import type { FeatureSchema } from "../features/schema.ts";
import {
  batchRows,
  type CheckedRow,
  checkRow,
  checkRowCount,
  exactlyOne,
  InputError,
  isRecord,
  onlyKeys,
  rowFromValues,
} from "./validate.ts";

const FORMATS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

/** The rows of an invocation. */
export function parseInvocation(
  body: Record<string, unknown>,
  schema: FeatureSchema,
  maxRows: number,
): CheckedRow[] {
  onlyKeys(body, [...FORMATS, "params"], "invocation");
  const key = exactlyOne(body, FORMATS, "invocation", `one of ${FORMATS.join(", ")}`);
  const parse = (v: unknown, p: string) =>
    Array.isArray(v) ? rowFromValues(v, schema, p) : checkRow(v, schema, p);
  const value = body[key];
  if (key === "dataframe_split") {
    return batchRows(splitRecords(value, maxRows), key, maxRows, parse);
  }
  if (key === "inputs" && isRecord(value)) {
    return batchRows(columnRecords(value, key, maxRows), key, maxRows, parse);
  }
  return batchRows(value, key, maxRows, parse);
}

export const invocationAnswer = (pred: Float32Array): unknown => ({
  predictions: Array.from(pred),
});

/** dataframe_split {columns, data} -> records, the row count checked first. */
function splitRecords(v: unknown, maxRows: number): unknown[] {
  if (!isRecord(v) || !Array.isArray(v.columns) || !Array.isArray(v.data)) {
    throw new InputError(
      `Cannot read "dataframe_split": expected {columns: [...], data: [[...], ...]}`,
      "dataframe_split",
      "{columns, data}",
      400,
    );
  }
  const columns = v.columns;
  if (!columns.every((c) => typeof c === "string")) {
    throw new InputError(
      `Cannot read "dataframe_split.columns": expected strings`,
      "dataframe_split",
      "column names",
      400,
    );
  }
  checkRowCount(v.data.length, "dataframe_split", maxRows);
  return v.data.map((r, i) => {
    if (!Array.isArray(r) || r.length !== columns.length) {
      throw new InputError(
        `Cannot read "dataframe_split.data[${i}]": expected ${columns.length} values`,
        "dataframe_split",
        `rows of ${columns.length} values`,
        400,
      );
    }
    return Object.fromEntries(columns.map((c, j) => [c, r[j]]));
  });
}

/** MLflow "inputs" as columns {name: [values]} -> records, the row count checked first. */
function columnRecords(cols: Record<string, unknown>, field: string, maxRows: number): unknown[] {
  const keys = Object.keys(cols);
  const arrays = keys.map((k) => cols[k]);
  const n = Array.isArray(arrays[0]) ? arrays[0].length : -1;
  if (n < 0 || !arrays.every((a) => Array.isArray(a) && a.length === n)) {
    throw new InputError(
      `Cannot read "${field}": expected columns as arrays of equal length`,
      field,
      "{feature: [values], ...}",
      400,
    );
  }
  checkRowCount(n, field, maxRows);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Object.fromEntries(keys.map((k, j) => [k, (arrays[j] as unknown[])[i]])));
  }
  return out;
}
