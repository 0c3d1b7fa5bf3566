/**
 * A small trending hourly series for cross-validation tests: two stations, PM2.5 rising
 * over the months (a model of the level cannot reach the late values, one of the change
 * can), some current values missing (the add-back then takes the lag), a few rows with
 * both missing (the fallback), and a noise column.
 */
import type { LabelledMatrix } from "../../src/data/load_matrix.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

export const SERIES_START = Date.UTC(2019, 0, 1);
const H = 3_600_000;

export function trendingSeries(days = 150, seed = 7): LabelledMatrix {
  const rng = new Pcg32(seed);
  const names = ["PM2.5", "pm25_lag1", "hour", "noise"];
  const rows: number[][] = [], y: number[] = [], station: string[] = [], time: number[] = [];
  for (const st of ["A", "B"]) {
    const n = days * 24;
    const v = new Float64Array(n + 1);
    let ar = 0;
    for (let h = 0; h <= n; h++) {
      ar = 0.8 * ar + 6 * (rng.nextFloat() - 0.5);
      v[h] = 20 + (st === "B" ? 10 : 0) + 0.08 * h + 10 * Math.sin((2 * Math.PI * h) / 24) + ar;
    }
    for (let h = 1; h < n; h++) {
      const u = rng.nextFloat();
      const cur = u < 0.05 ? NaN : v[h]!;
      const lag = u < 0.01 ? NaN : v[h - 1]!;
      rows.push([cur, lag, h % 24, rng.nextFloat()]);
      y.push(v[h + 1]!);
      station.push(st);
      time.push(SERIES_START + h * H);
    }
  }
  return {
    X: { data: Float32Array.from(rows.flat()), nRows: rows.length, nCols: names.length, names },
    y: Float32Array.from(y),
    station,
    time: Float64Array.from(time),
  };
}
