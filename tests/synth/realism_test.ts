/**
 * The synthetic default dataset against the real PRSA files: distribution, persistence,
 * daily and seasonal shape, and missingness must stay within stated tolerances of the real
 * data; the files must be bit-identical for a seed and laid out exactly like PRSA's.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateSynth } from "../../src/data/synth/mod.ts";
import { PRSA_HEADER } from "../../src/data/synth/format.ts";

const REAL_DIR = "../shared/data/prsa";

interface Station {
  pm: Float64Array;
  month: Uint8Array;
  hour: Uint8Array;
}

/** A small PRSA reader: only what these statistics need (PM2.5, month, hour). */
function parsePrsa(text: string): Station {
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

async function readDir(dir: string): Promise<{ stations: Station[]; files: string[] }> {
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

function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb), saa += (a[i]! - ma) ** 2, sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
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

const tmp = await Deno.makeTempDir({ prefix: "aqlab_synth_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

// 4 stations x 4 years (the PRSA span): enough hours for stable quantiles, about a second.
let synthCache: Promise<{ stations: Station[]; files: string[] }> | undefined;
function synth() {
  synthCache ??= generateSynth({ stations: 4, years: 4, seed: 11, outDir: `${tmp}/realism` })
    .then(() => readDir(`${tmp}/realism`));
  return synthCache;
}
let realCache: Promise<{ stations: Station[]; files: string[] }> | undefined;
function real() {
  realCache ??= readDir(REAL_DIR);
  return realCache;
}

Deno.test("synthetic PM2.5 quantiles are within tolerance of the real ones", async () => {
  const s = allPm((await synth()).stations), r = allPm((await real()).stations);
  // Relative tolerances widen toward the ends: p10 sits near the instruments' floor (a few
  // µg/m³, where a few units are a large ratio); p99 rests on a handful of winter episodes
  // per year, so four stations of one weather realisation scatter more there.
  const tol: [number, number][] = [[0.1, 0.6], [0.5, 0.3], [0.9, 0.3], [0.99, 0.35]];
  for (const [q, rel] of tol) {
    const qs = quantile(s, q), qr = quantile(r, q);
    assert.ok(
      Math.abs(qs - qr) <= rel * qr,
      `p${q * 100}: synthetic ${qs} vs real ${qr}, allowed ±${rel * 100}%`,
    );
  }
});

Deno.test("synthetic PM2.5 persistence matches the real lag-1 and lag-24 autocorrelation", async () => {
  const s = (await synth()).stations, r = (await real()).stations;
  // Lag 1 decides how hard next-hour forecasting is: keep it within 0.02 (real ~0.97).
  const s1 = autocorr(s, 1), r1 = autocorr(r, 1);
  assert.ok(
    Math.abs(s1 - r1) <= 0.02,
    `lag-1: synthetic ${s1.toFixed(3)} vs real ${r1.toFixed(3)}`,
  );
  // Lag 24 mixes the daily cycle with multi-day episodes, whose timing is random: ±0.15.
  const s24 = autocorr(s, 24), r24 = autocorr(r, 24);
  assert.ok(
    Math.abs(s24 - r24) <= 0.15,
    `lag-24: synthetic ${s24.toFixed(3)} vs real ${r24.toFixed(3)}`,
  );
});

Deno.test("synthetic PM2.5 has the real diurnal shape and winter/summer contrast", async () => {
  const s = (await synth()).stations, r = (await real()).stations;
  const hs = groupMeans(s, (st, i) => st.hour[i]!, 24),
    hr = groupMeans(r, (st, i) => st.hour[i]!, 24);
  // The shape (night maximum, afternoon minimum) matters, not the level: correlation of the
  // 24 hourly means. 0.8 rules out a flat or a phase-shifted cycle.
  const c = pearson(hs, hr);
  assert.ok(c > 0.8, `diurnal correlation ${c.toFixed(3)}, expected > 0.8`);
  // Winter (DJF) over summer (JJA) mean: real ~1.47. Episodes make a 4-year mean noisy, so
  // ±0.35, which still separates "no heating season" (~1) from "winter only" (>2).
  const ws = winterSummer(s), wr = winterSummer(r);
  assert.ok(
    Math.abs(ws - wr) <= 0.35,
    `winter/summer: synthetic ${ws.toFixed(2)} vs real ${wr.toFixed(2)}`,
  );
});

Deno.test("synthetic PM2.5 missing share is within a factor 2 of the real one", async () => {
  const ms = missingShare((await synth()).stations), mr = missingShare((await real()).stations);
  // Outages are rare, random blocks: a factor of 2 either way (real ~2%).
  assert.ok(
    ms >= mr / 2 && ms <= mr * 2,
    `missing: synthetic ${ms.toFixed(4)} vs real ${mr.toFixed(4)}`,
  );
});

Deno.test("the same seed gives bit-identical files, another seed different ones", async () => {
  const opts = { stations: 2, years: 1, start: "2014-01-01" };
  const a = await generateSynth({ ...opts, seed: 5, outDir: `${tmp}/a` });
  const b = await generateSynth({ ...opts, seed: 5, outDir: `${tmp}/b` });
  const c = await generateSynth({ ...opts, seed: 6, outDir: `${tmp}/c` });
  assert.equal(a.rows, 2 * 365 * 24);
  assert.deepEqual(a.files.map((f) => f.split("/").pop()), b.files.map((f) => f.split("/").pop()));
  for (let i = 0; i < a.files.length; i++) {
    assert.deepEqual(await Deno.readFile(a.files[i]!), await Deno.readFile(b.files[i]!));
  }
  const same = c.files.every((f, i) => f.split("/").pop() === a.files[i]!.split("/").pop());
  if (same) {
    const x = await Deno.readTextFile(a.files[0]!), y = await Deno.readTextFile(c.files[0]!);
    assert.notEqual(x, y);
  }
});

Deno.test({
  name: "synthetic files have the PRSA header, file names, and DuckDB column types",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { files } = await synth();
    const realFiles = (await real()).files;
    // PRSA lines end in CRLF; the synthetic files must too, byte for byte.
    const realHeader = (await Deno.readTextFile(realFiles[0]!)).split("\n")[0]!;
    assert.ok(realHeader.endsWith("\r"));
    assert.equal(PRSA_HEADER + "\r", realHeader);
    for (const f of files) {
      assert.match(f, /\/PRSA_Data_[A-Z][a-z]+_20130301-20170228\.csv$/);
      const text = await Deno.readTextFile(f);
      assert.equal(text.slice(0, text.indexOf("\n")), realHeader);
      const lines = text.split("\n");
      assert.equal(lines.length - 2, 35064);
      assert.ok(lines.slice(0, -1).every((l) => l.endsWith("\r")), `${f}: CRLF line ends`);
      assert.equal(lines.at(-1), "");
    }
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const types = async (f: string) =>
      (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_csv('${f}', nullstr='NA')`))
        .getRowObjects().map((o) => `${o.column_name}:${o.column_type}`);
    const want = await types(realFiles[0]!);
    for (const f of files) assert.deepEqual(await types(f), want, f);
    con.closeSync();
  },
});
