/**
 * Shared regional weather, generated once per dataset; stations derive from it
 * (`stationWeather` in pollution.ts adds their offsets and local noise).
 *
 * The driver is a train of synoptic cycles of a few days, as over the North China Plain:
 * a cold front brings a burst of dry northerly wind, rising pressure and cooling; then the
 * air calms, pressure falls, moisture returns on weak southerly flow, until the next front.
 * Winter fronts are stronger. On top: seasonal and diurnal cycles, a mountain-valley breeze
 * (north-easterly at night, south-westerly by day, as at Beijing's foot of the mountains),
 * slow red noise, and rain events (mostly summer afternoons and around fronts).
 */
import type { Timeline } from "./calendar.ts";
import { exponential, normal, type Prng } from "./prng.ts";

export interface RegionalWeather {
  /** Air temperature, °C. */
  temp: Float64Array;
  /** Surface pressure, hPa. */
  pres: Float64Array;
  /** Dew point, °C (never above temp). */
  dewp: Float64Array;
  /** Rain, mm in the hour (regional intensity; stations vary around it). */
  rain: Float64Array;
  /** Wind as a "from" vector (east and north components of the direction it blows from), m/s. */
  windE: Float64Array;
  windN: Float64Array;
  /** Strength of the northerly frontal flow alone, m/s (the clearing wind). */
  front: Float64Array;
  /** Hours since the last front passed. */
  sinceFront: Float64Array;
  /** Mixing-height proxy, metres: low at night and in winter, high on summer afternoons. */
  mixing: Float64Array;
  /** Relative humidity in [0, 1] from temp and dewp (Magnus formula). */
  rh: Float64Array;
}

/** 1 in mid-January, -1 in mid-July. */
export function winterness(season: number): number {
  return Math.cos(2 * Math.PI * (season - 0.04));
}

/** Daylight shape in [0, 1], peaking mid-afternoon when the boundary layer is deepest. */
export function sunShape(hour: number, season: number): number {
  const w = winterness(season);
  const rise = 6 + 1.2 * w;
  const set = 19.5 - 1.5 * w;
  const x = (hour + 0.5 - rise) / (set - rise + 1.5);
  return x <= 0 || x >= 1 ? 0 : Math.sin(Math.PI * x) ** 1.3;
}

/** Relative humidity from temperature and dew point (Magnus, over water). */
export function relativeHumidity(temp: number, dewp: number): number {
  const g = (t: number) => (17.62 * t) / (243.12 + t);
  return Math.min(1, Math.exp(g(dewp) - g(temp)));
}

/** Red noise: AR(1) with unit-free standard deviation `sd` and e-folding time `tau` hours. */
function redNoise(prng: Prng, n: number, sd: number, tau: number): Float64Array {
  const phi = Math.exp(-1 / tau);
  const k = sd * Math.sqrt(1 - phi * phi);
  const out = new Float64Array(n);
  let x = sd * normal(prng);
  for (let i = 0; i < n; i++) {
    x = phi * x + k * normal(prng);
    out[i] = x;
  }
  return out;
}

export function generateWeather(tl: Timeline, prng: Prng): RegionalWeather {
  const n = tl.n;
  const w: RegionalWeather = {
    temp: new Float64Array(n),
    pres: new Float64Array(n),
    dewp: new Float64Array(n),
    rain: new Float64Array(n),
    windE: new Float64Array(n),
    windN: new Float64Array(n),
    front: new Float64Array(n),
    sinceFront: new Float64Array(n),
    mixing: new Float64Array(n),
    rh: new Float64Array(n),
  };
  const tempNoise = redNoise(prng, n, 2.6, 60);
  const presNoise = redNoise(prng, n, 3.2, 60);
  const dewNoise = redNoise(prng, n, 3.0, 30);
  const windNoiseE = redNoise(prng, n, 0.75, 5);
  const windNoiseN = redNoise(prng, n, 0.75, 5);
  const gust = redNoise(prng, n, 0.3, 3);

  // Front passages: gaps of 2 days plus an exponential tail (mean cycle ~5.5 days).
  let nextFront = Math.floor(exponential(prng, 72));
  let strength = 0.5;
  let since = 48;
  let rainLeft = 0;
  let rainRate = 0;
  for (let i = 0; i < n; i++) {
    const s = tl.season[i]!;
    const h = tl.hour[i]!;
    const win = winterness(s);
    if (i === nextFront) {
      since = 0;
      strength = (0.35 + 0.9 * prng.next()) * (0.75 + 0.35 * win);
      nextFront = i + 30 + Math.floor(exponential(prng, 62 - 15 * win));
    } else {
      since++;
    }
    const sun = sunShape(h, s);
    // Frontal northerly: ramps up over 3 h, decays over about a day.
    const ramp = Math.min(1, (since + 1) / 3);
    const front = strength * 6.5 * ramp * Math.exp(-since / 20) * Math.max(0.2, 1 + gust[i]!);
    // Stagnation between fronts lets moisture and warmth build up.
    const build = 1 - Math.exp(-since / 60);

    const tSeason = 13.2 - 14.6 * win;
    const tDiurnal = (4.3 - 1.2 * Math.max(0, -win)) * (sun * 1.6 - 0.55) +
      1.0 * Math.cos((2 * Math.PI * (h - 15)) / 24);
    const tSynoptic = -strength * 7 * Math.exp(-since / 40) + 1.5 * build;
    const temp = tSeason + tDiurnal + tSynoptic + tempNoise[i]!;

    const pSeason = 1011 + 11.8 * win;
    const pTide = 0.9 * Math.cos((2 * Math.PI * (h - 10)) / 12);
    const pSynoptic = strength * 11 * (1 - Math.exp(-since / 5)) * Math.exp(-since / 48) -
      3 * build;
    const pres = pSeason + pTide + pSynoptic + presNoise[i]! - 0.08 * (temp - tSeason);

    // Rain: convective summer afternoons, and frontal rain in the hours around a passage.
    if (rainLeft > 0) {
      rainLeft--;
    } else {
      const summer = Math.max(0, -win);
      const p = 0.0008 + 0.01 * summer ** 2 * (0.5 + sun) + (since < 4 ? 0.03 * (1 + summer) : 0);
      if (prng.next() < p) {
        rainLeft = 1 + Math.floor(exponential(prng, 3 + 4 * summer));
        rainRate = Math.exp(normal(prng) * 0.9) * (0.4 + 1.8 * summer);
      }
    }
    const rain = rainLeft > 0 ? rainRate * Math.exp(0.6 * normal(prng)) : 0;

    const dSeason = 3 - 17.5 * win - 3 * Math.max(0, win - 0.5);
    const dSynoptic = -strength * 9 * Math.exp(-since / 50) + 3 * build;
    let dewp = dSeason + dSynoptic + dewNoise[i]! - 0.8 * sun + (rain > 0 ? 4 : 0);
    const spread = rain > 0 ? 0.3 + 0.5 * prng.next() : 0.6;
    if (dewp > temp - spread) dewp = temp - spread;

    // Mountain-valley breeze: from the north-east at night, from the south-west by day.
    const valley = 1.1 + 0.5 * Math.max(0, -win);
    const day = sun > 0.15;
    const bE = day ? -0.5 * valley * (0.4 + sun) : 1.05 * valley;
    const bN = day ? -0.8 * valley * (0.4 + sun) : 0.8 * valley;
    // The frontal wind comes from the north, a little west of it.
    const fE = -0.15 * front;
    const fN = 0.95 * front;
    const mix = 1 + 0.5 * sun;
    w.windE[i] = (bE + fE + windNoiseE[i]! * mix) * (1 + 0.15 * Math.max(0, win));
    w.windN[i] = bN + fN + windNoiseN[i]! * mix;
    w.front[i] = front;
    w.sinceFront[i] = since;
    w.temp[i] = temp;
    w.pres[i] = pres;
    w.dewp[i] = dewp;
    w.rain[i] = rain;
    const speed = Math.hypot(w.windE[i]!, w.windN[i]!);
    const mhDay = 900 + 700 * Math.max(0, -win) + 350 * (1 - Math.abs(win));
    w.mixing[i] = (180 + (mhDay - 180) * sun) * (1 + 0.22 * speed) * (rain > 0 ? 0.75 : 1);
    w.rh[i] = relativeHumidity(temp, dewp);
  }
  return w;
}
