/**
 * The synthetic default dataset against the real PRSA files: distribution, persistence,
 * daily and seasonal shape, and missingness must stay within stated tolerances of the real
 * data; the files must be bit-identical for a seed and laid out exactly like PRSA's.
 */
import assert from "node:assert/strict";
import { generateSynth } from "../../src/data/synth/mod.ts";
import { PRSA_HEADER } from "../../src/data/synth/format.ts";
import { pearson, type Pm25Summary, readDir, summarize } from "./_pm25_stats.ts";
import { PRSA_SAMPLE, prsaDir, prsaSkip } from "../_prsa.ts";
import { duckdbTypes, prsaSummary } from "../fixtures/make_prsa_summary.ts";

/** The real files' statistics (tests/fixtures/README.md), so this runs on any clone. */
const REAL = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/prsa_summary.json", import.meta.url)),
) as Pm25Summary & { duckdb_types: string[] };

const tmp = await Deno.makeTempDir({ prefix: "aqlab_synth_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

// 4 stations x 4 years (the PRSA span): enough hours for stable quantiles, about a second.
let synthCache: Promise<{ files: string[]; summary: Pm25Summary }> | undefined;
function synth() {
  synthCache ??= generateSynth({ stations: 4, years: 4, seed: 11, outDir: `${tmp}/realism` })
    .then(() => readDir(`${tmp}/realism`))
    .then(({ files, stations }) => ({ files, summary: summarize(files, stations) }));
  return synthCache;
}

Deno.test("synthetic PM2.5 quantiles are within tolerance of the real ones", async () => {
  const s = (await synth()).summary.quantiles, r = REAL.quantiles;
  // Relative tolerances widen toward the ends: p10 sits near the instruments' floor (a few
  // µg/m³, where a few units are a large ratio); p99 rests on a handful of winter episodes
  // per year, so four stations of one weather realisation scatter more there.
  const tol: [number, number][] = [[0.1, 0.6], [0.5, 0.3], [0.9, 0.3], [0.99, 0.35]];
  for (const [q, rel] of tol) {
    const key = `p${q * 100}` as keyof Pm25Summary["quantiles"];
    const qs = s[key], qr = r[key];
    assert.ok(
      Math.abs(qs - qr) <= rel * qr,
      `p${q * 100}: synthetic ${qs} vs real ${qr}, allowed ±${rel * 100}%`,
    );
  }
});

Deno.test("synthetic PM2.5 persistence matches the real lag-1 and lag-24 autocorrelation", async () => {
  const s = (await synth()).summary.autocorr, r = REAL.autocorr;
  // Lag 1 decides how hard next-hour forecasting is: keep it within 0.02 (real ~0.97).
  const s1 = s.lag1, r1 = r.lag1;
  assert.ok(
    Math.abs(s1 - r1) <= 0.02,
    `lag-1: synthetic ${s1.toFixed(3)} vs real ${r1.toFixed(3)}`,
  );
  // Lag 24 mixes the daily cycle with multi-day episodes, whose timing is random: ±0.15.
  const s24 = s.lag24, r24 = r.lag24;
  assert.ok(
    Math.abs(s24 - r24) <= 0.15,
    `lag-24: synthetic ${s24.toFixed(3)} vs real ${r24.toFixed(3)}`,
  );
});

Deno.test("synthetic PM2.5 has the real diurnal shape and winter/summer contrast", async () => {
  const s = (await synth()).summary;
  const hs = s.hourly_means, hr = REAL.hourly_means;
  // The shape (night maximum, afternoon minimum) matters, not the level: correlation of the
  // 24 hourly means. 0.8 rules out a flat or a phase-shifted cycle.
  const c = pearson(hs, hr);
  assert.ok(c > 0.8, `diurnal correlation ${c.toFixed(3)}, expected > 0.8`);
  // Winter (DJF) over summer (JJA) mean: real ~1.47. Episodes make a 4-year mean noisy, so
  // ±0.35, which still separates "no heating season" (~1) from "winter only" (>2).
  const ws = s.winter_summer, wr = REAL.winter_summer;
  assert.ok(
    Math.abs(ws - wr) <= 0.35,
    `winter/summer: synthetic ${ws.toFixed(2)} vs real ${wr.toFixed(2)}`,
  );
});

Deno.test("synthetic PM2.5 missing share is within a factor 2 of the real one", async () => {
  const ms = (await synth()).summary.missing_share, mr = REAL.missing_share;
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
    // Real rows: the committed sample holds lines exactly as in the PRSA files.
    const realFiles = (await readDir(PRSA_SAMPLE)).files;
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
    // Types as DuckDB's sniffer infers them from the full real files (a few weeks of rows
    // can look all-integer where four years are not): recorded in the committed summary.
    for (const f of files) assert.deepEqual(await duckdbTypes(f), REAL.duckdb_types, f);
  },
});

const FULL = prsaDir();
if (!FULL) prsaSkip("checking tests/fixtures/prsa_summary.json against the real files");
Deno.test({
  name: "the committed PRSA statistics are those of the full files",
  ignore: !FULL,
  async fn() {
    assert.deepEqual(
      await prsaSummary(FULL!),
      REAL,
      "regenerate with deno run -A tests/fixtures/make_prsa_summary.ts",
    );
  },
});
