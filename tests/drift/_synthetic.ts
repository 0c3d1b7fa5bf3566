/**
 * Synthetic hourly multi-station data for the verdict's tests: an annual cycle, strongly
 * autocorrelated weather (AR(1), a correlation time of days, shared by every station) and
 * a station offset, so that months differ from one another as real months do.
 */
import { Pcg32 } from "../../src/gbdt/random.ts";
import type { DriftSample } from "../../src/drift/sample.ts";

const HOUR = 3_600_000;

/** Options of {@link hourly}. */
export interface HourlyOptions {
  /** First hour (epoch ms). */
  start: number;
  hours: number;
  stations: number;
  seed: number;
}

/** Hourly rows of `stations` stations: features a, b (AR(1) + cycle), hour, month, station_code. */
export function hourly(o: HourlyOptions): DriftSample {
  const rng = new Pcg32(o.seed, 11);
  const normal = () => {
    const u = Math.max(rng.nextFloat(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  };
  const n = o.hours * o.stations;
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const hour = new Float32Array(n);
  const month = new Float32Array(n);
  const code = new Float32Array(n);
  const times = new Float64Array(n);
  const groups: string[] = new Array(n);
  // Shared weather: AR(1) with phi = 0.99 per hour (correlation time ~4 days).
  const wa = new Float64Array(o.hours);
  const wb = new Float64Array(o.hours);
  let xa = 0;
  let xb = 0;
  for (let h = 0; h < o.hours; h++) {
    xa = 0.99 * xa + Math.sqrt(1 - 0.99 ** 2) * normal();
    xb = 0.99 * xb + Math.sqrt(1 - 0.99 ** 2) * normal();
    wa[h] = xa;
    wb[h] = xb;
  }
  let i = 0;
  for (let s = 0; s < o.stations; s++) {
    for (let h = 0; h < o.hours; h++, i++) {
      const t = o.start + h * HOUR;
      const d = new Date(t);
      const doy = (t - Date.UTC(d.getUTCFullYear(), 0, 1)) / (24 * HOUR);
      const season = Math.cos((2 * Math.PI * doy) / 365);
      a[i] = 10 + 5 * season + 2 * wa[h]! + 0.5 * s + 0.3 * normal();
      b[i] = 50 + 20 * season + 8 * wb[h]! + 2 * s + normal();
      hour[i] = d.getUTCHours();
      month[i] = d.getUTCMonth() + 1;
      code[i] = s;
      times[i] = t;
      groups[i] = `S${s}`;
    }
  }
  return { columns: { a, b, hour, month, station_code: code }, times, groups };
}

/** Rows of a sample where `keep(time)` holds. */
export function rowsWhere(s: DriftSample, keep: (t: number, i: number) => boolean): DriftSample {
  const idx: number[] = [];
  for (let i = 0; i < s.times.length; i++) if (keep(s.times[i]!, i)) idx.push(i);
  const pick = <T extends ArrayLike<unknown>>(c: T) => idx.map((i) => c[i]);
  const columns: Record<string, Float32Array> = {};
  for (const [k, c] of Object.entries(s.columns)) {
    columns[k] = Float32Array.from(pick(c as Float32Array) as number[]);
  }
  return {
    columns,
    times: Float64Array.from(pick(s.times) as number[]),
    groups: s.groups ? (pick(s.groups) as string[]) : null,
  };
}

export const SKIP = { hour: "calendar", month: "calendar", station_code: "identity" } as const;
