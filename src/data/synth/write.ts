/**
 * I/O for the synthetic dataset: `generateSynth` streams one station at a time to
 * `PRSA_Data_<Station>_<first>-<last>.csv` files (regional weather is built once and shared),
 * so memory stays bounded by one station's series whatever the network size.
 */
import {
  DEFAULT_SYNTH_SEED,
  DEFAULT_SYNTH_STATIONS,
  formatStationsCsv,
  type StationMeta,
} from "../stations.ts";
import { buildTimeline, lunarNewYearHours } from "./calendar.ts";
import { formatRows, PRSA_HEADER, prsaFileName } from "./format.ts";
import { applyMess } from "./mess.ts";
import { generateRegional, stationSeries } from "./pollution.ts";
import { createPrng } from "./prng.ts";
import { synthStations } from "./stations.ts";
import { generateWeather } from "./weather.ts";

export interface SynthOptions {
  /** Number of stations (default 12, like PRSA). */
  stations?: number;
  /** Number of years of hourly rows (default 4). */
  years?: number;
  /** First day, yyyy-mm-dd (default "2013-03-01", like PRSA). */
  start?: string;
  /** Seed: the same seed and options give bit-identical files (default 20130301). */
  seed?: number;
  /** Folder for the CSV files; created if missing. */
  outDir: string;
  /** Also write station metadata (station,type,lat,lon) to this path; keep it out of
   * `outDir` if readers glob `outDir/*.csv` as PRSA files. */
  stationsFile?: string;
  /** Called after each station with (stations done, stations in all). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthResult {
  files: string[];
  rows: number;
  stations: StationMeta[];
}

const CHUNK_ROWS = 8192;

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
}

/** Generate the synthetic PRSA-layout dataset into `options.outDir`. */
export async function generateSynth(options: SynthOptions): Promise<SynthResult> {
  const count = options.stations ?? DEFAULT_SYNTH_STATIONS;
  const seed = options.seed ?? DEFAULT_SYNTH_SEED;
  const tl = buildTimeline(options.start ?? "2013-03-01", options.years ?? 4);
  const stations = synthStations(count, seed);
  const newYears = lunarNewYearHours(tl);
  const weather = generateWeather(tl, createPrng(seed, 1));
  const regional = generateRegional(tl, weather, newYears, createPrng(seed, 2));
  await Deno.mkdir(options.outDir, { recursive: true });
  const enc = new TextEncoder();
  const files: string[] = [];
  for (let k = 0; k < stations.length; k++) {
    const meta = stations[k]!;
    const prng = createPrng(seed, 3, k);
    const series = stationSeries(meta, tl, weather, regional, prng);
    applyMess(series, meta, tl, newYears, prng);
    const path = `${options.outDir}/${prsaFileName(meta.station, tl)}`;
    const tmp = `${path}.partial`;
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      await writeAll(file, enc.encode(PRSA_HEADER + "\r\n"));
      for (let i = 0; i < tl.n; i += CHUNK_ROWS) {
        const text = formatRows(series, tl, meta.station, i, Math.min(tl.n, i + CHUNK_ROWS));
        await writeAll(file, enc.encode(text));
      }
    } finally {
      file.close();
    }
    // Rename last, so an interrupted run never leaves a half-written .csv behind.
    await Deno.rename(tmp, path);
    files.push(path);
    options.onProgress?.(k + 1, stations.length);
  }
  if (options.stationsFile) await writeStationsCsv(options.stationsFile, stations);
  return { files, rows: tl.n * stations.length, stations };
}

/** Write `stations.csv` (station,type,lat,lon) for the pipeline. */
export async function writeStationsCsv(
  path: string,
  stations: readonly StationMeta[],
): Promise<void> {
  await Deno.writeTextFile(path, formatStationsCsv(stations));
}

if (import.meta.main) {
  const [outDir = "data/raw", stations = "12", years = "4", seed] = Deno.args;
  const t0 = performance.now();
  const r = await generateSynth({
    outDir,
    stations: Number(stations),
    years: Number(years),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
  });
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${r.files.length} files, ${r.rows} rows in ${s.toFixed(2)} s (${
      (r.rows / s).toFixed(0)
    } rows/s)`,
  );
}
