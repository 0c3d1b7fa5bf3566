/**
 * PM2.5 statistics of a folder of PRSA-layout station files, for the realism test of the
 * synthetic data: the same function summarises the synthetic files in the test and the real
 * files in tests/fixtures/prsa_summary.json (tests/fixtures/make_prsa_summary.ts).
 */

export interface Station {
  pm: Float64Array;
  month: Uint8Array;
  hour: Uint8Array;
}

/** What the realism test compares. */
export interface Pm25Summary {
  files: string[];
  rows: number;
  /** p10, p50, p90, p99 of the non-missing values of all stations together. */
  quantiles: Record<"p10" | "p50" | "p90" | "p99", number>;
  /** Lag-1 and lag-24 autocorrelation, averaged over stations. */
  autocorr: { lag1: number; lag24: number };
  /** Mean by hour of day 0..23. */
  hourly_means: number[];
  /** Mean of December-February over mean of June-August. */
  winter_summer: number;
  missing_share: number;
}

/** A small PRSA reader: only what these statistics need (PM2.5, month, hour). */
export function parsePrsa(text: string): Station {
  const lines = text.split("\n").filter((l) => l.length > 0);
  const n = lines.length - 1;
  const st: Station = {
    pm: new Float64Array(n),
    month: new Uint8Array(n),
    hour: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const f = lines[i + 1]!.split(",");
    st.month[i] = Number(f[2]);
    st.hour[i] = Number(f[4]);
    st.pm[i] = f[5] === "NA" ? NaN : Number(f[5]);
  }
  return st;
}

/** The PRSA station files of a folder (sorted paths) and their parsed columns. */
export async function readDir(dir: string): Promise<{ stations: Station[]; files: string[] }> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^PRSA_Data_.*\.csv$/.test(e.name)) files.push(`${dir}/${e.name}`);
  }
  files.sort();
  const stations = await Promise.all(files.map(async (f) => parsePrsa(await Deno.readTextFile(f))));
  return { stations, files };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function allPm(stations: Station[]): number[] {
  return stations.flatMap((s) => Array.from(s.pm).filter((x) => !Number.isNaN(x)));
}

/** Lag-k autocorrelation over pairs where both values exist, averaged over stations. */
function autocorr(stations: Station[], k: number): number {
  let sum = 0;
  for (const { pm } of stations) {
    let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (let i = k; i < pm.length; i++) {
      const x = pm[i - k]!, y = pm[i]!;
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      n++, sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
    }
    sum += (sxy - (sx * sy) / n) / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
  }
  return sum / stations.length;
}

function groupMeans(stations: Station[], key: (s: Station, i: number) => number, size: number) {
  const sum = new Float64Array(size), cnt = new Float64Array(size);
  for (const s of stations) {
    for (let i = 0; i < s.pm.length; i++) {
      if (Number.isNaN(s.pm[i]!)) continue;
      sum[key(s, i)]! += s.pm[i]!;
      cnt[key(s, i)]!++;
    }
  }
  return Array.from(sum, (x, j) => x / cnt[j]!);
}

function winterSummer(stations: Station[]): number {
  const m = groupMeans(stations, (s, i) => s.month[i]!, 13);
  const winter = [12, 1, 2].map((k) => m[k]!), summer = [6, 7, 8].map((k) => m[k]!);
  return winter.reduce((a, b) => a + b) / summer.reduce((a, b) => a + b);
}

function missingShare(stations: Station[]): number {
  let na = 0, n = 0;
  for (const s of stations) for (const x of s.pm) na += Number.isNaN(x) ? 1 : 0, n++;
  return na / n;
}

export function summarize(files: string[], stations: Station[]): Pm25Summary {
  const pm = allPm(stations);
  return {
    files: files.map((f) => f.slice(f.lastIndexOf("/") + 1)),
    rows: stations.reduce((n, s) => n + s.pm.length, 0),
    quantiles: {
      p10: quantile(pm, 0.1),
      p50: quantile(pm, 0.5),
      p90: quantile(pm, 0.9),
      p99: quantile(pm, 0.99),
    },
    autocorr: { lag1: autocorr(stations, 1), lag24: autocorr(stations, 24) },
    hourly_means: groupMeans(stations, (st, i) => st.hour[i]!, 24),
    winter_summer: winterSummer(stations),
    missing_share: missingShare(stations),
  };
}

export function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb), saa += (a[i]! - ma) ** 2, sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
