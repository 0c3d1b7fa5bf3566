/**
 * The `evaluate` stage's tables from the candidates' test predictions: metrics overall and
 * by station / hour / month / season / PM2.5 band of the truth, interval coverage overall,
 * per station and per PM2.5 band (of the truth, what a user lives through, and of the
 * prediction, what the Mondrian interval is calibrated on), the long predictions table,
 * the residual histogram and the primary candidate's worst rows with their PM2.5 context.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit } from "../data/duck.ts";
import type { LabelledMatrix } from "../data/load_matrix.ts";
import { type ConformalInterval, intervalCoverage, predictionInterval } from "./conformal.ts";
import type { EvaluationSummary } from "./evaluation_summary.ts";
import { groupedMetrics } from "./grouped_metrics.ts";
import { groupRows, PM25_BANDS, pm25Band, season } from "./groups.ts";
import { histogram, quantile } from "./histogram.ts";
import { predictionsTable } from "./predictions_table.ts";
import { type RegressionMetrics, regressionMetrics } from "./regression.ts";
import { type Column, writeColumns } from "../data/write_columns.ts";

export interface ScoredCandidate {
  name: string;
  pred: Float64Array;
  interval: ConformalInterval | null;
}

export interface EvaluationOutputs {
  summary: string;
  predictions: string;
  worst: string;
  byStation: string;
  byHour: string;
  byMonth: string;
  bySeason: string;
  byBand: string;
  residualHist: string;
  intervals: string;
}

export interface EvaluationOptions {
  test: LabelledMatrix;
  testSplit: string;
  /** Scored candidates; the first is the primary one (worst rows). Persistence, when present, is the skill reference. */
  candidates: ScoredCandidate[];
  parity: EvaluationSummary["onnx_parity"];
  featuresPath: string;
  worstRows: number;
  contextHours: number;
  histogramBins: number;
  /** Where each table goes (staging paths). */
  out: EvaluationOutputs;
}

/** Writes every table but the summary and returns the summary. */
export async function evaluateCandidates(
  c: DuckDBConnection,
  o: EvaluationOptions,
): Promise<EvaluationSummary> {
  const te = o.test, y = te.y, n = y.length;
  const reference = o.candidates.find((k) => k.name === "persistence")?.pred;
  const opts = reference ? { reference } : {};

  // Group keys (local clock in UTC fields, see load_matrix.ts).
  const hour = new Int32Array(n), month = new Int32Array(n);
  const seasons: string[] = new Array(n), band = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const d = new Date(te.time[i]!);
    hour[i] = d.getUTCHours();
    month[i] = d.getUTCMonth() + 1;
    seasons[i] = season(month[i]!);
    band[i] = pm25Band(y[i]!);
  }
  const bandOrder = (b: string) => PM25_BANDS.indexOf(b as (typeof PM25_BANDS)[number]);
  const specs: [string, ArrayLike<string | number | null>][] = [
    [o.out.byStation, te.station],
    [o.out.byHour, hour],
    [o.out.byMonth, month],
    [o.out.bySeason, seasons],
    [o.out.byBand, band],
  ];
  for (const [path, keys] of specs) {
    const rows: { candidate: string; group: string; m: RegressionMetrics }[] = [];
    for (const k of o.candidates) {
      const groups = groupedMetrics(y, k.pred, keys, opts);
      if (path === o.out.byBand) {
        groups.sort((a, b) => bandOrder(String(a.group)) - bandOrder(String(b.group)));
      }
      for (const g of groups) {
        rows.push({ candidate: k.name, group: String(g.group), m: g.metrics });
      }
    }
    await writeColumns(c, path, metricColumns(rows));
  }

  // Overall metrics and interval coverage: overall, per station, per band of truth and prediction.
  const summary: EvaluationSummary = {
    rows: n,
    test_split: o.testSplit,
    candidates: {},
    best: "",
    onnx_parity: o.parity,
    residual: "prediction - truth",
  };
  const cov: {
    candidate: string;
    by: string;
    group: string;
    nominal: number;
    idx?: Uint32Array;
    k: ScoredCandidate;
  }[] = [];
  const byStation = groupRows(te.station, { sort: true });
  for (const k of o.candidates) {
    const iv = k.interval;
    let interval: EvaluationSummary["candidates"][string]["interval"] = null;
    if (iv) {
      const overall = intervalCoverage(y, k.pred, iv);
      const nominal = 1 - iv.alpha;
      const predBand = Array.from(k.pred, (v) => pm25Band(v));
      const bands = (keys: (string | null)[]) =>
        [...groupRows(keys).entries()].sort(([a], [b]) => bandOrder(a) - bandOrder(b));
      const trueBands = bands(band), predBands = bands(predBand);
      interval = {
        ...overall,
        nominal,
        half_width: iv.quantile,
        by_true_band: Object.fromEntries(
          trueBands.map(([b, idx]) => [b, intervalCoverage(y, k.pred, iv, idx)]),
        ),
        by_predicted_band: Object.fromEntries(
          predBands.map(([b, idx]) => [b, intervalCoverage(y, k.pred, iv, idx)]),
        ),
      };
      cov.push({ candidate: k.name, by: "all", group: "all", nominal, k });
      for (const [st, idx] of byStation) {
        cov.push({ candidate: k.name, by: "station", group: st, nominal, idx, k });
      }
      for (const [b, idx] of trueBands) {
        cov.push({ candidate: k.name, by: "true_band", group: `true ${b}`, nominal, idx, k });
      }
      for (const [b, idx] of predBands) {
        cov.push({
          candidate: k.name,
          by: "predicted_band",
          group: `predicted ${b}`,
          nominal,
          idx,
          k,
        });
      }
    }
    summary.candidates[k.name] = { test: regressionMetrics(y, k.pred, reference), interval };
  }
  summary.best = [...Object.entries(summary.candidates)]
    .sort(([, a], [, b]) => a.test.rmse - b.test.rmse)[0]![0];
  const cv = cov.map((r) => intervalCoverage(y, r.k.pred, r.k.interval!, r.idx));
  await writeColumns(c, o.out.intervals, {
    candidate: { type: "string", values: cov.map((r) => r.candidate) },
    by: { type: "string", values: cov.map((r) => r.by) },
    group: { type: "string", values: cov.map((r) => r.group) },
    n: { type: "int", values: cv.map((r) => r.n) },
    coverage: { type: "double", values: cv.map((r) => r.coverage) },
    mean_width: { type: "double", values: cv.map((r) => r.meanWidth) },
    nominal: { type: "double", values: cov.map((r) => r.nominal) },
  });

  // Per-row predictions (long) and the residual histogram on shared bins (central 99% of
  // all residuals, the tails in the edge bins) so the candidates' histograms overlay.
  const table = predictionsTable(te, o.candidates);
  await writeColumns(c, o.out.predictions, table);
  const res = table.residual.values;
  const hLo = quantile(res, 0.005), hHi = quantile(res, 0.995);
  const hist: { candidate: string; lo: number; hi: number; count: number; share: number }[] = [];
  o.candidates.forEach((k, j) => {
    const bins = histogram(res.subarray(j * n, (j + 1) * n), {
      bins: o.histogramBins,
      lo: hLo,
      hi: hHi,
    });
    for (const b of bins) hist.push({ candidate: k.name, ...b, share: b.count / n });
  });
  await writeColumns(c, o.out.residualHist, {
    candidate: { type: "string", values: hist.map((h) => h.candidate) },
    lo: { type: "double", values: hist.map((h) => h.lo) },
    hi: { type: "double", values: hist.map((h) => h.hi) },
    count: { type: "int", values: hist.map((h) => h.count) },
    share: { type: "double", values: hist.map((h) => h.share) },
  });
  await writeColumns(c, o.out.worst, await worstRows(c, o));
  return summary;
}

/** The primary candidate's largest errors, with inputs and the PM2.5 around them. */
async function worstRows(
  c: DuckDBConnection,
  o: EvaluationOptions,
): Promise<Record<string, Column>> {
  const te = o.test, y = te.y, top = o.candidates[0]!, pred = top.pred;
  const order = Array.from({ length: y.length }, (_, i) => i)
    .filter((i) => Number.isFinite(pred[i]! - y[i]!))
    .sort((a, b) => Math.abs(pred[b]! - y[b]!) - Math.abs(pred[a]! - y[a]!) || a - b)
    .slice(0, o.worstRows);
  const context = await pm25Context(
    c,
    o.featuresPath,
    order.map((i) => ({ station: te.station[i]!, time: te.time[i]! })),
    o.contextHours,
  );
  const iv = top.interval;
  const bound = (i: number, k: 0 | 1) => (iv ? predictionInterval(pred[i]!, iv)[k] : NaN);
  const worst: Record<string, Column> = {
    rank: { type: "int", values: order.map((_, k) => k + 1) },
    station: { type: "string", values: order.map((i) => te.station[i]!) },
    time: { type: "timestamp", values: order.map((i) => te.time[i]!) },
    y_true: { type: "double", values: order.map((i) => y[i]!) },
    y_pred: { type: "double", values: order.map((i) => pred[i]!) },
    residual: { type: "double", values: order.map((i) => pred[i]! - y[i]!) },
    lower: { type: "double", values: order.map((i) => bound(i, 0)) },
    upper: { type: "double", values: order.map((i) => bound(i, 1)) },
  };
  te.X.names.forEach((f, j) => {
    worst[f] = { type: "double", values: order.map((i) => te.X.data[i * te.X.nCols + j]!) };
  });
  for (let h = -o.contextHours; h <= o.contextHours; h++) {
    worst[contextName(h)] = { type: "double", values: context.map((row) => row.get(h) ?? NaN) };
  }
  return worst;
}

/** "pm25_t-6" ... "pm25_t+0" ... "pm25_t+6": PM2.5 at the row's time plus h hours. */
function contextName(h: number): string {
  return `pm25_t${h < 0 ? "-" : "+"}${Math.abs(h)}`;
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
  ).join(", ");
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
