/**
 * A small model package for the endpoint tests, built in a temp folder: a GBDT trained on a
 * synthetic matrix of the 22 schema features, exported to ONNX, with metadata (schema with
 * observed ranges, conformal interval) and a drift reference, per src/registry/package.ts.
 */
import { train } from "../../src/gbdt/boost.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { modelToJSON } from "../../src/gbdt/serialize.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { conformalQuantile } from "../../src/metrics/conformal.ts";
import { FEATURE_NAMES, FEATURES, type FeatureSchema } from "../../src/features/schema.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import type { DriftReference, ModelMetadata } from "../../src/registry/package.ts";
import { createPrng, type Prng } from "../../src/data/synth/prng.ts";
import type { TreeEnsemble } from "../../src/gbdt/tree.ts";
import { tempDir } from "../_temp.ts";

const NEVER_MISSING = new Set(["PM2.5", "hour", "dow", "month", "station_code"]);

export const STATIONS = ["Aotizhongxin", "Changping", "Dingling"];

/** One plausible raw observation (a winter evening at Changping), for tests and the load bench. */
export const SAMPLE_OBSERVATION = {
  station: "Changping",
  time: "2016-03-05T20:00",
  "PM2.5": 85,
  PM10: 110,
  SO2: 12,
  NO2: 60,
  CO: 1200,
  O3: 30,
  TEMP: 5.2,
  PRES: 1021,
  DEWP: -6.5,
  RAIN: 0,
  WSPM: 1.4,
  wd: "NNE",
  pm25_lag1: 80,
  pm25_lag2: 76,
  pm25_lag3: 70,
  pm25_lag24: 40,
  pm25_roll24: 62,
};

/** One plausible row of the 22 features (model order), with some values missing. */
export function syntheticRow(prng: Prng, missingShare = 0.03): number[] {
  const u = () => prng.next();
  const pm = 5 + 250 * u() ** 2;
  const angle = u() * 2 * Math.PI;
  const values: Record<string, number> = {
    "PM2.5": pm,
    PM10: pm * (1.1 + 0.5 * u()),
    SO2: 2 + 40 * u(),
    NO2: 10 + 90 * u(),
    CO: 200 + 2500 * u(),
    O3: 2 + 150 * u(),
    TEMP: -10 + 40 * u(),
    PRES: 990 + 45 * u(),
    DEWP: -25 + 45 * u(),
    RAIN: u() < 0.9 ? 0 : 5 * u(),
    WSPM: 6 * u(),
    wd_sin: Math.sin(angle),
    wd_cos: Math.cos(angle),
    hour: Math.floor(24 * u()),
    dow: Math.floor(7 * u()),
    month: 1 + Math.floor(12 * u()),
    station_code: Math.floor(STATIONS.length * u()),
    pm25_lag1: pm * (0.8 + 0.4 * u()),
    pm25_lag2: pm * (0.7 + 0.6 * u()),
    pm25_lag3: pm * (0.6 + 0.8 * u()),
    pm25_lag24: 5 + 250 * u() ** 2,
    pm25_roll24: pm * (0.5 + u()),
  };
  return FEATURE_NAMES.map((n) => !NEVER_MISSING.has(n) && u() < missingShare ? NaN : values[n]!);
}

export function syntheticMatrix(
  seed: number,
  nRows: number,
): { X: FeatureMatrix; y: Float32Array } {
  const prng = createPrng(seed);
  const F = FEATURE_NAMES.length;
  const data = new Float32Array(nRows * F);
  const y = new Float32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const r = syntheticRow(prng);
    data.set(r, i * F);
    const lag1 = Number.isNaN(r[17]!) ? r[0]! : r[17]!;
    y[i] = Math.max(
      0,
      0.6 * r[0]! + 0.3 * lag1 + 5 * Math.sin(r[13]! / 4) + 8 * (prng.next() - 0.5),
    );
  }
  return { X: { data, nRows, nCols: F, names: [...FEATURE_NAMES] }, y };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

export interface TestPackage {
  dir: string;
  model: TreeEnsemble;
  onnx: Uint8Array;
  metadata: ModelMetadata;
  X: FeatureMatrix;
}

/** Trains and writes a package; `version` null makes a candidate. */
export async function writeTestPackage(
  options: { dir?: string; version?: number | null; seed?: number; trees?: number } = {},
): Promise<TestPackage> {
  const dir = options.dir ?? await tempDir("aqlab_serve_");
  const { X, y } = syntheticMatrix(options.seed ?? 7, 800);
  const nTrain = 600;
  const Xtrain: FeatureMatrix = { ...X, data: X.data.subarray(0, nTrain * X.nCols), nRows: nTrain };
  const { model } = await train(Xtrain, y.subarray(0, nTrain), {
    nEstimators: options.trees ?? 30,
    maxDepth: 4,
    seed: 1,
  }, { threads: 1 });
  const pred = predict(model, X);
  const interval = conformalQuantile(y.subarray(nTrain), pred.subarray(nTrain), 0.1);
  const F = X.nCols;
  const schema: FeatureSchema = {
    version: 1,
    target: { name: "pm25_next", unit: "µg/m³", horizonHours: 1 },
    stations: STATIONS,
    features: FEATURES.map((f, j) => {
      const col: number[] = [];
      let missing = 0;
      for (let i = 0; i < nTrain; i++) {
        const v = X.data[i * F + j]!;
        if (Number.isNaN(v)) missing++;
        else col.push(v);
      }
      col.sort((a, b) => a - b);
      return {
        ...f,
        observed: {
          min: col[0]!,
          max: col[col.length - 1]!,
          p01: quantile(col, 0.01),
          p99: quantile(col, 0.99),
          missingShare: missing / nTrain,
        },
      };
    }),
  };
  const version = options.version === undefined ? 1 : options.version;
  const metadata: ModelMetadata = {
    name: "pm25",
    version,
    kind: "gbdt",
    created: "2026-01-01T00:00:00Z",
    git_commit: null,
    parent_version: null,
    params: { nEstimators: options.trees ?? 30, maxDepth: 4 },
    schema,
    metrics: {},
    interval,
    lineage: { run_id: "test", data_hash: null, stages: {} },
    training: { rows: nTrain, valid_rows: 200, seconds: 0 },
  };
  const columns: Record<string, (number | null)[]> = {};
  FEATURE_NAMES.forEach((n, j) => {
    columns[n] = Array.from({ length: nTrain }, (_, i) => {
      const v = X.data[i * F + j]!;
      return Number.isNaN(v) ? null : v;
    });
  });
  columns.prediction = Array.from(pred.subarray(0, nTrain));
  columns.pm25_next = Array.from(y.subarray(0, nTrain));
  const reference: DriftReference = {
    columns,
    // Every 3 hours from 2014-01-01 (75 days): the drift verdict estimates its noise from
    // day-long pieces of the reference, so its rows must span many days.
    time: Array.from(
      { length: nTrain },
      (_, i) =>
        new Date(Date.UTC(2014, 0, 1) + i * 3 * 3_600_000).toISOString().slice(0, 13) + ":00",
    ),
    rows: nTrain,
    source_rows: nTrain,
  };
  const onnx = exportTreeEnsemble(model, {});
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/model.onnx`, onnx);
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(modelToJSON(model)));
  await Deno.writeTextFile(`${dir}/metadata.json`, JSON.stringify(metadata));
  await Deno.writeTextFile(`${dir}/reference.json`, JSON.stringify(reference));
  return { dir, model, onnx, metadata, X };
}

/** The row as features by name (null for NaN). */
export function featuresObject(x: ArrayLike<number>): Record<string, number | null> {
  return Object.fromEntries(
    FEATURE_NAMES.map((n, j) => [n, Number.isNaN(x[j]!) ? null : x[j]!]),
  );
}
