/**
 * What real monitoring networks do to clean signals: analyser outages (isolated hours and
 * days-long blocks), station-wide power or network outages, weather-station dropouts, stuck
 * sensors repeating a value, one-hour spikes, Chinese New Year fireworks, and the odd
 * decimal values PRSA carries where hours were averaged or converted from ppb.
 */
import type { StationMeta } from "../stations.ts";
import type { Timeline } from "./calendar.ts";
import { Col, type StationSeries } from "./pollution.ts";
import { exponential, intBetween, normal, type Prng } from "./prng.ts";

const POLLUTANTS = [Col.PM25, Col.PM10, Col.SO2, Col.NO2, Col.CO, Col.O3];
const WEATHER = [Col.TEMP, Col.PRES, Col.DEWP, Col.RAIN, Col.WSPM];
/** Per-analyser extra missingness (CO analysers failed most often in PRSA). */
const GAP_RATE: Record<number, number> = {
  [Col.PM25]: 1,
  [Col.PM10]: 0.75,
  [Col.SO2]: 1.1,
  [Col.NO2]: 1.5,
  [Col.CO]: 3,
  [Col.O3]: 1.7,
};

function poisson(prng: Prng, mean: number): number {
  let k = 0;
  for (let t = exponential(prng, 1); t < mean; t += exponential(prng, 1)) k++;
  return k;
}

function blank(xs: Float64Array, from: number, len: number): void {
  xs.fill(NaN, Math.max(0, from), Math.min(xs.length, from + len));
}

/** Fireworks at Chinese New Year: a sharp night-time peak in PM and SO2 decaying over hours. */
function fireworks(s: StationSeries, meta: StationMeta, at: readonly number[], prng: Prng) {
  const level = meta.type === "urban" ? 1 : meta.type === "suburban" ? 0.8 : 0.55;
  for (const i0 of at) {
    const amp = 420 * level * (0.6 + 0.8 * prng.next());
    for (let k = -5; k < 10; k++) {
      const i = i0 + k;
      if (i < 0 || i >= s.wd.length) continue;
      const shape = k < 0 ? Math.exp((k + 1) / 1.5) : Math.exp(-k / 2.5);
      s.values[Col.PM25]![i]! += amp * shape;
      s.values[Col.PM10]![i]! += 1.15 * amp * shape;
      s.values[Col.SO2]![i]! += 0.12 * amp * shape;
    }
  }
}

/** Apply all of the mess to `s` in place. `newYears` are the timeline's lunar new year hours. */
export function applyMess(
  s: StationSeries,
  meta: StationMeta,
  tl: Timeline,
  newYears: readonly number[],
  prng: Prng,
): void {
  const n = tl.n;
  const years = n / 8766;
  fireworks(s, meta, newYears, prng);

  // Spikes: one-hour bursts (a nearby fire, a truck idling at the inlet).
  for (const c of POLLUTANTS) {
    for (let k = poisson(prng, 3 * years); k > 0; k--) {
      const i = intBetween(prng, 0, n - 1);
      s.values[c]![i]! *= 2 + 2.5 * prng.next();
    }
  }

  // Physical limits and instrument ranges, then PRSA's rounding of CO to 100 µg/m³ steps.
  const pm25 = s.values[Col.PM25]!;
  const pm10 = s.values[Col.PM10]!;
  for (let i = 0; i < n; i++) {
    pm25[i] = Math.min(999, Math.max(2 + (prng.next() < 0.5 ? 1 : 0), pm25[i]!));
    pm10[i] = Math.min(999, Math.max(pm10[i]!, 3 + (prng.next() < 0.3 ? 2 : 0)));
    s.values[Col.SO2]![i] = Math.max(2, s.values[Col.SO2]![i]!);
    s.values[Col.NO2]![i] = Math.max(2, s.values[Col.NO2]![i]!);
    s.values[Col.CO]![i] = Math.min(10000, Math.max(100, s.values[Col.CO]![i]!));
    s.values[Col.WSPM]![i] = Math.min(13, s.values[Col.WSPM]![i]!);
  }

  // Stuck sensors: the logger repeats the last good value for hours.
  for (const c of POLLUTANTS) {
    for (let k = poisson(prng, 1.5 * years); k > 0; k--) {
      const i = intBetween(prng, 1, n - 40);
      const len = 6 + Math.floor(exponential(prng, 8));
      const xs = s.values[c]!;
      xs.fill(xs[i - 1]!, i, Math.min(n, i + len));
    }
  }

  // Averaged hours print with one decimal; ppb-converted spells with four (as in PRSA's
  // early months). One of each sits in the first weeks so CSV sniffers see decimals.
  for (const c of [Col.PM25, Col.PM10, Col.SO2, Col.NO2, Col.O3]) {
    const d = s.decimals[c]!;
    const first = intBetween(prng, 24, 600);
    d[first] = 1;
    for (let k = poisson(prng, 4 * years); k > 0; k--) d[intBetween(prng, 0, n - 1)] = 1;
  }
  for (let k = 1 + poisson(prng, 2 * years); k > 0; k--) {
    const from = k === 1 ? intBetween(prng, 48, 900) : intBetween(prng, 0, n - 1);
    const len = 6 + Math.floor(exponential(prng, 30));
    for (const c of [Col.SO2, Col.NO2, Col.O3]) {
      if (prng.next() < 0.3) continue;
      s.decimals[c]!.fill(4, from, Math.min(n, from + len));
    }
  }

  // Analyser outages: isolated gaps (most are 1-3 h) and blocks of a day or more.
  for (const c of POLLUTANTS) {
    const rate = GAP_RATE[c] ?? 1;
    for (let k = poisson(prng, 60 * rate * years); k > 0; k--) {
      blank(s.values[c]!, intBetween(prng, 0, n - 1), 1 + Math.floor(exponential(prng, 0.9)));
    }
    for (let k = poisson(prng, 1.7 * rate * years); k > 0; k--) {
      blank(s.values[c]!, intBetween(prng, 0, n - 1), 4 + Math.floor(exponential(prng, 16)));
    }
  }
  // Station-wide outages: power or network, all pollutants at once, sometimes for weeks.
  for (let k = poisson(prng, 0.6 * years); k > 0; k--) {
    const from = intBetween(prng, 0, n - 1);
    const len = 12 + Math.floor(exponential(prng, 20 + 60 * prng.next()));
    for (const c of POLLUTANTS) blank(s.values[c]!, from, len);
  }
  // Weather station dropouts: all weather columns together, rarely.
  for (let k = poisson(prng, 2 * years); k > 0; k--) {
    const from = intBetween(prng, 0, n - 1);
    const len = 1 + Math.floor(exponential(prng, 7));
    for (const c of WEATHER) blank(s.values[c]!, from, len);
    s.wd.fill(-1, from, Math.min(n, from + len));
  }
  // Wind vanes report no direction in calm air more often than otherwise.
  const ws = s.values[Col.WSPM]!;
  for (let i = 0; i < n; i++) {
    const calm = ws[i]! < 0.15;
    if (prng.next() < (calm ? 0.06 : 0.002)) s.wd[i] = -1;
  }
  // Noise-free decimals drawn above would round away: nudge them off the integer grid.
  for (const c of [Col.PM25, Col.PM10, Col.SO2, Col.NO2, Col.O3]) {
    const xs = s.values[c]!;
    const d = s.decimals[c]!;
    for (let i = 0; i < n; i++) {
      if (d[i] && Number.isInteger(Math.round(xs[i]! * 10) / 10)) {
        xs[i]! += 0.3 + 0.1 * normal(prng) ** 2;
      }
    }
  }
}
