/**
 * Subgroup analysis of one model's test predictions: error and bias by station, station
 * type, season and PM2.5 band, each group's gap against the overall figure, and how well
 * the model catches high-pollution hours ("PM2.5 above 75 µg/m³") station by station.
 *
 * Health warnings are issued on those hours, so a station where the model misses them is
 * a station whose residents get fewer warnings: recall is the figure that matters there,
 * precision is context (how many warnings would be false alarms).
 */
import { regressionMetrics } from "../metrics/regression.ts";
import { groupRows, pm25Band, season } from "../metrics/groups.ts";
import type { Column } from "../data/write_columns.ts";

export type SubgroupDimension = "overall" | "station" | "station_type" | "season" | "band";

export interface SubgroupInput {
  station: readonly string[];
  /** Epoch ms of the local clock in UTC fields (as load_matrix.ts returns it). */
  time: ArrayLike<number>;
  y: ArrayLike<number>;
  pred: ArrayLike<number>;
}

export interface SubgroupRow {
  dimension: SubgroupDimension;
  group: string;
  n: number;
  rmse: number;
  mae: number;
  /** Mean of prediction - truth. */
  bias: number;
  /** (group RMSE - overall RMSE) / overall RMSE, in %. */
  rmse_gap_pct: number;
  /** Hours whose true PM2.5 is above the exceedance threshold (station and overall rows). */
  episodes: number | null;
  /** Share of those hours the model also predicts above it; null without episodes. */
  recall: number | null;
  /** Share of hours predicted above that truly are; null when none is predicted above. */
  precision: number | null;
}

export interface SubgroupOptions {
  /** Station name -> type (urban, suburban, rural); a station not in it is "unknown". */
  stationTypes: ReadonlyMap<string, string>;
  /** Exceedance threshold in µg/m³ (75: the upper edge of China's "good" band). */
  exceedance: number;
  /** Dimensions whose largest gap is checked against the threshold. */
  gapDimensions: readonly SubgroupDimension[];
}

export interface SubgroupAnalysis {
  rows: SubgroupRow[];
  /** The group served worst (largest RMSE gap above overall) among `gapDimensions`; null without groups. */
  largestGap: { dimension: SubgroupDimension; group: string; rmse_gap_pct: number } | null;
  /** Station with the lowest exceedance recall (stations with episodes only); null if none. */
  lowestRecall: { group: string; recall: number; episodes: number } | null;
  exceedance: number;
}

/** Computes the subgroup table of one model's predictions. */
export function subgroupAnalysis(input: SubgroupInput, options: SubgroupOptions): SubgroupAnalysis {
  const { station, time, y, pred } = input;
  const n = y.length;
  if (station.length !== n || time.length !== n || pred.length !== n) {
    throw new RangeError(
      `Cannot analyse subgroups: station, time, y and pred must have one value per row, got ${station.length}, ${time.length}, ${n}, ${pred.length}`,
    );
  }
  const overall = regressionMetrics(y, pred);
  const type: string[] = new Array(n), seasons: string[] = new Array(n);
  const band: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    type[i] = options.stationTypes.get(station[i]!) ?? "unknown";
    seasons[i] = season(new Date(time[i]!).getUTCMonth() + 1);
    band[i] = pm25Band(y[i]!);
  }
  const rows: SubgroupRow[] = [];
  const add = (dimension: SubgroupDimension, group: string, idx: ArrayLike<number> | undefined) => {
    const m = regressionMetrics(y, pred, undefined, idx);
    const withEpisodes = dimension === "station" || dimension === "overall";
    const ex = withEpisodes ? exceedanceScores(y, pred, options.exceedance, idx) : null;
    rows.push({
      dimension,
      group,
      n: m.n,
      rmse: m.rmse,
      mae: m.mae,
      bias: m.bias,
      rmse_gap_pct: overall.rmse > 0 ? (m.rmse / overall.rmse - 1) * 100 : NaN,
      episodes: ex ? ex.episodes : null,
      recall: ex ? ex.recall : null,
      precision: ex ? ex.precision : null,
    });
  };
  add("overall", "all", undefined);
  const dims: [SubgroupDimension, ArrayLike<string | null>][] = [
    ["station", station],
    ["station_type", type],
    ["season", seasons],
    ["band", band],
  ];
  for (const [dimension, keys] of dims) {
    for (const [group, idx] of groupRows(keys, { sort: true })) add(dimension, group, idx);
  }

  let largestGap: SubgroupAnalysis["largestGap"] = null;
  for (const r of rows) {
    if (!options.gapDimensions.includes(r.dimension) || !Number.isFinite(r.rmse_gap_pct)) continue;
    if (!largestGap || r.rmse_gap_pct > largestGap.rmse_gap_pct) {
      largestGap = { dimension: r.dimension, group: r.group, rmse_gap_pct: r.rmse_gap_pct };
    }
  }
  let lowestRecall: SubgroupAnalysis["lowestRecall"] = null;
  for (const r of rows) {
    if (r.dimension !== "station" || r.recall === null) continue;
    if (!lowestRecall || r.recall < lowestRecall.recall) {
      lowestRecall = { group: r.group, recall: r.recall, episodes: r.episodes ?? 0 };
    }
  }
  return { rows, largestGap, lowestRecall, exceedance: options.exceedance };
}

/** Recall and precision of "above `threshold`" over the rows `idx` (all rows when absent). */
export function exceedanceScores(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  threshold: number,
  idx?: ArrayLike<number>,
): {
  episodes: number;
  predicted: number;
  hits: number;
  recall: number | null;
  precision: number | null;
} {
  let episodes = 0, predicted = 0, hits = 0;
  const count = idx ? idx.length : y.length;
  for (let k = 0; k < count; k++) {
    const i = idx ? idx[k]! : k;
    const t = y[i]!, p = pred[i]!;
    if (!Number.isFinite(t) || !Number.isFinite(p)) continue;
    const trueAbove = t > threshold, predAbove = p > threshold;
    if (trueAbove) episodes++;
    if (predAbove) predicted++;
    if (trueAbove && predAbove) hits++;
  }
  return {
    episodes,
    predicted,
    hits,
    recall: episodes > 0 ? hits / episodes : null,
    precision: predicted > 0 ? hits / predicted : null,
  };
}

/** The subgroup table as Parquet columns (reports/cards/subgroups.parquet). */
export function subgroupColumns(sg: SubgroupAnalysis): Record<string, Column> {
  const num = (v: number | null) => v ?? NaN;
  return {
    dimension: { type: "string", values: sg.rows.map((r) => r.dimension) },
    group: { type: "string", values: sg.rows.map((r) => r.group) },
    n: { type: "int", values: sg.rows.map((r) => r.n) },
    rmse: { type: "double", values: sg.rows.map((r) => r.rmse) },
    mae: { type: "double", values: sg.rows.map((r) => r.mae) },
    bias: { type: "double", values: sg.rows.map((r) => r.bias) },
    rmse_gap_pct: { type: "double", values: sg.rows.map((r) => r.rmse_gap_pct) },
    episodes: { type: "double", values: sg.rows.map((r) => num(r.episodes)) },
    recall: { type: "double", values: sg.rows.map((r) => num(r.recall)) },
    precision: { type: "double", values: sg.rows.map((r) => num(r.precision)) },
  };
}
