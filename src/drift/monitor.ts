/**
 * The drift stage's work: load the reference (the model's training rows)
 * and the current rows (the test split, a folder of raw files, or the endpoint's prediction
 * log), score both with the model, judge them with {@link driftVerdict}, evaluate the
 * retraining triggers from the same verdict, and write the report and the site's tables.
 *
 * Not exported from mod.ts: it loads DuckDB and ONNX Runtime, which the endpoint's import of
 * the drift library must not pull in.
 * @module
 */

import { isAbsolute, join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit, openDuck } from "../data/duck.ts";
import { type LabelledMatrix, loadMatrix } from "../data/load_matrix.ts";
import {
  batchFeatures,
  type BatchInfo,
  type BatchOptions,
  emptyMatrix,
  loadLoggedInputs,
} from "../data/batch.ts";
import type { FeatureMatrix } from "../data/matrix.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../features/schema.ts";
import { regressionMetrics } from "../metrics/regression.ts";
import { type Column as TableColumn, writeColumns } from "../data/write_columns.ts";
import { createSession } from "../onnx/session.ts";
import { writeJsonAtomic } from "../pipeline/atomic.ts";
import { readPackage } from "../registry/read_package.ts";
import { resolveModel } from "../registry/resolve_model.ts";
import { driftRoles } from "./feature_roles.ts";
import { sampleOfMatrix } from "./matrix_sample.ts";
import { driftReport } from "./report.ts";
import { evaluateRetraining, type RetrainDecision, type RetrainPolicy } from "./retrain_policy.ts";
import { seasonalIndices, type SeasonKey, selectRows } from "./seasonal.ts";
import {
  pickStations,
  rowsOfStations,
  sampleNote,
  type StationCounts,
  stationCounts,
  type StationSample,
} from "./station_sample.ts";
import { distributionColumns, timelineColumns } from "./tables.ts";
import type { DriftVerdict, VerdictOptions } from "./verdict.ts";
import { driftVerdictOffThread } from "./verdict_worker.ts";

/** The drift stage's parameters (params.yaml `drift:`), as the monitor reads them. */
export interface DriftParams {
  season: string;
  z_drift: number;
  z_warn: number;
  distance: number;
  missing_change: number;
  stuck_share: number;
  min_sample_size: number;
  drift_share: number;
  p_value: number;
  small_reference_max: number;
  histogram_bins: number;
  model: string;
  retrain_drift_share: number;
  retrain_rmse_degradation_pct: number;
  retrain_max_model_age_days: number;
  log_rows: number;
  max_rows: number;
  sample_seed: number;
}

/** Where everything is and what the run was asked. */
export interface MonitorInputs {
  params: DriftParams;
  /** Workspace root, and where a root-relative path is read (the runner's staged copies). */
  root: string;
  locate: (relative: string) => string;
  /** Root-relative Parquet splits whose rows make the reference. */
  reference: readonly string[];
  /** Root-relative test split: the current rows when `current` is empty. */
  test: string;
  schema: string;
  /** `--current`: "" (the test split), a folder of raw files, or a `.kv` prediction log. */
  current: string;
  /** Raw layout of a batch folder (`pipeline.source`). */
  source: string;
  batch: Omit<BatchOptions, "source" | "schema">;
  modelName: string;
  /** The candidate scored when the registry has no production version. */
  candidate: string;
  runId: string;
  /** Folder to write: `drift_<time>.json`, `latest.json`, `timeline.parquet`, `distributions.parquet`. */
  outDir: string;
  /** The previous drift folder, whose `drift_*.json` reports are kept. */
  previousDir: string;
  /** Name of the timeline and distributions files. */
  files: { timeline: string; distributions: string };
}

/** What the stage logs and records. */
export interface MonitorResult {
  report: DriftReportFile;
  name: string;
  /** Lines for the run log, warnings, and the run's metrics. */
  log: string[];
  warnings: string[];
  metrics: Record<string, number>;
  rows: { reference: number; current: number };
}

/** Performance on the current rows that carry labels. */
export interface Performance {
  rows: number;
  rmse: number;
  mae: number;
  release_rmse: number | null;
  degradation_pct: number | null;
}

/** `reports/drift/latest.json`. */
export interface DriftReportFile {
  kind: "aqlab.drift_report";
  version: 2;
  created: string;
  run_id: string;
  seconds: number;
  timings: Record<string, number>;
  reference: Span & { paths: string[] };
  current: Span & {
    kind: "test_split" | "batch" | "prediction_log";
    path: string;
    labelled_rows: number;
    batch: BatchInfo | null;
  };
  model: {
    source: string;
    name: string;
    version: number | null;
    path: string;
    created: string;
    test_rmse: number | null;
  } | null;
  settings: DriftParams;
  /** Which rows were judged: all of them, or a seeded sample of whole stations above the cap. */
  sample: StationSample;
  /** The verdict: headline, per-feature rows with their rule, monthly windows, explanations. */
  verdict: DriftVerdict;
  performance: Performance | null;
  retraining: RetrainDecision & { policy: RetrainPolicy };
  /** For comparison only: the textbook preset rule on the same rows (not the verdict). */
  textbook: {
    rule: string;
    dataset_drift: boolean;
    drift_share: number | null;
    drifted: string[];
  };
  notes: string[];
}

interface Span {
  rows: number;
  from: string | null;
  to: string | null;
  stations: string[];
}

/** Run the drift monitor (see the module docs). */
export async function runDriftMonitor(o: MonitorInputs): Promise<MonitorResult> {
  const t0 = performance.now();
  const p = o.params;
  await Deno.mkdir(o.outDir, { recursive: true });
  const kept = await keepEarlierReports(o.previousDir, o.outDir);
  const schema = JSON.parse(await Deno.readTextFile(o.locate(o.schema))) as FeatureSchema;
  const timings: Record<string, number> = {};
  let tPhase = t0;
  const phase = (name: string) => {
    const t = performance.now();
    timings[name] = round((t - tPhase) / 1000, 3);
    tPhase = t;
  };
  const notes: string[] = [];
  const c = await openDuck();
  const tmp = await Deno.makeTempDir({ prefix: "aqlab-drift-" });
  try {
    // Above drift.max_rows rows on either side, a seeded sample of whole stations
    // (station_sample.ts): the rows are counted first, and only the drawn ones loaded, in
    // the files' order (the verdict depends on the row order; a parallel scan's does not
    // hold still).
    const refPaths = o.reference.map((r) => o.locate(r));
    const refCounts = await countStations(c, refPaths);
    const found = await loadCurrent(c, o, schema, tmp, p.log_rows);
    const { batch, kind } = found;
    const { keep, sample } = pickStations(
      refCounts,
      found.matrix ? stationCounts(found.matrix) : await countStations(c, [found.path]),
      p.max_rows,
      p.sample_seed,
    );
    const where = keep ? `${STATION_KEY} IN (${[...keep].map(lit).join(", ")})` : "true";
    const ref = concat(
      await Promise.all(refPaths.map((r) => loadMatrix(c, r, FEATURE_NAMES, TARGET, where, true))),
    );
    const cur = found.matrix
      ? rowsOfStations(found.matrix, keep)
      : await loadMatrix(c, found.path, FEATURE_NAMES, TARGET, where, true);
    const sampled = sampleNote(sample);
    if (sampled) notes.push(sampled);
    if (batch?.error) notes.push(`Bad batch: ${batch.error}`);
    if (batch && batch.unseen_stations.length > 0) {
      notes.push(
        `Stations not in the training schema: ${
          batch.unseen_stations.join(", ")
        }; their station_code is missing (the model takes its missing-value branch) and their other features are judged with the rest`,
      );
    }
    phase("load");

    // Prediction drift: both samples scored by the same ONNX model, as served.
    const resolved = await resolveModel(o.root, {
      name: o.modelName,
      prefer: p.model === "candidate" ? "candidate" : "production",
      candidate: o.candidate,
      locate: o.locate,
    });
    const model = resolved
      ? { source: resolved.source, path: resolved.path, ...(await readPackage(resolved.url)) }
      : null;
    let predRef: Float32Array | null = null;
    let predCur: Float32Array | null = null;
    if (model) {
      const scorer = await createSession(model.onnx);
      try {
        predRef = await scoreInParts(scorer.run, ref.X);
        predCur = await scoreInParts(scorer.run, cur.X);
      } finally {
        await scorer.release();
      }
    } else notes.push("No model found (registry or candidate): prediction drift not computed");
    phase("score");

    const labelled = countFinite(cur.y);
    if (labelled === 0) {
      notes.push("The current rows have no labels: target drift and RMSE not computed");
    }
    const roles = driftRoles(schema.features);
    const season = p.season === "none" ? null : p.season as SeasonKey;
    const options: VerdictOptions = {
      features: FEATURE_NAMES,
      kinds: roles.kinds,
      skip: roles.skip,
      crossStation: roles.crossStation,
      bounds: roles.bounds,
      season,
      zDrift: p.z_drift,
      zWarn: p.z_warn,
      minDistance: p.distance,
      minMissingChange: p.missing_change,
      minStuckShare: p.stuck_share,
      stuckHours: o.batch.stuckHours,
      minSampleSize: p.min_sample_size,
      targetLabel:
        `${schema.target.name} (${schema.target.unit}, ${schema.target.horizonHours} h ahead)`,
    };
    const refSample = sampleOfMatrix(ref, { prediction: predRef });
    const curSample = sampleOfMatrix(cur, { prediction: predCur });
    const verdict = await driftVerdictOffThread(refSample, curSample, options);
    phase("verdict");

    const seasonal = season ? seasonalIndices(ref.time, cur.time, season).indices : null;
    const textbookRef = seasonal ? selectRows(refSample.columns, seasonal) : refSample.columns;
    const t = driftReport(textbookRef, curSample.columns, {
      features: [...FEATURE_NAMES],
      kinds: roles.kinds,
      datasetDriftShare: p.drift_share,
      pValueThreshold: p.p_value,
      distanceThreshold: p.distance,
      smallReferenceMax: p.small_reference_max,
      minSampleSize: p.min_sample_size,
      supplementary: false,
    });
    phase("textbook");

    // Retraining triggers, from the same verdict and the drift stage's own parameters.
    const perf = model && predCur && labelled >= p.min_sample_size
      ? performanceOf(cur.y, predCur, model.metadata.metrics?.test?.rmse ?? null)
      : null;
    const ageDays = model?.metadata.created
      ? (Date.now() - Date.parse(model.metadata.created)) / 86_400_000
      : null;
    const policy: RetrainPolicy = {
      driftShare: p.retrain_drift_share,
      rmseDegradationPct: p.retrain_rmse_degradation_pct,
      maxModelAgeDays: p.retrain_max_model_age_days,
    };
    const retraining = evaluateRetraining({
      datasetDrift: verdict.headline.drift_share,
      rmseDegradation: perf?.degradation_pct ?? null,
      modelAgeDays: ageDays === null || !Number.isFinite(ageDays) ? null : round(ageDays, 2),
    }, policy);

    await writeColumns(c, join(o.outDir, o.files.timeline), timelineColumns(verdict));
    const sources = (
      name: string,
      m: LabelledMatrix,
      pred: Float32Array | null,
      rows: ArrayLike<number> | null,
    ) => ({
      name,
      columns: { ...sampleOfMatrix(m).columns, prediction: pred, [TARGET]: m.y },
      rows,
    });
    const discrete = new Set(
      schema.features.filter((f) => f.kind !== "numeric").map((f) => f.name),
    );
    const histogramSources = [
      sources("reference", ref, predRef, null),
      ...(seasonal ? [sources("seasonal_reference", ref, predRef, seasonal)] : []),
      sources("current", cur, predCur, null),
    ];
    // A column at a time, with a turn between (a Ctrl-C is not held for all of them).
    const histograms: ReturnType<typeof distributionColumns>[] = [];
    for (const name of [...FEATURE_NAMES, "prediction", TARGET]) {
      histograms.push(distributionColumns([name], discrete, p.histogram_bins, histogramSources));
      await new Promise((r) => setTimeout(r, 0));
    }
    await writeColumns(c, join(o.outDir, o.files.distributions), joinTables(histograms));
    phase("tables");

    const created = new Date();
    const stamp = created.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    const report: DriftReportFile = {
      kind: "aqlab.drift_report",
      version: 2,
      created: created.toISOString(),
      run_id: o.runId,
      seconds: round((performance.now() - t0) / 1000, 3),
      timings,
      reference: { paths: [...o.reference], ...span(ref) },
      current: {
        kind,
        path: o.current || o.test,
        ...span(cur),
        labelled_rows: labelled,
        batch,
      },
      model: model
        ? {
          source: model.source,
          name: model.metadata.name,
          version: model.metadata.version,
          path: model.path,
          created: model.metadata.created,
          test_rmse: model.metadata.metrics?.test?.rmse ?? null,
        }
        : null,
      settings: { ...p },
      sample,
      verdict,
      performance: perf,
      retraining: { ...retraining, policy },
      textbook: {
        rule:
          `Evidently's preset: KS p < ${p.p_value} up to ${p.small_reference_max} reference rows, normed Wasserstein (numbers) or Jensen-Shannon (categories) >= ${p.distance} above; dataset drift at a ${p.drift_share} share of all features, calendar and station included`,
        dataset_drift: t.datasetDrift,
        drift_share: t.driftShare,
        drifted: t.features.filter((f) => f.drifted).map((f) => f.feature),
      },
      notes: [...notes, ...verdict.notes],
    };
    const name = `drift_${stamp}.json`;
    await writeJsonAtomic(join(o.outDir, name), report);
    await writeJsonAtomic(join(o.outDir, "latest.json"), report);
    const h = verdict.headline;
    const log = [`${o.current ? `batch ${o.current}` : "test split"}: ${h.text}`];
    if (perf) {
      log.push(
        `RMSE on the labelled current rows ${perf.rmse.toFixed(3)} vs ${
          perf.release_rmse?.toFixed(3) ?? "?"
        } at release (${perf.degradation_pct?.toFixed(1) ?? "?"}%)`,
      );
    }
    const fired = retraining.triggers.filter((x) => x.fired).map((x) => x.name);
    log.push(
      `retraining ${retraining.retrain ? `recommended (${fired.join(", ")})` : "not needed"}; ${
        kept ? `${kept} earlier report(s) kept; ` : ""
      }wrote ${name}`,
    );
    return {
      report,
      name,
      log,
      warnings: notes,
      metrics: {
        seconds: report.seconds,
        drift_share: h.drift_share ?? NaN,
        drift: h.state === "drift" ? 1 : 0,
        retrain: retraining.retrain ? 1 : 0,
      },
      rows: { reference: ref.X.nRows, current: cur.X.nRows },
    };
  } finally {
    c.closeSync();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** The current rows: loaded (a batch, the log), or the test split's path, loaded once sampled. */
type Current =
  & { batch: BatchInfo | null; kind: DriftReportFile["current"]["kind"] }
  & ({ matrix: LabelledMatrix; path?: undefined } | { matrix: null; path: string });

async function loadCurrent(
  c: DuckDBConnection,
  o: MonitorInputs,
  schema: FeatureSchema,
  tmp: string,
  logRows: number,
): Promise<Current> {
  if (!o.current) return { matrix: null, path: o.locate(o.test), batch: null, kind: "test_split" };
  const path = isAbsolute(o.current) ? o.current : o.locate(o.current);
  if (o.current.endsWith(".kv")) {
    // The endpoint's prediction log: the inputs it was asked about, without labels.
    const r = await loadLoggedInputs(path, schema, logRows);
    return { matrix: r.matrix, batch: r.info, kind: "prediction_log" };
  }
  // Built but not loaded: above drift.max_rows only the drawn stations' rows are read.
  const r = await batchFeatures(c, path, tmp, { source: o.source, schema, ...o.batch });
  return r.path === null
    ? { matrix: emptyMatrix(), batch: r.info, kind: "batch" }
    : { matrix: null, path: r.path, batch: r.info, kind: "batch" };
}

/** A row's station as `LabelledMatrix.station` holds it (`String` of the value). */
const STATION_KEY = "coalesce(CAST(station AS VARCHAR), 'null')";

/** Rows per station of Parquet files, counted by DuckDB without loading them. */
async function countStations(c: DuckDBConnection, paths: string[]): Promise<StationCounts> {
  const out = new Map<string, number>();
  for (const path of paths) {
    const rows = await all<{ s: string; n: bigint | number }>(
      c,
      `SELECT ${STATION_KEY} AS s, count(*) AS n FROM read_parquet(${lit(path)}) GROUP BY s`,
    );
    for (const r of rows) out.set(r.s, (out.get(r.s) ?? 0) + Number(r.n));
  }
  return out;
}

/** Rows scored per call: each call blocks the thread, so a Ctrl-C waits for one part at most. */
const SCORE_ROWS = 65_536;

async function scoreInParts(
  run: (X: FeatureMatrix) => Promise<Float32Array>,
  X: FeatureMatrix,
): Promise<Float32Array> {
  if (X.nRows <= SCORE_ROWS) return await run(X);
  const out = new Float32Array(X.nRows);
  for (let at = 0; at < X.nRows; at += SCORE_ROWS) {
    const n = Math.min(SCORE_ROWS, X.nRows - at);
    const data = X.data.subarray(at * X.nCols, (at + n) * X.nCols);
    out.set(await run({ ...X, data, nRows: n }), at);
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

/** Tables of the same columns, one after the other. */
function joinTables(parts: Record<string, TableColumn>[]): Record<string, TableColumn> {
  const out: Record<string, TableColumn> = {};
  for (const part of parts) {
    for (const [k, col] of Object.entries(part)) {
      const into = out[k] ??= { ...col, values: [] } as TableColumn;
      const values = into.values as unknown[], add = col.values as ArrayLike<unknown>;
      for (let i = 0; i < add.length; i++) values.push(add[i]);
    }
  }
  return out;
}

function performanceOf(y: Float32Array, pred: Float32Array, release: number | null): Performance {
  const now = regressionMetrics(y, pred);
  return {
    rows: now.n,
    rmse: now.rmse,
    mae: now.mae,
    release_rmse: release,
    degradation_pct: release && release > 0 ? (now.rmse / release - 1) * 100 : null,
  };
}

/** Rows of several feature matrices, one after the other. */
function concat(ms: LabelledMatrix[]): LabelledMatrix {
  if (ms.length === 1) return ms[0]!;
  const nRows = ms.reduce((s, m) => s + m.X.nRows, 0);
  const nCols = ms[0]!.X.nCols;
  const data = new Float32Array(nRows * nCols);
  const y = new Float32Array(nRows);
  const time = new Float64Array(nRows);
  const station: string[] = [];
  let at = 0;
  for (const m of ms) {
    data.set(m.X.data, at * nCols);
    y.set(m.y, at);
    time.set(m.time, at);
    for (const st of m.station) station.push(st);
    at += m.X.nRows;
  }
  return { X: { data, nRows, nCols, names: ms[0]!.X.names }, y, station, time };
}

async function keepEarlierReports(from: string, to: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(from)) {
      if (e.isFile && /^drift_.*\.json$/.test(e.name)) {
        await Deno.copyFile(join(from, e.name), join(to, e.name));
        n++;
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return n;
}

function countFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) n++;
  return n;
}

function span(m: LabelledMatrix): Span {
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of m.time) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16) : null);
  return { rows: m.X.nRows, from: iso(lo), to: iso(hi), stations: [...new Set(m.station)].sort() };
}

function round(x: number, d: number): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}
