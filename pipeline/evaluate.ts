import type { DuckDBConnection } from "@duckdb/node-api";
import { defineStage } from "../src/pipeline/stage.ts";
import { int, num } from "../src/pipeline/params.ts";
import { all, lit, openDuck } from "../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../src/features/schema.ts";
import { modelFromJSON } from "../src/gbdt/serialize.ts";
import { predict } from "../src/gbdt/predict.ts";
import { createSession } from "../src/onnx/session.ts";
import { type RegressionMetrics, regressionMetrics } from "../src/metrics/regression.ts";
import {
  type ConformalInterval,
  type IntervalCoverage,
  intervalCoverage,
  predictionInterval,
} from "../src/metrics/conformal.ts";
import { groupedMetrics } from "../src/metrics/grouped_metrics.ts";
import { groupRows, PM25_BANDS, pm25Band, season } from "../src/metrics/groups.ts";
import { histogram, quantile } from "../src/metrics/histogram.ts";
import { type Column, writeColumns } from "../src/data/write_columns.ts";
import { predictionsTable } from "../src/metrics/predictions_table.ts";
import { readPackage } from "../src/registry/read_package.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import {
  candidateDir,
  candidatesOf,
  EVALUATION,
  FEATURES_PATH,
  SPLITS,
} from "../src/pipeline/catalog.ts";
import type { EvaluationSummary } from "../src/metrics/evaluation_summary.ts";

export default defineStage({
  name: "evaluate",
  description:
    "test-period metrics of every candidate, overall and by station / hour / month / season / PM2.5 band; residuals, worst rows, interval coverage",
  after: ["train", "pretrained"],
  params: {
    worst_rows: int(50, "largest GBDT errors kept with their inputs and PM2.5 context", {
      min: 1,
    }),
    context_hours: int(6, "hours of PM2.5 before and after each worst row", { min: 0, max: 48 }),
    histogram_bins: int(60, "bins of the residual histogram", { min: 5, max: 1000 }),
    parity_tolerance: num(1e-3, "fail when ONNX and predict() differ more (relative)", {
      min: 0,
    }),
  },
  inputs: (p) => [SPLITS.test, FEATURES_PATH, ...candidatesOf(p).map(candidateDir)],
  outputs: () => Object.values(EVALUATION),
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const c = await openDuck();
    try {
      const te = await loadSplit(c, ctx.path(SPLITS.test), {
        features: FEATURE_NAMES,
        target: TARGET,
        label: "test",
      });
      const n = te.X.nRows;
      ctx.rows("test", n);
      const y = te.y;

      // Score every candidate with onnxruntime: the figures are those of the deployed files.
      // The trained candidates or the pretrained one; the primary one (first) is the model.
      const candidates = candidatesOf(ctx.globals), primary = candidates[0]!;
      const preds = new Map<string, Float64Array>();
      const intervals = new Map<string, ConformalInterval | null>();
      let parity = { max_abs_diff: 0, max_rel_diff: 0, tolerance: p.parity_tolerance };
      for (const name of candidates) {
        const pkg = await readPackage(ctx.path(candidateDir(name)));
        const s = await createSession(pkg.onnx);
        const out = Float64Array.from(await s.run(te.X));
        await s.release();
        preds.set(name, out);
        intervals.set(name, pkg.metadata.interval);
        if (name === primary && pkg.model !== null) {
          parity = {
            ...compare(out, predict(modelFromJSON(pkg.model), te.X)),
            tolerance: parity.tolerance,
          };
          if (!(parity.max_rel_diff <= p.parity_tolerance)) {
            throw new Error(
              `Cannot trust ${
                candidateDir(name)
              }/model.onnx: onnxruntime and predict() differ by ${parity.max_rel_diff} (relative), expected <= ${p.parity_tolerance}`,
            );
          }
        }
      }
      const reference = preds.get("persistence");

      // Group keys (local clock in UTC fields, see load_matrix.ts).
      const hour = new Int32Array(n), month = new Int32Array(n);
      const seasons: string[] = new Array(n), band = new Array<number | null>(n);
      for (let i = 0; i < n; i++) {
        const d = new Date(te.time[i]!);
        hour[i] = d.getUTCHours();
        month[i] = d.getUTCMonth() + 1;
        seasons[i] = season(month[i]!);
        const b = pm25Band(y[i]!);
        band[i] = b === null ? null : PM25_BANDS.indexOf(b);
      }
      const groupSpecs: [
        string,
        ArrayLike<string | number | null>,
        (k: string | number) => string,
      ][] = [
        [EVALUATION.byStation, te.station, String],
        [EVALUATION.byHour, hour, String],
        [EVALUATION.byMonth, month, String],
        [EVALUATION.bySeason, seasons, String],
        [EVALUATION.byBand, band, (k) => PM25_BANDS[k as number]!],
      ];
      for (const [path, keys, label] of groupSpecs) {
        const rows: { candidate: string; group: string; m: RegressionMetrics }[] = [];
        for (const [name, pred] of preds) {
          const opts = reference ? { reference } : {};
          for (const g of groupedMetrics(y, pred, keys, opts)) {
            rows.push({ candidate: name, group: label(g.group), m: g.metrics });
          }
        }
        await writeColumns(c, ctx.out(path), metricColumns(rows));
      }

      // Overall metrics and interval coverage, overall and per station.
      const summary: EvaluationSummary = {
        rows: n,
        test_split: SPLITS.test,
        candidates: {},
        best: "",
        onnx_parity: parity,
        residual: "prediction - truth",
      };
      const cov: { candidate: string; group: string; nominal: number; c: IntervalCoverage }[] = [];
      const byStation = groupRows(te.station, { sort: true });
      for (const [name, pred] of preds) {
        const test = regressionMetrics(y, pred, reference);
        const iv = intervals.get(name) ?? null;
        let interval = null;
        if (iv) {
          const overall = intervalCoverage(y, pred, iv);
          interval = { ...overall, nominal: 1 - iv.alpha, half_width: iv.quantile };
          cov.push({ candidate: name, group: "all", nominal: 1 - iv.alpha, c: overall });
          for (const [st, idx] of byStation) {
            cov.push({
              candidate: name,
              group: st,
              nominal: 1 - iv.alpha,
              c: intervalCoverage(y, pred, iv, idx),
            });
          }
        }
        summary.candidates[name] = { test, interval };
        ctx.metric(`test_rmse_${name}`, test.rmse);
        ctx.log(
          `${name}: test RMSE ${test.rmse.toFixed(3)}, MAE ${test.mae.toFixed(3)}, R² ${
            test.r2.toFixed(3)
          }, skill ${test.skill?.toFixed(3)}${
            interval
              ? `, coverage ${(100 * interval.coverage).toFixed(1)}% (nominal ${
                (100 * interval.nominal).toFixed(0)
              }%)`
              : ""
          }`,
        );
      }
      summary.best = [...Object.entries(summary.candidates)]
        .sort(([, a], [, b]) => a.test.rmse - b.test.rmse)[0]![0];
      ctx.metric("onnx_max_rel_diff", parity.max_rel_diff);
      const primaryCov = summary.candidates[primary]?.interval;
      if (primaryCov) ctx.metric(`${primary}_coverage`, primaryCov.coverage);
      await writeColumns(c, ctx.out(EVALUATION.intervals), {
        candidate: { type: "string", values: cov.map((r) => r.candidate) },
        group: { type: "string", values: cov.map((r) => r.group) },
        n: { type: "int", values: cov.map((r) => r.c.n) },
        coverage: { type: "double", values: cov.map((r) => r.c.coverage) },
        mean_width: { type: "double", values: cov.map((r) => r.c.meanWidth) },
        nominal: { type: "double", values: cov.map((r) => r.nominal) },
      });

      // Per-row predictions (long: one row per candidate and test row) and residual histogram.
      const names = [...preds.keys()];
      const table = predictionsTable(
        te,
        names.map((name) => ({
          name,
          pred: preds.get(name)!,
          interval: intervals.get(name) ?? null,
        })),
      );
      await writeColumns(c, ctx.out(EVALUATION.predictions), table);
      const res = table.residual.values;
      // Shared bins (central 99% of all residuals, the tails in the edge bins) so the
      // candidates' histograms overlay.
      const hLo = quantile(res, 0.005), hHi = quantile(res, 0.995);
      const hist: { candidate: string; lo: number; hi: number; count: number; share: number }[] =
        [];
      names.forEach((name, k) => {
        const r = res.subarray(k * n, (k + 1) * n);
        const bins = histogram(r, { bins: p.histogram_bins, lo: hLo, hi: hHi });
        for (const b of bins) hist.push({ candidate: name, ...b, share: b.count / n });
      });
      await writeColumns(c, ctx.out(EVALUATION.residualHist), {
        candidate: { type: "string", values: hist.map((h) => h.candidate) },
        lo: { type: "double", values: hist.map((h) => h.lo) },
        hi: { type: "double", values: hist.map((h) => h.hi) },
        count: { type: "int", values: hist.map((h) => h.count) },
        share: { type: "double", values: hist.map((h) => h.share) },
      });

      // The worst predictions of the primary candidate, with inputs and the PM2.5 around them.
      const gbdt = preds.get(primary)!;
      const order = Array.from({ length: n }, (_, i) => i)
        .filter((i) => Number.isFinite(gbdt[i]! - y[i]!))
        .sort((a, b) => Math.abs(gbdt[b]! - y[b]!) - Math.abs(gbdt[a]! - y[a]!) || a - b)
        .slice(0, p.worst_rows);
      const context = await pm25Context(
        c,
        ctx.path(FEATURES_PATH),
        order.map((i) => ({ station: te.station[i]!, time: te.time[i]! })),
        p.context_hours,
      );
      const giv = intervals.get(primary) ?? null;
      const worst: Record<string, Column> = {
        rank: { type: "int", values: order.map((_, k) => k + 1) },
        station: { type: "string", values: order.map((i) => te.station[i]!) },
        time: { type: "timestamp", values: order.map((i) => te.time[i]!) },
        y_true: { type: "double", values: order.map((i) => y[i]!) },
        y_pred: { type: "double", values: order.map((i) => gbdt[i]!) },
        residual: { type: "double", values: order.map((i) => gbdt[i]! - y[i]!) },
        lower: {
          type: "double",
          values: order.map((i) => giv ? predictionInterval(gbdt[i]!, giv)[0] : NaN),
        },
        upper: {
          type: "double",
          values: order.map((i) => giv ? predictionInterval(gbdt[i]!, giv)[1] : NaN),
        },
      };
      FEATURE_NAMES.forEach((f, j) => {
        worst[f] = { type: "double", values: order.map((i) => te.X.data[i * te.X.nCols + j]!) };
      });
      for (let h = -p.context_hours; h <= p.context_hours; h++) {
        worst[contextName(h)] = { type: "double", values: context.map((row) => row.get(h) ?? NaN) };
      }
      await writeColumns(c, ctx.out(EVALUATION.worst), worst);
      await writeJsonAtomic(ctx.out(EVALUATION.summary), summary);
      ctx.record("evaluation", summary);
      ctx.log(
        `best on test: ${summary.best}; ONNX vs predict() max relative difference ${
          parity.max_rel_diff.toExponential(2)
        }`,
      );
    } finally {
      c.closeSync();
    }
  },
});

/** "pm25_t-6" ... "pm25_t+0" ... "pm25_t+6": PM2.5 at the row's time plus h hours. */
function contextName(h: number): string {
  return `pm25_t${h < 0 ? "-" : "+"}${Math.abs(h)}`;
}

/** Largest |ort - native| and the same relative to max(1, |native|) (µg/m³ near 0 stay absolute). */
function compare(
  ort: Float64Array,
  native: Float64Array,
): { max_abs_diff: number; max_rel_diff: number } {
  let abs = 0, rel = 0;
  for (let i = 0; i < ort.length; i++) {
    const d = Math.abs(ort[i]! - native[i]!);
    const r = d / Math.max(1, Math.abs(native[i]!));
    // NaN on either side is a disagreement, not a pass.
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
    if (!(r <= rel)) rel = Number.isNaN(r) ? Infinity : r;
  }
  return { max_abs_diff: abs, max_rel_diff: rel };
}

function metricColumns(
  rows: { candidate: string; group: string; m: RegressionMetrics }[],
): Record<string, Column> {
  const d = (f: (m: RegressionMetrics) => number | null) => ({
    type: "double" as const,
    values: rows.map((r) => f(r.m) ?? NaN),
  });
  return {
    candidate: { type: "string", values: rows.map((r) => r.candidate) },
    group: { type: "string", values: rows.map((r) => r.group) },
    n: { type: "int", values: rows.map((r) => r.m.n) },
    rmse: d((m) => m.rmse),
    mae: d((m) => m.mae),
    r2: d((m) => m.r2),
    mape: d((m) => m.mape),
    bias: d((m) => m.bias),
    skill: d((m) => m.skill),
  };
}

/** PM2.5 of the features table around each (station, time): one map hour offset -> value. */
async function pm25Context(
  c: DuckDBConnection,
  featuresPath: string,
  rows: { station: string; time: number }[],
  hours: number,
): Promise<Map<number, number>[]> {
  const out = rows.map(() => new Map<number, number>());
  if (rows.length === 0) return out;
  const values = rows.map((r, k) =>
    `(${k}, ${lit(r.station)}, epoch_ms(${Math.round(r.time)}::BIGINT))`
  )
    .join(", ");
  const q = `WITH w(k, station, t) AS (VALUES ${values})
    SELECT w.k AS k, date_diff('hour', w.t, f.time) AS h, f."PM2.5" AS v
    FROM w JOIN read_parquet(${lit(featuresPath)}) f
      ON f.station = w.station
     AND f.time BETWEEN w.t - INTERVAL (${hours}) HOUR AND w.t + INTERVAL (${hours}) HOUR`;
  for (const r of await all<{ k: number; h: bigint | number; v: number | null }>(c, q)) {
    if (r.v !== null) out[Number(r.k)]!.set(Number(r.h), Number(r.v));
  }
  return out;
}
