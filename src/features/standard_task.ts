import { openDuck } from "../data/duck.ts";
import { ingest, listRawFiles } from "../data/ingest/ingest.ts";
import { PRSA } from "../data/ingest/adapters.ts";
import { featureQuery } from "./build.ts";
import { type LabelledMatrix, loadMatrix } from "../data/load_matrix.ts";
import { FEATURE_NAMES, TARGET } from "./schema.ts";
import { lit } from "../data/duck.ts";

/**
 * The standard task of DESIGN.md exactly as the reference script builds it (no cleaning,
 * no gap): next-hour PM2.5 on PRSA-layout files, train before 2016-03-01, test from it.
 * Benchmarks use it so that our figures and XGBoost's are on the same rows.
 */
export async function loadStandardTask(
  dataDir: string,
  cut = "2016-03-01",
): Promise<{ train: LabelledMatrix; test: LabelledMatrix }> {
  const tmp = await Deno.makeTempDir({ prefix: "aqlab-task-" });
  const c = await openDuck();
  try {
    const files = await listRawFiles(dataDir);
    await ingest(c, {
      files,
      adapter: PRSA,
      sourceName: "prsa",
      knownStations: null,
      rawOut: `${tmp}/raw.parquet`,
      rejectsOut: `${tmp}/rejects.parquet`,
    });
    const stations = (await c.runAndReadAll(
      `SELECT DISTINCT station FROM read_parquet(${lit(`${tmp}/raw.parquet`)}) ORDER BY station`,
    )).getRowObjectsJS().map((r) => String(r.station));
    // Sorted, so the matrices (and a model trained on them) are the same on every call.
    await c.run(
      `COPY (${
        featureQuery(`read_parquet(${lit(`${tmp}/raw.parquet`)})`, 1, stations)
      } ORDER BY station, time)
      TO ${lit(`${tmp}/features.parquet`)} (FORMAT parquet)`,
    );
    const f = `${tmp}/features.parquet`;
    const train = await loadMatrix(
      c,
      f,
      FEATURE_NAMES,
      TARGET,
      `${TARGET} IS NOT NULL AND time < TIMESTAMP ${lit(cut)}`,
    );
    const test = await loadMatrix(
      c,
      f,
      FEATURE_NAMES,
      TARGET,
      `${TARGET} IS NOT NULL AND time >= TIMESTAMP ${lit(cut)}`,
    );
    return { train, test };
  } finally {
    c.closeSync();
    await Deno.remove(tmp, { recursive: true });
  }
}
