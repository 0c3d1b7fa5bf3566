/**
 * The rows the drift stage judges when there are too many: a seeded sample of whole
 * stations, the same stations on both sides.
 *
 * The verdict's cost grows with the rows it holds (every column sorted per month, noise
 * pieces drawn from them, per-station residuals), and scoring them with the model costs
 * more: on 16M rows the stage ran for over half an hour and grew past 18 GB. Above a cap,
 * rows are therefore judged in a sample. The unit is the whole station, never single rows:
 * the stuck check counts runs of one value along a station's hours, the cross-station check
 * compares a station with the others at the same hours, and the noise pieces are calendar
 * months of the reference; a station kept whole, with every one of its months on both sides,
 * keeps all three meaningful. Stations are taken in a seeded random order (sorted by name,
 * then shuffled) while neither side's rows pass the cap, so the same data, cap and seed give
 * the same stations, and a station's size does not decide whether it is taken. At least one
 * station is always taken (it may pass the cap alone: a station is never split).
 * @module
 */

import type { LabelledMatrix } from "../data/load_matrix.ts";
import { Pcg32 } from "../gbdt/random.ts";

/** Which rows were judged, as the drift report records it. */
export interface StationSample {
  /** True when the rows passed the cap and only some stations were judged. */
  sampled: boolean;
  unit: "station";
  /** The cap: most rows judged on each side (reference, current). */
  max_rows: number;
  seed: number;
  stations: { judged: number; total: number };
  reference: { rows: number; judged: number };
  current: { rows: number; judged: number };
  /** The stations judged, in the order drawn; empty when every station was judged. */
  judged_stations: string[];
}

/** Rows per station on each side. */
export type StationCounts = ReadonlyMap<string, number>;

/**
 * The stations to judge (null: all of them) and the record of the choice. Below the cap on
 * both sides every station is judged and nothing is drawn.
 */
export function pickStations(
  reference: StationCounts,
  current: StationCounts,
  maxRows: number,
  seed: number,
): { keep: Set<string> | null; sample: StationSample } {
  if (!(Number.isInteger(maxRows) && maxRows >= 1)) {
    throw new RangeError(`Cannot sample stations: expected a row cap >= 1, got ${maxRows}`);
  }
  const total = (m: StationCounts) => [...m.values()].reduce((a, b) => a + b, 0);
  const refRows = total(reference), curRows = total(current);
  const names = [...new Set([...reference.keys(), ...current.keys()])].sort();
  const base = { unit: "station" as const, max_rows: maxRows, seed };
  if (refRows <= maxRows && curRows <= maxRows) {
    return {
      keep: null,
      sample: {
        ...base,
        sampled: false,
        stations: { judged: names.length, total: names.length },
        reference: { rows: refRows, judged: refRows },
        current: { rows: curRows, judged: curRows },
        judged_stations: [],
      },
    };
  }
  const rng = new Pcg32(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const keep: string[] = [];
  let r = 0, c = 0;
  for (const name of names) {
    const nr = reference.get(name) ?? 0, nc = current.get(name) ?? 0;
    if (keep.length > 0 && (r + nr > maxRows || c + nc > maxRows)) break;
    keep.push(name);
    r += nr;
    c += nc;
  }
  return {
    keep: new Set(keep),
    sample: {
      ...base,
      sampled: true,
      stations: { judged: keep.length, total: names.length },
      reference: { rows: refRows, judged: r },
      current: { rows: curRows, judged: c },
      judged_stations: keep,
    },
  };
}

/** Rows per station of a loaded matrix. */
export function stationCounts(m: LabelledMatrix): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of m.station) out.set(s, (out.get(s) ?? 0) + 1);
  return out;
}

/** The rows of `keep`'s stations, in their order (the matrix itself when `keep` is null). */
export function rowsOfStations(
  m: LabelledMatrix,
  keep: ReadonlySet<string> | null,
): LabelledMatrix {
  if (!keep) return m;
  const rows: number[] = [];
  for (let i = 0; i < m.station.length; i++) if (keep.has(m.station[i]!)) rows.push(i);
  const { nCols } = m.X;
  const data = new Float32Array(rows.length * nCols);
  const y = new Float32Array(rows.length);
  const time = new Float64Array(rows.length);
  const station: string[] = new Array(rows.length);
  rows.forEach((i, k) => {
    data.set(m.X.data.subarray(i * nCols, (i + 1) * nCols), k * nCols);
    y[k] = m.y[i]!;
    time[k] = m.time[i]!;
    station[k] = m.station[i]!;
  });
  return { X: { ...m.X, data, nRows: rows.length }, y, station, time };
}

/** The report's sentence about the sample; null when every row was judged. */
export function sampleNote(s: StationSample): string | null {
  if (!s.sampled) return null;
  const f = (n: number) => n.toLocaleString("en-US");
  return `Judged a sample: ${f(s.reference.rows)} reference and ${
    f(s.current.rows)
  } current rows are more than the cap of ${
    f(s.max_rows)
  } (drift.max_rows), so ${s.stations.judged} of ${s.stations.total} whole stations were drawn with seed ${s.seed} (drift.sample_seed): ${
    f(s.reference.judged)
  } reference and ${
    f(s.current.judged)
  } current rows judged; the verdict, the histograms and the RMSE are of these rows`;
}
