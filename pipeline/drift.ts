import { isAbsolute, join } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { int, num, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { type LabelledMatrix, loadMatrix } from "../src/data/load_matrix.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { regressionMetrics } from "../src/metrics/regression.ts";
import { type Column as TableColumn, writeColumns } from "../src/metrics/write_columns.ts";
import { createSession } from "../src/onnx/session.ts";
import {
  type Columns,
  DEFAULT_RETRAIN_POLICY,
  type DriftReport,
  type DriftReportOptions,
  driftTimeline,
  evaluateRetraining,
  type RetrainPolicy,
  seasonalDriftReport,
  seasonalIndices,
  sortedNonMissing,
} from "../src/drift/mod.ts";
import { resolveModel } from "../src/registry/resolve_model.ts";
import { readPackage } from "../src/registry/read_package.ts";
import { type BatchInfo, loadBatch, loadLoggedInputs } from "../src/data/batch.ts";
import {
  candidateDir,
  DEFAULT_MODEL_NAME,
  DRIFT_DIR,
  REGISTER_LAST,
  REGISTRY_INDEX,
  SCHEMA_PATH,
  SPLITS,
} from "../src/pipeline/catalog.ts";

/**
 * The drift folder: `drift_<UTC timestamp>.json` per run (earlier ones kept), `latest.json`,
 * `timeline.parquet` (monthly drift of the current rows) and `distributions.parquet`
 * (histograms per feature and source, for the site).
 */

const D = DEFAULT_RETRAIN_POLICY;

export default defineStage({
  name: "drift",
  description:
    "feature, prediction and target drift of the test split (or --current DIR) against the training features; retraining recommendation",
  after: ["register"],
  enabled: (g) => !g.model_path,
  params: {
    season: str(
      "month",
      "seasonal reference: training rows of the same calendar months (or hours) as the current rows",
      ["month", "hour"],
    ),
    drift_share: num(0.5, "dataset drift when this share of the tested features drifted", {
      min: 0.01,
      max: 1,
    }),
    p_value: num(0.05, "p-value tests (KS, chi-square, z) say drift below this", {
      min: 0,
      max: 1,
    }),
    distance: num(
      0.1,
      "distance tests (normed Wasserstein, Jensen-Shannon) say drift at or above this",
      {
        min: 0,
      },
    ),
    small_reference_max: int(1000, "references up to this many rows use p-value tests", {
      min: 1,
    }),
    min_sample_size: int(5, "fewest non-missing values per sample for a test to run", {
      min: 2,
    }),
    psi_bins: int(10, "quantile bins of the reference for PSI", { min: 2, max: 100 }),
    histogram_bins: int(30, "bins per numeric feature in distributions.parquet", {
      min: 2,
      max: 200,
    }),
    model: str(
      "production",
      "model scored for prediction drift: the registry's production version (else the candidate), or the candidate",
      ["production", "candidate"],
    ),
    retrain_drift_share: num(
      D.driftShare,
      "retrain when the seasonal drifted-feature share reaches this",
      {
        min: 0.01,
        max: 1,
      },
    ),
    retrain_rmse_degradation_pct: num(
      D.rmseDegradationPct,
      "retrain when RMSE on newly labelled rows is worse than the model's test RMSE by this %",
      { min: 0.01 },
    ),
    retrain_max_model_age_days: num(
      D.maxModelAgeDays,
      "retrain when the production version is this many days old",
      { min: 1 },
    ),
    log_rows: int(
      100_000,
      "with --current FILE.kv (the endpoint's prediction log): newest logged rows checked",
      { min: 1 },
    ),
  },
  uses: [
    "pipeline.current_dir",
    "pipeline.source",
    "ingest.off_hour",
    "clean.fill_inputs",
    "clean.max_fill_hours",
    "clean.stuck_hours",
    "features.horizon_hours",
    "register.model_name",
  ],
  inputs: (p) => [
    SPLITS.train,
    SPLITS.test,
    SCHEMA_PATH,
    REGISTER_LAST,
    REGISTRY_INDEX,
    candidateDir("gbdt"),
    // An absolute batch folder is outside the runner's reach (it joins paths to the root);
    // its name is still part of the stage's parameters.
    ...(p.current_dir && !isAbsolute(p.current_dir) ? [p.current_dir] : []),
  ],
  outputs: () => [DRIFT_DIR],
  module: import.meta.url,
  async run(ctx) {
    const t0 = performance.now();
    const p = ctx.params;
    const g = ctx.globals;
    const root = ctx.path(".");
    const outDir = ctx.out(DRIFT_DIR);
    await Deno.mkdir(outDir, { recursive: true });
    const kept = await keepEarlierReports(ctx.path(DRIFT_DIR), outDir);
    const schema = JSON.parse(await Deno.readTextFile(ctx.path(SCHEMA_PATH))) as FeatureSchema;
    const notes: string[] = [];
    const c = await openDuck();
    const tmp = await Deno.makeTempDir({ prefix: "aqlab-drift-" });
    try {
      const ref = await loadMatrix(c, ctx.path(SPLITS.train), FEATURE_NAMES, TARGET);
      let cur: LabelledMatrix;
      let batch: BatchInfo | null = null;
      if (g.current_dir.endsWith(".kv")) {
        // The endpoint's prediction log: the inputs it was asked about, without labels.
        const path = isAbsolute(g.current_dir) ? g.current_dir : ctx.path(g.current_dir);
        const r = await loadLoggedInputs(path, schema, p.log_rows);
        cur = r.matrix;
        batch = r.info;
        if (batch.error) notes.push(`Bad batch: ${batch.error}`);
      } else if (g.current_dir) {
        const dir = isAbsolute(g.current_dir) ? g.current_dir : ctx.path(g.current_dir);
        const r = await loadBatch(c, dir, tmp, {
          source: g.source,
          schema,
          ingest: ctx.all.ingest,
          clean: ctx.all.clean,
          horizonHours: Number(ctx.all.features?.horizon_hours ?? 1),
        });
        cur = r.matrix;
        batch = r.info;
        if (batch.error) notes.push(`Bad batch: ${batch.error}`);
        if (batch.unseen_stations.length > 0) {
          notes.push(
            `Stations not in the training schema: ${
              batch.unseen_stations.join(", ")
            }; their station_code is missing (the model takes its missing-value branch) and the other features, which do not depend on station identity, are tested on all rows`,
          );
        }
      } else {
        cur = await loadMatrix(c, ctx.path(SPLITS.test), FEATURE_NAMES, TARGET);
      }
      ctx.rows("reference", ref.X.nRows);
      ctx.rows("current", cur.X.nRows);
      const timings: Record<string, number> = {};
      let tPhase = t0;
      const phase = (name: string) => {
        const t = performance.now();
        timings[name] = round((t - tPhase) / 1000, 3);
        tPhase = t;
      };
      phase("load");

      // Prediction drift: both samples scored by the same ONNX model, as served.
      const modelName = String(ctx.all.register?.model_name ?? DEFAULT_MODEL_NAME);
      const found = await resolveModel(root, {
        name: modelName,
        prefer: p.model === "candidate" ? "candidate" : "production",
        locate: ctx.path,
      });
      const model = found
        ? { source: found.source, path: found.path, ...(await readPackage(found.url)) }
        : null;
      let predRef: Float32Array | null = null;
      let predCur: Float32Array | null = null;
      if (model) {
        const scorer = await createSession(model.onnx);
        try {
          predRef = await scorer.run(ref.X);
          predCur = await scorer.run(cur.X);
        } finally {
          await scorer.release();
        }
      } else notes.push("No model found (registry or candidate): prediction drift not computed");
      phase("score");

      const refCols = columnsOf(ref);
      const curCols = columnsOf(cur);
      const labelled = countFinite(cur.y);
      const options: DriftReportOptions = {
        features: [...FEATURE_NAMES],
        kinds: { station_code: "categorical" },
        datasetDriftShare: p.drift_share,
        pValueThreshold: p.p_value,
        distanceThreshold: p.distance,
        smallReferenceMax: p.small_reference_max,
        minSampleSize: p.min_sample_size,
        psi: { bins: p.psi_bins },
      };
      const extra: NonNullable<DriftReportOptions["extra"]> = {};
      if (predRef && predCur) extra.prediction = { reference: predRef, current: predCur };
      if (labelled > 0) extra.target = { reference: ref.y, current: cur.y };
      else notes.push("The current rows have no labels: target drift and RMSE not computed");
      const drift = seasonalDriftReport(refCols, curCols, {
        ...options,
        extra,
        referenceTimes: ref.time,
        currentTimes: cur.time,
        by: p.season as "month" | "hour",
      });
      if (batch && batch.unseen_stations.length > 0) {
        const unseen = batch.unseen_stations.length === batch.stations.length ? "every" : "some";
        for (const r of [drift.seasonal, drift.wholeYear]) {
          const f = r.features.find((x) => x.feature === "station_code");
          if (f) {
            f.note = `${f.note ? `${f.note}. ` : ""}${
              unseen === "every" ? "Every" : "Some"
            } batch station is unseen in training (${
              batch.unseen_stations.join(", ")
            }): station_code is missing for ${unseen === "every" ? "all" : "those"} rows`;
          }
        }
      }
      phase("tests");
      const timeline = driftTimeline(refCols, curCols, {
        ...options,
        currentTimes: cur.time,
        referenceTimes: ref.time,
      });

      // Retraining triggers, from the drift stage's own parameters (params.yaml `drift:`).
      let perf: Performance | null = null;
      if (model && predCur && labelled >= p.min_sample_size) {
        const now = regressionMetrics(cur.y, predCur);
        const release = model.metadata.metrics?.test?.rmse ?? null;
        perf = {
          rows: now.n,
          rmse: now.rmse,
          mae: now.mae,
          release_rmse: release,
          degradation_pct: release && release > 0 ? (now.rmse / release - 1) * 100 : null,
        };
      }
      const ageDays = model?.metadata.created
        ? (Date.now() - Date.parse(model.metadata.created)) / 86_400_000
        : null;
      const policy: RetrainPolicy = {
        driftShare: p.retrain_drift_share,
        rmseDegradationPct: p.retrain_rmse_degradation_pct,
        maxModelAgeDays: p.retrain_max_model_age_days,
      };
      // The seasonal share decides; without same-season training rows, the whole-year one.
      const driftBasis = drift.seasonal.driftShare !== null ? "seasonal" : "whole_year";
      if (driftBasis === "whole_year" && drift.wholeYear.driftShare !== null) {
        notes.push("No seasonal reference rows: the data-drift trigger uses the whole-year share");
      }
      const retraining = evaluateRetraining({
        datasetDrift: driftBasis === "seasonal"
          ? drift.seasonal.driftShare
          : drift.wholeYear.driftShare,
        rmseDegradation: perf?.degradation_pct ?? null,
        modelAgeDays: ageDays === null || !Number.isFinite(ageDays) ? null : round(ageDays, 2),
      }, policy);

      phase("timeline_and_policy");
      const seasonalIdx = seasonalIndices(ref.time, cur.time, p.season as "month" | "hour")
        .indices;
      await writeColumns(
        c,
        join(outDir, "timeline.parquet"),
        timelineColumns(timeline),
      );
      await writeColumns(
        c,
        join(outDir, "distributions.parquet"),
        distributionColumns(schema, p.histogram_bins, [
          ["reference", refCols, ref.y, predRef, null],
          ["seasonal_reference", refCols, ref.y, predRef, seasonalIdx],
          ["current", curCols, cur.y, predCur, null],
        ]),
      );

      phase("tables");
      const created = new Date();
      const stamp = created.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
      const seconds = (performance.now() - t0) / 1000;
      const report = {
        created: created.toISOString(),
        run_id: ctx.runId,
        seconds: round(seconds, 3),
        timings,
        reference: { path: SPLITS.train, ...span(ref) },
        current: g.current_dir
          ? {
            kind: g.current_dir.endsWith(".kv") ? "prediction_log" : "batch",
            path: g.current_dir,
            ...span(cur),
            labelled_rows: labelled,
            batch,
          }
          : { kind: "test_split", path: SPLITS.test, ...span(cur), labelled_rows: labelled },
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
        verdict: {
          default: "seasonal",
          seasonal: verdictOf(drift.seasonal),
          whole_year: verdictOf(drift.wholeYear),
        },
        drift,
        performance: perf,
        retraining: { ...retraining, drift_basis: driftBasis, policy },
        timeline: timeline.months,
        notes: [...notes, ...drift.seasonal.notes],
      };
      const name = `drift_${stamp}.json`;
      await writeJsonAtomic(join(outDir, name), report);
      await writeJsonAtomic(join(outDir, "latest.json"), report);

      const v = report.verdict;
      ctx.log(
        `${
          g.current_dir ? `batch ${g.current_dir}` : "test split"
        }: ${cur.X.nRows} rows; seasonal (${p.season}) verdict: ${
          describe(v.seasonal)
        }; whole-year verdict: ${describe(v.whole_year)}`,
      );
      if (perf) {
        ctx.log(
          `RMSE on the labelled current rows ${perf.rmse.toFixed(3)} vs ${
            perf.release_rmse?.toFixed(3) ?? "?"
          } at release (${perf.degradation_pct?.toFixed(1) ?? "?"}%)`,
        );
      }
      const fired = retraining.triggers.filter((t) => t.fired).map((t) => t.name);
      ctx.log(
        `retraining ${retraining.retrain ? `recommended (${fired.join(", ")})` : "not needed"}; ${
          kept ? `${kept} earlier report(s) kept; ` : ""
        }wrote ${DRIFT_DIR}/${name}`,
      );
      for (const n of notes) ctx.warn(n);
      ctx.metric("seconds", seconds);
      ctx.metric("drift_share_seasonal", drift.seasonal.driftShare ?? NaN);
      ctx.metric("drift_share_whole_year", drift.wholeYear.driftShare ?? NaN);
      ctx.metric("retrain", retraining.retrain ? 1 : 0);
    } finally {
      c.closeSync();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

interface Performance {
  rows: number;
  rmse: number;
  mae: number;
  release_rmse: number | null;
  degradation_pct: number | null;
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

function columnsOf(m: LabelledMatrix): Columns {
  const { data, nRows, nCols, names } = m.X;
  const out: Columns = {};
  for (let j = 0; j < nCols; j++) {
    const col = new Float32Array(nRows);
    for (let i = 0; i < nRows; i++) col[i] = data[i * nCols + j]!;
    out[names[j]!] = col;
  }
  return out;
}

function countFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) n++;
  return n;
}

function span(m: LabelledMatrix) {
  let lo = Infinity, hi = -Infinity;
  for (const t of m.time) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16) : null);
  return {
    rows: m.X.nRows,
    from: iso(lo),
    to: iso(hi),
    stations: [...new Set(m.station)].sort(),
  };
}

function verdictOf(r: DriftReport) {
  return {
    dataset_drift: r.datasetDrift,
    drift_share: r.driftShare,
    n_tested: r.nTested,
    n_drifted: r.nDrifted,
    drifted: r.features.filter((f) => f.drifted).map((f) => f.feature),
    not_tested: r.features.filter((f) => f.status === "not_run").map((f) => f.feature),
    prediction_drift: r.prediction?.drifted ?? null,
    target_drift: r.target?.drifted ?? null,
  };
}

function describe(v: ReturnType<typeof verdictOf>): string {
  if (v.drift_share === null) return "no feature could be tested";
  return `${v.dataset_drift ? "DRIFT" : "no drift"} (${v.n_drifted}/${v.n_tested} features${
    v.prediction_drift ? ", prediction drifted" : ""
  })`;
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function timelineColumns(t: ReturnType<typeof driftTimeline>): Record<string, TableColumn> {
  const byMonth = new Map(t.months.map((m) => [m.month, m]));
  const m = (r: { month: string }) => byMonth.get(r.month)!;
  return {
    month: { type: "string", values: t.rows.map((r) => r.month) },
    feature: { type: "string", values: t.rows.map((r) => r.feature) },
    test: { type: "string", values: t.rows.map((r) => r.test) },
    statistic: { type: "double", values: t.rows.map((r) => r.statistic ?? NaN) },
    drifted: { type: "int", values: t.rows.map((r) => (r.drifted ? 1 : 0)) },
    month_rows: { type: "int", values: t.rows.map((r) => m(r).nRows) },
    month_drift_share: { type: "double", values: t.rows.map((r) => m(r).driftShare ?? NaN) },
    month_dataset_drift: { type: "int", values: t.rows.map((r) => (m(r).datasetDrift ? 1 : 0)) },
  };
}

type Source = [
  name: string,
  columns: Columns,
  target: Float32Array,
  prediction: Float32Array | null,
  rows: ArrayLike<number> | null,
];

/**
 * Histograms for the site: one row per (feature, source, bin). Numeric features get equal
 * bins between the reference's 1st and 99th percentiles (values beyond fall in the end
 * bins); categorical and calendar features one bin per value.
 */
function distributionColumns(
  schema: FeatureSchema,
  bins: number,
  sources: Source[],
): Record<string, TableColumn> {
  const feature: string[] = [], source: string[] = [], bin: number[] = [];
  const lo: number[] = [], hi: number[] = [], count: number[] = [];
  const kinds = new Map(schema.features.map((f) => [f.name, f.kind]));
  const names = [...FEATURE_NAMES, "prediction", TARGET];
  const column = (s: Source, name: string): Float32Array | null => {
    const col = name === "prediction" ? s[3] : name === TARGET ? s[2] : s[1][name];
    if (!col || Array.isArray(col)) return null;
    const rows = s[4];
    if (!rows) return col as Float32Array;
    return Float32Array.from(rows, (i) => (col as Float32Array)[i]!);
  };
  for (const name of names) {
    const ref = column(sources[0]!, name);
    if (!ref) continue;
    const discrete = kinds.get(name) === "categorical" || kinds.get(name) === "cyclic";
    const sorted = sortedNonMissing(ref);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    const a = sorted.length ? q(0.01) : NaN, b = sorted.length ? q(0.99) : NaN;
    for (const s of sources) {
      const col = column(s, name);
      if (!col) continue;
      const counts = new Map<number, number>();
      let width = 0;
      if (!discrete) width = b > a ? (b - a) / bins : 0;
      for (const v of col) {
        if (!Number.isFinite(v)) continue;
        const k = discrete
          ? Math.round(v)
          : width > 0
          ? Math.min(bins - 1, Math.max(0, Math.floor((v - a) / width)))
          : 0;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [k, n] of [...counts].sort((x, y) => x[0] - y[0])) {
        feature.push(name);
        source.push(s[0]);
        bin.push(k);
        lo.push(discrete ? k : width > 0 ? a + k * width : a);
        hi.push(discrete ? k : width > 0 ? a + (k + 1) * width : a);
        count.push(n);
      }
    }
  }
  return {
    feature: { type: "string", values: feature },
    source: { type: "string", values: source },
    bin: { type: "int", values: bin },
    lo: { type: "double", values: lo },
    hi: { type: "double", values: hi },
    count: { type: "int", values: count },
  };
}
