/**
 * Pollutant concentrations: a regional PM2.5 reservoir shared by all stations (a box model
 * with emissions, secondary formation, ventilation and washout), then each station's
 * weather and pollutants derived from the regional state plus local sources and noise.
 *
 * The regional box is what makes Beijing-like episodes: under stagnant, humid air the
 * reservoir builds for days (emissions in a shallow mixed layer, secondary aerosol growing
 * faster with humidity), and a cold front's northerly wind flushes it out within hours.
 */
import type { StationMeta } from "../stations.ts";
import type { Timeline } from "./calendar.ts";
import { evening, heating, holidayFactor, traffic, typeLevel } from "./emissions.ts";
import { normal, type Prng } from "./prng.ts";
import { type RegionalWeather, relativeHumidity, sunShape, winterness } from "./weather.ts";

export interface RegionalPollution {
  /** Regional PM2.5 reservoir, µg/m³. */
  pm: Float64Array;
}

/** Column order of the numeric PRSA columns. */
export const NUMERIC_COLUMNS = [
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
  "WSPM",
] as const;
export const Col = {
  PM25: 0,
  PM10: 1,
  SO2: 2,
  NO2: 3,
  CO: 4,
  O3: 5,
  TEMP: 6,
  PRES: 7,
  DEWP: 8,
  RAIN: 9,
  WSPM: 10,
} as const;

/** One station's hourly series before formatting: NaN = missing. */
export interface StationSeries {
  /** One array per `NUMERIC_COLUMNS` entry. */
  values: Float64Array[];
  /** Wind direction sector 0..15 (0 = N, clockwise), -1 = missing. */
  wd: Int8Array;
  /** Decimals to print for each pollutant column (0 = integer as PRSA mostly has). */
  decimals: Uint8Array[];
}

const CLEAN_AIR = 3;

export function generateRegional(
  tl: Timeline,
  w: RegionalWeather,
  newYears: readonly number[],
  prng: Prng,
): RegionalPollution {
  const n = tl.n;
  const pm = new Float64Array(n);
  let b = 40;
  // Each synoptic cycle gets its own severity: the same weather can bring a mild spell or a
  // heavy episode, depending on what upwind regions emitted and how the air mass aged.
  let episode = 1;
  let ny = 0;
  for (let i = 0; i < n; i++) {
    while (ny < newYears.length - 1 && i - newYears[ny]! > 24 * 8) ny++;
    const h = tl.hour[i]!;
    const win = winterness(tl.season[i]!);
    const weekend = tl.dow[i]! >= 5;
    const speed = Math.hypot(w.windE[i]!, w.windN[i]!);
    const emis = (0.75 * traffic(h, weekend) * holidayFactor(i - (newYears[ny] ?? -1e9)) +
      1.5 * heating(tl.month[i]!, tl.day[i]!, h) + 1.0) *
      (0.9 + 0.1 * win);
    // Emissions go into the mixed layer: a shallow layer concentrates them.
    const prod = 4.2 * episode * emis * (500 / w.mixing[i]!) ** 0.25;
    // Weak southerly flow carries polluted air up from the plain.
    const south = Math.max(0, -w.windN[i]!);
    if (w.sinceFront[i] === 0) episode = Math.exp(0.5 * normal(prng));
    const imp = 0.9 * episode * south * (1 + 0.5 * win) * (w.sinceFront[i]! < 12 ? 0 : 1);
    const rhx = Math.max(0, w.rh[i]! - 0.4);
    // Secondary aerosol grows with humidity but saturates (precursors run out).
    const secondary = 0.045 * rhx ** 1.3 * b * Math.max(0, 1 - b / 900);
    // The night-time mountain breeze from the north brings cleaner air down the valleys.
    const vent = 0.03 + 0.004 * speed * speed + 0.2 * w.front[i]! ** 1.2 +
      0.04 * Math.max(0, w.windN[i]! - w.front[i]!);
    const wash = 0.1 * w.rain[i]! ** 0.7;
    b += prod + imp + secondary - vent * (b - CLEAN_AIR) - wash * b;
    b *= Math.exp(0.05 * normal(prng));
    if (b < 2) b = 2;
    pm[i] = b;
  }
  return { pm };
}

/** AR(1) step helper. */
function ar(x: number, phi: number, sd: number, prng: Prng): number {
  return phi * x + sd * Math.sqrt(1 - phi * phi) * normal(prng);
}

function sector(e: number, nn: number): number {
  const deg = (Math.atan2(e, nn) * 180) / Math.PI;
  return ((Math.round(deg / 22.5) % 16) + 16) % 16;
}

/**
 * One station's series: weather from the regional state (type and terrain offsets, local
 * noise, a lag for fronts reaching southern stations later), then pollutants.
 */
export function stationSeries(
  meta: StationMeta,
  tl: Timeline,
  w: RegionalWeather,
  reg: RegionalPollution,
  prng: Prng,
): StationSeries {
  const n = tl.n;
  const v = NUMERIC_COLUMNS.map(() => new Float64Array(n));
  const wd = new Int8Array(n);
  const decimals = [0, 1, 2, 3, 4, 5].map(() => new Uint8Array(n));
  const level = typeLevel(meta.type);
  const urban = meta.type === "urban" ? 1 : 0;
  // Fronts come from the north-west: stations farther south-east see them later.
  const lag = Math.max(0, Math.min(8, Math.round((40.35 - meta.lat) * 3 + (meta.lon - 116.2) * 2)));
  const pmScale = (meta.type === "urban" ? 1.0 : meta.type === "suburban" ? 0.93 : 0.8) *
    Math.exp(0.05 * normal(prng));
  const presOffset = -1.5 * (meta.lat - 39.93) - (meta.type === "rural" ? 3 : 0) +
    0.6 * normal(prng);
  const tempOffset = -0.4 * (meta.lat - 39.93) - (meta.type === "rural" ? 0.6 : 0);
  const windScale = (meta.type === "urban" ? 0.85 : meta.type === "suburban" ? 1.05 : 1.15) *
    Math.exp(0.1 * normal(prng));
  const turn = (normal(prng) * 15 * Math.PI) / 180;
  const cosT = Math.cos(turn);
  const sinT = Math.sin(turn);
  let eta = 0;
  let local = 0;
  let etaCoarse = 0;
  let etaGas = 0;
  let etaO3 = 0;
  let tNoise = 0;
  let dNoise = 0;
  let wE = 0;
  let wN = 0;
  let wS = 0;
  let raining = false;
  for (let i = 0; i < n; i++) {
    const j = Math.max(0, i - lag);
    const h = tl.hour[i]!;
    const s = tl.season[i]!;
    const win = winterness(s);
    const sun = sunShape(h, s);
    const weekend = tl.dow[i]! >= 5;
    tNoise = ar(tNoise, 0.9, 0.5, prng);
    dNoise = ar(dNoise, 0.85, 0.8, prng);
    const temp = w.temp[j]! + tempOffset + urban * 0.9 * (1 - sun) + tNoise;
    let dewp = w.dewp[j]! - urban * 0.4 + dNoise;
    if (dewp > temp - 0.2) dewp = temp - 0.2;
    const pres = w.pres[j]! + presOffset + 0.15 * normal(prng);
    // Showers are patchy: a station misses some hours of a regional rain event.
    if (w.rain[j]! > 0) {
      if (!raining) raining = prng.next() < 0.8;
    } else raining = false;
    const rain = raining ? w.rain[j]! * Math.exp(0.5 * normal(prng)) : 0;
    wE = ar(wE, 0.7, 0.45, prng);
    wN = ar(wN, 0.7, 0.45, prng);
    wS = ar(wS, 0.8, 0.2, prng);
    const e0 = w.windE[j]! + wE;
    const n0 = w.windN[j]! + wN;
    const e = e0 * cosT + n0 * sinT;
    const nn = n0 * cosT - e0 * sinT;
    const speed = Math.hypot(e, nn) * windScale * Math.exp(wS) * 0.85;
    v[Col.TEMP]![i] = temp;
    v[Col.DEWP]![i] = dewp;
    v[Col.PRES]![i] = pres;
    v[Col.RAIN]![i] = rain;
    v[Col.WSPM]![i] = speed;
    wd[i] = sector(e, nn);

    // PM2.5: regional reservoir brought to the surface by the mixed layer, plus local
    // emissions diluted by wind and mixing, times a slowly varying local factor.
    const mixing = w.mixing[j]!;
    const surface = (700 / mixing) ** 0.07;
    const heat = heating(tl.month[i]!, tl.day[i]!, h);
    const localEm = level * (0.3 * traffic(h, weekend) + 1.2 * heat + 0.5 * evening(h) + 0.3);
    const dil = (300 / mixing) ** 0.5 / (0.5 + speed);
    // Local emissions accumulate in the street-level box and leak out over a few hours.
    local = local * Math.exp(-(0.25 + 0.08 * speed + mixing / 4000)) + localEm * dil;
    eta = ar(eta, 0.93, 0.18, prng);
    const pm25 = (reg.pm[j]! * pmScale * surface + 3.5 * local) *
        Math.exp(eta + 0.09 * normal(prng)) +
      // Instrument noise (beta-attenuation monitors scatter by a few µg/m³ hour to hour).
      4 * normal(prng);
    v[Col.PM25]![i] = pm25;

    // PM10: the fine fraction plus coarse dust, more in dry windy spring and near roads.
    etaCoarse = ar(etaCoarse, 0.9, 0.45, prng);
    const spring = Math.max(0, Math.cos(2 * Math.PI * (s - 0.28))) ** 2;
    const dry = relativeHumidity(temp, dewp) < 0.4 ? 1.4 : 1;
    const coarse = (9 + 10 * level * traffic(h, weekend)) * (1 + 1.3 * spring) * dry *
      (0.6 + 0.25 * speed + 0.02 * speed ** 3) * Math.exp(etaCoarse) * (rain > 0 ? 0.4 : 1);
    v[Col.PM10]![i] = pm25 * (1.05 + 0.06 * normal(prng)) + coarse;

    // Gases share a local instrument-and-source noise.
    etaGas = ar(etaGas, 0.9, 0.3, prng);
    const stag = (reg.pm[j]! / 80) ** 0.6;
    v[Col.SO2]![i] = (6 + 24 * heat * (0.7 + 0.3 * level) + 3 * Math.max(0, win)) * stag *
      (0.8 + 0.6 * sun) * Math.exp(etaGas + 0.15 * normal(prng));
    const no2 = (18 * stag +
      45 * level * (300 / mixing) ** 0.4 * (0.4 + 0.6 * traffic(h, weekend)) /
        (0.7 + 0.4 * speed) +
      8) *
      (1 + 0.2 * Math.max(0, win)) * Math.exp(0.7 * etaGas + 0.12 * normal(prng));
    v[Col.NO2]![i] = no2;
    v[Col.CO]![i] = 100 * Math.round(
      (2 + 0.115 * pm25 * (1 + 0.5 * heat) + 4 * level * traffic(h, weekend) * dil) *
        Math.exp(0.5 * etaGas + 0.15 * normal(prng)),
    );

    // O3: photochemistry on warm sunny afternoons, dimmed by haze, titrated by fresh NO.
    etaO3 = ar(etaO3, 0.95, 0.25, prng);
    const warm = Math.max(0, (temp + 2) / 30);
    const photo = 130 * sun * warm ** 1.5 * Math.exp(-reg.pm[j]! / 300) *
      (rain > 0 ? 0.4 : 1);
    const background = 32 + 12 * (1 - win) / 2 + 6 * speed;
    v[Col.O3]![i] = Math.max(
      1 + Math.abs(normal(prng)),
      (background + photo) * Math.exp(etaO3) - 0.55 * no2 * (1 - 0.6 * sun),
    );
  }
  return { values: v, wd, decimals };
}
