/**
 * PRSA text layout: quoted header, unquoted numbers, quoted wind direction and station, `NA`
 * for missing. Pollutants print as integers (CO in steps of 100), except the hours flagged
 * with decimals; weather prints with one decimal and no trailing ".0", as in the PRSA files.
 */
import type { Timeline } from "./calendar.ts";
import { Col, type StationSeries } from "./pollution.ts";
import { COMPASS } from "../compass.ts";

export const PRSA_COLUMNS = [
  "No",
  "year",
  "month",
  "day",
  "hour",
  "PM2.5",
  "PM10",
  "SO2",
  "NO2",
  "CO",
  "O3",
  "TEMP",
  "PRES",
  "DEWP",
  "RAIN",
  "wd",
  "WSPM",
  "station",
] as const;

export const PRSA_HEADER = PRSA_COLUMNS.map((c) => `"${c}"`).join(",");

/** The 16 compass points from north, clockwise, as PRSA spells them (one table for the project). */
export const WIND_SECTORS = COMPASS;
const QUOTED_SECTORS = WIND_SECTORS.map((s) => `"${s}"`);

const SCALE = [1, 10, 100, 1000, 10000];

// Number-to-text conversion dominates writing: integers and one-decimal values in the usual
// ranges come from lookup tables built once (same text as String(), so no format drift).
const INTS = Array.from({ length: 10_001 }, (_, k) => String(k));
const TENTHS_MIN = -600;
const TENTHS = Array.from({ length: 11_200 - TENTHS_MIN }, (_, k) => String((k + TENTHS_MIN) / 10));

function pollutant(x: number, decimals: number): string {
  if (Number.isNaN(x)) return "NA";
  if (decimals === 0) {
    const k = Math.round(x);
    return INTS[k] ?? String(k);
  }
  const k = SCALE[decimals] ?? 1;
  return String(Math.round(x * k) / k);
}

function weather(x: number): string {
  if (Number.isNaN(x)) return "NA";
  const k = Math.round(x * 10);
  return TENTHS[k - TENTHS_MIN] ?? String(k / 10);
}

// "No,year,month,day,hour," is the same for every station: build it once per timeline.
const prefixes = new WeakMap<Timeline, string[]>();
function rowPrefixes(tl: Timeline): string[] {
  let p = prefixes.get(tl);
  if (!p) {
    p = Array.from(
      { length: tl.n },
      (_, i) => `${i + 1},${tl.year[i]},${tl.month[i]},${tl.day[i]},${tl.hour[i]},`,
    );
    prefixes.set(tl, p);
  }
  return p;
}

/** The PRSA file name of a station's file over the timeline. */
export function prsaFileName(station: string, tl: Timeline): string {
  return `PRSA_Data_${station}_${tl.firstDay}-${tl.lastDay}.csv`;
}

/** Rows `from` (inclusive) to `to` (exclusive) as CSV lines, each ending in "\r\n" as in the PRSA files. */
export function formatRows(
  s: StationSeries,
  tl: Timeline,
  station: string,
  from: number,
  to: number,
): string {
  const v = s.values;
  const [pm25, pm10, so2, no2, co, o3] = [0, 1, 2, 3, 4, 5].map((c) => v[c]!) as Float64Array[];
  const [dPm25, dPm10, dSo2, dNo2, , dO3] = s.decimals as Uint8Array[];
  const quoted = `"${station}"`;
  const prefix = rowPrefixes(tl);
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const wd = s.wd[i]!;
    lines.push(
      prefix[i]! +
        `${pollutant(pm25![i]!, dPm25![i]!)},${pollutant(pm10![i]!, dPm10![i]!)},` +
        `${pollutant(so2![i]!, dSo2![i]!)},${pollutant(no2![i]!, dNo2![i]!)},` +
        `${pollutant(co![i]!, 0)},${pollutant(o3![i]!, dO3![i]!)},` +
        `${weather(v[Col.TEMP]![i]!)},${weather(v[Col.PRES]![i]!)},` +
        `${weather(v[Col.DEWP]![i]!)},${weather(v[Col.RAIN]![i]!)},` +
        `${wd < 0 ? "NA" : QUOTED_SECTORS[wd]},${weather(v[Col.WSPM]![i]!)},${quoted}\r\n`,
    );
  }
  return lines.join("");
}
