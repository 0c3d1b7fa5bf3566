/**
 * Loads a split (train / valid / test Parquet) as a labelled matrix in the model's feature
 * order, with errors that name the split and its file. Rows without a target are left out
 * (they cannot be trained on or scored); the count is returned.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { all, ident, lit } from "../data/duck.ts";
import { type LabelledMatrix, loadMatrix } from "../data/load_matrix.ts";

export class SplitError extends Error {
  override name = "SplitError";
}

export interface LoadedSplit extends LabelledMatrix {
  /** Rows of the file left out because the target is missing. */
  droppedNoTarget: number;
}

export async function loadSplit(
  c: DuckDBConnection,
  path: string,
  options: { label: string; features: readonly string[]; target: string },
): Promise<LoadedSplit> {
  const { label, features, target } = options;
  let columns: string[];
  try {
    columns = (await all<{ column_name: string }>(
      c,
      `DESCRIBE SELECT * FROM read_parquet(${lit(path)})`,
    )).map((r) => r.column_name);
  } catch (e) {
    throw new SplitError(
      `Cannot read the ${label} split "${path}": ${(e as Error).message.split("\n")[0]}`,
    );
  }
  const missing = [...features, target, "station", "time"].filter((n) => !columns.includes(n));
  if (missing.length) {
    throw new SplitError(
      `Cannot read the ${label} split "${path}": missing column(s) ${
        missing.map((m) => `"${m}"`).join(", ")
      }`,
    );
  }
  const m = await loadMatrix(c, path, features, target, `${ident(target)} IS NOT NULL`);
  const total = await all<{ n: bigint }>(c, `SELECT count(*) AS n FROM read_parquet(${lit(path)})`);
  const dropped = Number(total[0]?.n ?? 0) - m.X.nRows;
  if (m.X.nRows === 0) {
    throw new SplitError(
      `Cannot use the ${label} split "${path}": it has no rows with a target "${target}"${
        dropped ? ` (${dropped} rows without one)` : ""
      }`,
    );
  }
  return { ...m, droppedNoTarget: dropped };
}
