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
 * target and row keys. Missing = NaN, as the learner and ONNX Runtime expect.
 */
export async function loadMatrix(
  c: DuckDBConnection,
  path: string,
  names: readonly string[],
  target: string,
  where = "true",
): Promise<LabelledMatrix> {
  const cols = [...names.map(ident), ident(target), "station", "epoch_ms(time) AS t"];
  const result = await c.run(
    `SELECT ${cols.join(", ")} FROM read_parquet(${lit(path)}) WHERE ${where}`,
  );
  const nCols = names.length;
  const data: number[] = [];
  const y: number[] = [];
  const station: string[] = [];
  const time: number[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const vecs = Array.from({ length: nCols + 3 }, (_, j) => chunk.getColumnVector(j));
    const base = data.length;
    data.length = base + n * nCols;
    for (let j = 0; j < nCols; j++) {
      const v = vecs[j]!;
      for (let i = 0; i < n; i++) {
        const x = v.getItem(i);
        data[base + i * nCols + j] = x === null ? NaN : Number(x);
      }
    }
    const vy = vecs[nCols]!, vs = vecs[nCols + 1]!, vt = vecs[nCols + 2]!;
    for (let i = 0; i < n; i++) {
      const t = vy.getItem(i);
      y.push(t === null ? NaN : Number(t));
      station.push(String(vs.getItem(i)));
      time.push(Number(vt.getItem(i)));
    }
  }
  const nRows = y.length;
  return {
    X: { data: Float32Array.from(data), nRows, nCols, names: [...names] },
    y: Float32Array.from(y),
    station,
    time: Float64Array.from(time),
  };
}
