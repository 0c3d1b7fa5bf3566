/**
 * A current sample for drift checks and batch scoring: a folder of raw files run through
 * the pipeline's own ingest, clean and feature code, or the endpoint's prediction log.
 */
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { type LogEntry, recentEntries } from "../serve/prediction_log.ts";
import { all, lit, writeParquet } from "./duck.ts";
import { type LabelledMatrix, loadMatrix } from "./load_matrix.ts";
import { ingest, listRawFiles } from "./ingest/ingest.ts";
import { ADAPTERS } from "./ingest/adapters.ts";
import { OFF_HOUR_RULES, type OffHourRule } from "./ingest/times.ts";
import { clean, FILL_RULES, type FillRule } from "./clean.ts";
import { featureQuery } from "../features/build.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../features/schema.ts";

/** What became of a raw batch on its way to features. */
export interface BatchInfo {
  dir: string;
  files: string[];
  lines: number;
  kept: number;
  rejected: number;
  rows: number;
  stations: string[];
  unseen_stations: string[];
  warnings: string[];
  /** Why the batch could not be used, or null. */
  error: string | null;
}

/**
 * The endpoint's logged inputs (Deno KV prediction log, `src/serve/prediction_log.ts`) as
 * a current sample: features as served, no labels, request times. Never throws: a log that
 * cannot be read comes back empty with `error` saying why.
 */
export async function loadLoggedInputs(
  path: string,
  schema: FeatureSchema,
  limit: number,
): Promise<{ matrix: LabelledMatrix; info: BatchInfo }> {
  const info = emptyBatchInfo(path, [path]);
  let entries: LogEntry[] = [];
  try {
    await Deno.stat(path);
    const kv = await Deno.openKv(path);
    try {
      entries = await recentEntries(kv, limit);
    } finally {
      kv.close();
    }
  } catch (e) {
    info.error = `cannot read the prediction log ${path}: ${(e as Error).message}`;
    return { matrix: emptyMatrix(), info };
  }
  const nCols = FEATURE_NAMES.length;
  const good = entries.filter((e) => Array.isArray(e.x) && e.x.length === nCols);
  info.lines = entries.length;
  info.kept = info.rows = good.length;
  info.rejected = entries.length - good.length;
  if (info.rejected) {
    info.warnings.push(
      `${info.rejected} logged rows have another feature count than the schema's ${nCols}`,
    );
  }
  if (good.length === 0 && !info.error) {
    info.error = `the prediction log ${path} holds no usable rows`;
  }
  const data = new Float32Array(good.length * nCols);
  const time = new Float64Array(good.length);
  const station: string[] = [];
  const code = FEATURE_NAMES.indexOf("station_code");
  good.forEach((e, i) => {
    e.x.forEach((v, j) => (data[i * nCols + j] = v === null ? NaN : v));
    time[i] = Date.parse(e.time);
    station.push(schema.stations[Number(e.x[code])] ?? "unknown");
  });
  info.stations = [...new Set(station)].sort();
  return {
    matrix: {
      X: { data, nRows: good.length, nCols, names: [...FEATURE_NAMES] },
      y: new Float32Array(good.length).fill(NaN),
      station,
      time,
    },
    info,
  };
}

/** How a batch is read: the raw layout, the training schema, the ingest, clean and features settings. */
export interface BatchOptions {
  source: string;
  schema: FeatureSchema;
  offHour: OffHourRule;
  fill: FillRule;
  maxFillHours: number;
  stuckHours: number;
  horizonHours: number;
}

/** The `ingest`, `clean` and `features` parameters a batch is prepared with, for a stage's `uses`. */
export const BATCH_USES = {
  "ingest.off_hour": "string",
  "clean.fill_inputs": "string",
  "clean.max_fill_hours": "number",
  "clean.stuck_hours": "number",
  "features.horizon_hours": "number",
} as const;

/**
 * The batch options of a run: its raw layout and the `ingest`, `clean` and `features`
 * parameters (a stage's `ctx.used`, with BATCH_USES in its `uses`), so a batch is read and
 * cleaned like the training data.
 */
export function batchOptions(
  used: {
    readonly [K in keyof typeof BATCH_USES]: typeof BATCH_USES[K] extends "number" ? number
      : string;
  },
  source: string,
  schema: FeatureSchema,
): BatchOptions {
  return {
    source,
    schema,
    ...batchSettings(used),
  };
}

/** The settings part of BatchOptions from the parameters BATCH_USES names. */
export function batchSettings(
  used: {
    readonly [K in keyof typeof BATCH_USES]: typeof BATCH_USES[K] extends "number" ? number
      : string;
  },
): Omit<BatchOptions, "source" | "schema"> {
  return {
    offHour: pick(used["ingest.off_hour"], OFF_HOUR_RULES, "reject"),
    fill: pick(used["clean.fill_inputs"], FILL_RULES, "none"),
    maxFillHours: used["clean.max_fill_hours"],
    stuckHours: used["clean.stuck_hours"],
    horizonHours: used["features.horizon_hours"],
  };
}

/**
 * Runs a folder of raw files through the same ingest, clean and feature code as the
 * pipeline, with station codes from the training schema. Never throws: a batch that cannot
 * be read comes back empty with `error` saying why.
 */
export async function loadBatch(
  c: DuckDBConnection,
  dir: string,
  tmp: string,
  o: BatchOptions,
): Promise<{ matrix: LabelledMatrix; info: BatchInfo }> {
  const { path, info } = await batchFeatures(c, dir, tmp, o);
  if (path === null) return { matrix: emptyMatrix(), info };
  try {
    return { matrix: await loadMatrix(c, path, FEATURE_NAMES, TARGET), info };
  } catch (e) {
    info.error = e instanceof Error ? e.message : String(e);
    return { matrix: emptyMatrix(), info };
  }
}

/**
 * `loadBatch` up to the feature table: its Parquet file in `tmp` (rows by station and time),
 * not loaded, so that a caller can count or filter its rows first (the drift stage's station
 * sample). `path` is null when the batch cannot be read (`info.error` says why).
 */
export async function batchFeatures(
  c: DuckDBConnection,
  dir: string,
  tmp: string,
  o: BatchOptions,
): Promise<{ path: string | null; info: BatchInfo }> {
  const info = emptyBatchInfo(dir, []);
  try {
    try {
      info.files = await listRawFiles(dir);
    } catch (e) {
      throw new Error(
        `Cannot read the batch folder "${dir}": ${e instanceof Error ? e.message : e}`,
      );
    }
    if (info.files.length === 0) throw new Error(`The batch folder "${dir}" has no CSV files`);
    const adapter = o.source === "long" ? "long" : ADAPTERS[o.source];
    if (!adapter) throw new Error(`Unknown source layout "${o.source}"`);
    const raw = join(tmp, "raw.parquet");
    const rep = await ingest(c, {
      files: info.files,
      adapter,
      sourceName: o.source,
      knownStations: null,
      rawOut: raw,
      rejectsOut: join(tmp, "rejects.parquet"),
      offHour: o.offHour,
    });
    Object.assign(info, {
      lines: rep.lines,
      kept: rep.kept,
      rejected: rep.rejected,
      warnings: rep.warnings.slice(0, 50),
    });
    if (rep.kept === 0) {
      throw new Error(
        `No usable row in ${rep.lines} line(s) of ${info.files.length} file(s)${
          rep.warnings.length ? `: ${rep.warnings.slice(0, 3).join("; ")}` : ""
        }`,
      );
    }
    const cleanPath = join(tmp, "clean.parquet");
    await clean(c, {
      rawPath: raw,
      out: cleanPath,
      fill: o.fill,
      maxFillHours: o.maxFillHours,
      stuckHours: o.stuckHours,
    });
    info.stations = (await all<{ station: string }>(
      c,
      `SELECT DISTINCT station FROM read_parquet(${lit(cleanPath)}) ORDER BY station`,
    )).map((r) => String(r.station));
    const known = new Set(o.schema.stations);
    info.unseen_stations = info.stations.filter((s) => !known.has(s));
    const features = join(tmp, "features.parquet");
    await writeParquet(
      c,
      `${
        featureQuery(`read_parquet(${lit(cleanPath)})`, o.horizonHours, o.schema.stations)
      } ORDER BY station, time`,
      features,
    );
    info.rows = Number(
      (await all<{ n: bigint | number }>(
        c,
        `SELECT count(*) AS n FROM read_parquet(${lit(features)})`,
      ))[0]!.n,
    );
    return { path: features, info };
  } catch (e) {
    info.error = e instanceof Error ? e.message : String(e);
    return { path: null, info };
  }
}

function pick<T extends string>(v: unknown, choices: readonly T[], fallback: T): T {
  return choices.includes(v as T) ? v as T : fallback;
}

export function emptyBatchInfo(dir: string, files: string[]): BatchInfo {
  return {
    dir,
    files,
    lines: 0,
    kept: 0,
    rejected: 0,
    rows: 0,
    stations: [],
    unseen_stations: [],
    warnings: [],
    error: null,
  };
}

export function emptyMatrix(): LabelledMatrix {
  return {
    X: {
      data: new Float32Array(0),
      nRows: 0,
      nCols: FEATURE_NAMES.length,
      names: [...FEATURE_NAMES],
    },
    y: new Float32Array(0),
    station: [],
    time: new Float64Array(0),
  };
}
