/**
 * Station metadata: the 12 real stations of the UCI Beijing PRSA dataset and the default
 * synthetic stations, with a writer for the `stations.csv` the pipeline reads
 * (columns station,type,lat,lon).
 */
import { synthStations } from "./synth/stations.ts";
import type { StationMeta } from "./station_meta.ts";
export type { StationMeta, StationType } from "./station_meta.ts";

/**
 * The 12 PRSA stations. Types follow the Beijing Municipal Environmental Monitoring Center
 * classification as described for this dataset (Zhang et al. 2017): Dingling is the
 * background (control) site at the Ming tombs, Huairou, Changping and Shunyi are suburban
 * new towns, the other eight are urban sites. Coordinates are approximate (about 0.01°,
 * from the commonly published MEMC site list), good for maps and rough distances, not for
 * anything that needs survey precision.
 */
export const PRSA_STATIONS: readonly StationMeta[] = [
  { station: "Aotizhongxin", type: "urban", lat: 39.982, lon: 116.397 },
  { station: "Changping", type: "suburban", lat: 40.217, lon: 116.23 },
  { station: "Dingling", type: "rural", lat: 40.292, lon: 116.22 },
  { station: "Dongsi", type: "urban", lat: 39.929, lon: 116.417 },
  { station: "Guanyuan", type: "urban", lat: 39.929, lon: 116.339 },
  { station: "Gucheng", type: "urban", lat: 39.914, lon: 116.184 },
  { station: "Huairou", type: "suburban", lat: 40.328, lon: 116.628 },
  { station: "Nongzhanguan", type: "urban", lat: 39.937, lon: 116.461 },
  { station: "Shunyi", type: "suburban", lat: 40.127, lon: 116.655 },
  { station: "Tiantan", type: "urban", lat: 39.886, lon: 116.407 },
  { station: "Wanliu", type: "urban", lat: 39.987, lon: 116.287 },
  { station: "Wanshouxigong", type: "urban", lat: 39.878, lon: 116.352 },
];

/** Seed and size of the default synthetic dataset (what `generateSynth` makes by default). */
export const DEFAULT_SYNTH_SEED = 20130301;
export const DEFAULT_SYNTH_STATIONS = 12;

/** The default synthetic stations (seed `DEFAULT_SYNTH_SEED`), stable across runs. */
export const SYNTH_STATIONS: readonly StationMeta[] = synthStations(
  DEFAULT_SYNTH_STATIONS,
  DEFAULT_SYNTH_SEED,
);

/** Every known station: the real PRSA ones, then the default synthetic ones. */
export const STATIONS: readonly StationMeta[] = [...PRSA_STATIONS, ...SYNTH_STATIONS];

/** `stations.csv` text: header station,type,lat,lon, one line per station, "\n" endings. */
export function formatStationsCsv(stations: readonly StationMeta[]): string {
  const lines = ["station,type,lat,lon"];
  for (const s of stations) {
    if (/[",\n\r]/.test(s.station)) {
      throw new TypeError(
        `Cannot write station "${s.station}": expected a name without , " or newlines`,
      );
    }
    lines.push(`${s.station},${s.type},${s.lat.toFixed(4)},${s.lon.toFixed(4)}`);
  }
  return lines.join("\n") + "\n";
}
