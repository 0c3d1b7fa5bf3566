import type { DuckDBConnection } from "@duckdb/node-api";
import { ident, lit } from "./duck.ts";
import type { FeatureMatrix } from "./matrix.ts";

export interface LabelledMatrix {
  X: FeatureMatrix;
  y: Float32Array;
  station: string[];
  /** Epoch milliseconds of each row's local time (UTC fields carry the local clock). */
  time: Float64Array;
}

/**
 * Loads a feature table (Parquet) as a float32 matrix in the given feature order, plus the
 * target and row keys. Missing = NaN, as the learner and ONNX Runtime expect. With
 * `fileOrder`, the rows come in the file's order whatever the filter: DuckDB's parallel scan
 * may otherwise return a filtered large file's rows in another order from one run to the
 * next (seen on a 3M-row split filtered by station), and a consumer whose result depends on
 * the row order (the drift verdict's thinning and station numbering) then varies too.
 */
export async function loadMatrix(
  c: DuckDBConnection,
  path: string,
  names: readonly string[],
  target: string,
  where = "true",
  fileOrder = false,
): Promise<LabelledMatrix> {
  const from = `FROM read_parquet(${lit(path)}${
    fileOrder ? ", file_row_number = true" : ""
  }) WHERE ${where}`;
  // Counting first lets every column go straight into a typed array of the final size: a
  // 16M-row split then costs its float32 bytes, not a JS number per value.
  const counted = await c.runAndReadAll(`SELECT count(*) AS n ${from}`);
  const nRows = Number(counted.getRowObjectsJS()[0]!.n);
  const nCols = names.length;
  const data = new Float32Array(nRows * nCols);
  const y = new Float32Array(nRows);
  const station: string[] = new Array(nRows);
  const time = new Float64Array(nRows);
  const cols = [...names.map(ident), ident(target), "station", "epoch_ms(time) AS t"];
  const result = await c.run(
    `SELECT ${cols.join(", ")} ${from}${fileOrder ? " ORDER BY file_row_number" : ""}`,
  );
  let base = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    if (base + n > nRows) {
      throw new Error(
        `Cannot load ${path}: it changed while being read (${nRows} rows counted, more read)`,
      );
    }
    for (let j = 0; j < nCols; j++) {
      const v = chunk.getColumnVector(j);
      for (let i = 0, k = base * nCols + j; i < n; i++, k += nCols) {
        const x = v.getItem(i);
        data[k] = x === null ? NaN : Number(x);
      }
    }
    const vy = chunk.getColumnVector(nCols), vs = chunk.getColumnVector(nCols + 1);
    const vt = chunk.getColumnVector(nCols + 2);
    for (let i = 0; i < n; i++) {
      const t = vy.getItem(i);
      y[base + i] = t === null ? NaN : Number(t);
      station[base + i] = String(vs.getItem(i));
      time[base + i] = Number(vt.getItem(i));
    }
    base += n;
  }
  // Fewer rows than counted would leave zero-filled rows that look like data.
  if (base !== nRows) {
    throw new Error(
      `Cannot load ${path}: it changed while being read (${nRows} rows counted, ${base} read)`,
    );
  }
  return { X: { data, nRows, nCols, names: [...names] }, y, station, time };
}
