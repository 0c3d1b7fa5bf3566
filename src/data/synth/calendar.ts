/**
 * The hourly timeline of a synthetic dataset: calendar fields per hour, in local time
 * (PRSA is Beijing time, UTC+8, no daylight saving, so local clock arithmetic is exact).
 */
export interface Timeline {
  /** Number of hours. */
  n: number;
  year: Int16Array;
  month: Uint8Array;
  day: Uint8Array;
  hour: Uint8Array;
  /** Day of week, 0 = Monday (as pandas' dayofweek). */
  dow: Uint8Array;
  /** Day of year as a fraction in [0, 1) including the hour, for seasonal cycles. */
  season: Float64Array;
  /** First and last day, "yyyymmdd", for the PRSA file name. */
  firstDay: string;
  lastDay: string;
}

const DAY_MS = 86_400_000;

function parseStart(start: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(start);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  const back = Number.isNaN(ms) ? "" : new Date(ms).toISOString().slice(0, 10);
  if (back !== start) {
    throw new RangeError(`Cannot parse start "${start}": expected a date as yyyy-mm-dd`);
  }
  return ms;
}

function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
}

/** Hours from `start` (a local date at 00:00) for `years` calendar years. */
export function buildTimeline(start: string, years: number): Timeline {
  if (!Number.isInteger(years) || years < 1 || years > 50) {
    throw new RangeError(`Cannot build a timeline of ${years} years: expected an integer 1..50`);
  }
  const t0 = parseStart(start);
  const s = new Date(t0);
  const t1 = Date.UTC(s.getUTCFullYear() + years, s.getUTCMonth(), s.getUTCDate());
  const n = Math.round((t1 - t0) / 3_600_000);
  const tl: Timeline = {
    n,
    year: new Int16Array(n),
    month: new Uint8Array(n),
    day: new Uint8Array(n),
    hour: new Uint8Array(n),
    dow: new Uint8Array(n),
    season: new Float64Array(n),
    firstDay: yyyymmdd(t0),
    lastDay: yyyymmdd(t1 - DAY_MS),
  };
  for (let i = 0; i < n; i += 24) {
    const d = new Date(t0 + (i / 24) * DAY_MS);
    const y = d.getUTCFullYear();
    const doy = (d.getTime() - Date.UTC(y, 0, 1)) / DAY_MS;
    const yearDays = (Date.UTC(y + 1, 0, 1) - Date.UTC(y, 0, 1)) / DAY_MS;
    for (let h = 0; h < 24 && i + h < n; h++) {
      tl.year[i + h] = y;
      tl.month[i + h] = d.getUTCMonth() + 1;
      tl.day[i + h] = d.getUTCDate();
      tl.hour[i + h] = h;
      tl.dow[i + h] = (d.getUTCDay() + 6) % 7;
      tl.season[i + h] = (doy + h / 24) / yearDays;
    }
  }
  return tl;
}

/** Gregorian dates of the Chinese (lunar) New Year's day, month and day, 2000-2040. */
const LUNAR_NEW_YEAR: Record<number, [number, number]> = {
  2000: [2, 5],
  2001: [1, 24],
  2002: [2, 12],
  2003: [2, 1],
  2004: [1, 22],
  2005: [2, 9],
  2006: [1, 29],
  2007: [2, 18],
  2008: [2, 7],
  2009: [1, 26],
  2010: [2, 14],
  2011: [2, 3],
  2012: [1, 23],
  2013: [2, 10],
  2014: [1, 31],
  2015: [2, 19],
  2016: [2, 8],
  2017: [1, 28],
  2018: [2, 16],
  2019: [2, 5],
  2020: [1, 25],
  2021: [2, 12],
  2022: [2, 1],
  2023: [1, 22],
  2024: [2, 10],
  2025: [1, 29],
  2026: [2, 17],
  2027: [2, 6],
  2028: [1, 26],
  2029: [2, 13],
  2030: [2, 3],
  2031: [1, 23],
  2032: [2, 11],
  2033: [1, 31],
  2034: [2, 19],
  2035: [2, 8],
  2036: [1, 28],
  2037: [2, 15],
  2038: [2, 4],
  2039: [1, 24],
  2040: [2, 12],
};

/**
 * Hour indices in the timeline of each Chinese New Year's midnight (the fireworks peak
 * comes in the first hours of New Year's day). Years outside the table are skipped.
 */
export function lunarNewYearHours(tl: Timeline): number[] {
  const out: number[] = [];
  const y0 = tl.year[0] ?? 0;
  const y1 = tl.year[tl.n - 1] ?? 0;
  const t0 = Date.UTC(y0, (tl.month[0] ?? 1) - 1, tl.day[0] ?? 1);
  for (let y = y0; y <= y1; y++) {
    const md = LUNAR_NEW_YEAR[y];
    if (!md) continue;
    const i = Math.round((Date.UTC(y, md[0] - 1, md[1]) - t0) / 3_600_000);
    if (i >= 0 && i < tl.n) out.push(i);
  }
  return out;
}

/** Beijing's public heating season: 15 November to 15 March. */
export function isHeatingSeason(month: number, day: number): boolean {
  return month === 12 || month <= 2 || (month === 11 && day >= 15) || (month === 3 && day <= 15);
}
