/**
 * Calibration of the drift verdict on the real PRSA files (nine Beijing stations, hourly,
 * 2013-03 to 2017-02), beside the textbook preset rules judged on the same batches.
 *
 * The files go through the pipeline's own ingest, clean and feature code in a temp folder.
 * The reference is the model's training period (before 2016-03-01, 36 months). Batches:
 *
 * - no drift, held-out months: each training month, judged against the other 35;
 * - no drift, bootstrap resamples: the held-out month rebuilt from its own 3-day blocks
 *   (all stations together) drawn with replacement, 4 per month (`--resamples`);
 * - injected shifts on each held-out month's real rows, applied to the clean hourly table
 *   before the features are built (so lags follow, as they would after a real fault):
 *   PM2.5 × 1.2 (every station), TEMP + 3 °C (every station), a stuck PM2.5 sensor (one
 *   station, one week frozen at its first value), a 30% missing burst (one sensor type,
 *   every station, a contiguous 30% of the month's hours), one station's NO2 × 1.5;
 * - year over year: each test month (2016-03 to 2017-02) against the training period.
 *
 * Ours: `driftVerdict` with the drift stage's defaults (a batch is "drift" when a feature
 * drifts beyond noise; "detected" = drift with the affected feature named). Textbook: the
 * Evidently preset (KS p < 0.05 up to 1,000 reference rows, normed Wasserstein ≥ 0.1 above,
 * Jensen-Shannon ≥ 0.1 for categories, dataset drift at a 50% share) against the same
 * seasonal reference, on all features as the preset does.
 *
 * Goals (issue 16): false alarms of the dataset verdict ≤ 5% on no-drift batches; each
 * injected shift detected in ≥ 95% of trials with the feature named.
 *
 * Also timed: the drift stage's verdict on the PRSA run (index the training rows, judge the
 * test year), beside the textbook report on the same rows.
 *
 * Ours also with the consistency checks' options of the drift stage (cross-station for the
 * measured quantities, the dew point bound to the temperature); the table says which check
 * raised each alarm or named each shift.
 *
 * Run: deno run -A bench/drift_calibration.ts [--months N | --only 2014-12,...] [--no-years]
 *   [--resamples N] [--timing-only] [--prsa DIR]
 */
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { lit, openDuck, writeParquet } from "../src/data/duck.ts";
import { ingest, listRawFiles } from "../src/data/ingest/ingest.ts";
import { PRSA } from "../src/data/ingest/adapters.ts";
import { CANONICAL_NUMERIC } from "../src/data/ingest/canonical.ts";
import { clean } from "../src/data/clean.ts";
import { featureQuery } from "../src/features/build.ts";
import { FEATURE_NAMES, FEATURES, TARGET } from "../src/features/schema.ts";
import { type LabelledMatrix, loadMatrix } from "../src/data/load_matrix.ts";
import { type DriftVerdict, driftVerdict, type VerdictOptions } from "../src/drift/verdict.ts";
import { indexReference, type ReferenceIndex } from "../src/drift/reference_index.ts";
import { sampleOfMatrix } from "../src/drift/matrix_sample.ts";
import { driftRoles } from "../src/drift/feature_roles.ts";
import type { DriftSample } from "../src/drift/sample.ts";
import { daysInMonth, monthLabel, monthOrdinal } from "../src/drift/sample.ts";
import { driftReport } from "../src/drift/report.ts";
import { seasonalIndices, selectRows } from "../src/drift/seasonal.ts";
import { Pcg32 } from "../src/gbdt/random.ts";

const TEST_START = Date.UTC(2016, 2, 1);
const ROLES = driftRoles(FEATURES);
const OPTIONS: VerdictOptions = {
  features: FEATURE_NAMES,
  kinds: ROLES.kinds,
  skip: ROLES.skip,
  crossStation: ROLES.crossStation,
  bounds: ROLES.bounds,
  season: "month",
};

/** An injected shift: SQL on the month's clean rows (table `w`), and the feature to name. */
interface Injection {
  name: string;
  feature: (trial: number) => string;
  sql: (trial: number, p: Period, stations: string[]) => string;
}

const MISSING_SENSORS = [
  ["PM2.5", "pm25"],
  ["PM10", "pm10"],
  ["NO2", "no2"],
  ["CO", "co"],
  ["TEMP", "temp"],
  ["PRES", "pres"],
] as const;

const INJECTIONS: Injection[] = [
  {
    name: "PM2.5 x1.2, every station",
    feature: () => "PM2.5",
    sql: () => `UPDATE w SET pm25 = pm25 * 1.2 WHERE time >= TIMESTAMP ${"$start"}`,
  },
  {
    name: "TEMP +3 °C, every station",
    feature: () => "TEMP",
    sql: () => `UPDATE w SET temp = temp + 3 WHERE time >= TIMESTAMP ${"$start"}`,
  },
  {
    name: "stuck PM2.5 sensor, one station, one week",
    feature: () => "PM2.5",
    sql: (trial, w, stations) => {
      const station = stations[trial % stations.length]!;
      const day = 1 + (trial * 7) % Math.max(1, Math.floor(w.hours / 24) - 7);
      const from = `TIMESTAMP ${"$start"} + INTERVAL ${day} DAY`;
      const to = `${from} + INTERVAL 7 DAY`;
      return `UPDATE w SET pm25 = (SELECT pm25 FROM w WHERE station = ${
        lit(station)
      } AND time >= ${from} AND pm25 IS NOT NULL ORDER BY time LIMIT 1)
        WHERE station = ${lit(station)} AND time >= ${from} AND time < ${to}`;
    },
  },
  {
    name: "30% missing burst (every sensor, every station)",
    feature: () => "PM2.5",
    sql: (trial, w) => {
      const len = Math.round(0.3 * w.hours);
      const offset = (trial * 97) % Math.max(1, w.hours - len);
      const from = `TIMESTAMP ${"$start"} + INTERVAL ${offset} HOUR`;
      return `UPDATE w SET ${
        CANONICAL_NUMERIC.map((c) => `${c} = NULL`).join(", ")
      } WHERE time >= ${from} AND time < ${from} + INTERVAL ${len} HOUR`;
    },
  },
  {
    name: "NO2 x1.5, one station",
    feature: () => "NO2",
    sql: (trial, _w, stations) =>
      `UPDATE w SET no2 = no2 * 1.5 WHERE station = ${
        lit(stations[trial % stations.length]!)
      } AND time >= TIMESTAMP ${"$start"}`,
  },
];

/** Reported beside the goals, not a goal: a burst of one sensor type only (rotating). */
const ONE_SENSOR_BURST: Injection = {
  name: "30% missing burst, one sensor type (reported)",
  feature: (trial) => MISSING_SENSORS[trial % MISSING_SENSORS.length]![0],
  sql: (trial, w) => {
    const col = MISSING_SENSORS[trial % MISSING_SENSORS.length]![1];
    const len = Math.round(0.3 * w.hours);
    const offset = (trial * 97) % Math.max(1, w.hours - len);
    const from = `TIMESTAMP ${"$start"} + INTERVAL ${offset} HOUR`;
    return `UPDATE w SET ${col} = NULL WHERE time >= ${from} AND time < ${from} + INTERVAL ${len} HOUR`;
  },
};

/** Outcome of one batch under both rules. */
interface Outcome {
  ours: {
    drift: boolean;
    named: boolean;
    drifted: string[];
    state: string;
    /** The affected feature's distribution check: statistic, drift threshold, z. */
    shift: { value: number | null; threshold: number | null; z: number | null } | null;
    /** The checks that made the drifted features drift (each once). */
    checks: string[];
    /** The check that made the affected feature drift, if it did. */
    decidedBy: string | null;
  };
  textbook: { drift: boolean; named: boolean; share: number | null; drifted: string[] };
}

/** Locate the PRSA folder: `--prsa`, AQLAB_PRSA_DIR, or ../shared/data/prsa beside the repo. */
export async function prsaDir(given?: string): Promise<string | null> {
  const candidates = [
    given,
    Deno.env.get("AQLAB_PRSA_DIR"),
    new URL("../../shared/data/prsa", import.meta.url).pathname,
  ].filter((x): x is string => !!x);
  for (const d of candidates) {
    try {
      if ((await listRawFiles(d)).length > 0) return d;
    } catch { /* next */ }
  }
  return null;
}

/** A period of whole months: [start, end) as SQL timestamps. */
interface Period {
  start: string;
  end: string;
  hours: number;
}

class Calibration {
  #c: DuckDBConnection;
  #tmp: string;
  stations: string[] = [];
  all!: LabelledMatrix;

  constructor(c: DuckDBConnection, tmp: string) {
    this.#c = c;
    this.#tmp = tmp;
  }

  /** Ingest, clean and featurize the PRSA files with the pipeline's code. */
  async load(dir: string): Promise<void> {
    const c = this.#c;
    const raw = join(this.#tmp, "raw.parquet");
    await ingest(c, {
      files: await listRawFiles(dir),
      adapter: PRSA,
      sourceName: "prsa",
      knownStations: null,
      rawOut: raw,
      rejectsOut: join(this.#tmp, "rejects.parquet"),
    });
    const cleanPath = join(this.#tmp, "clean.parquet");
    await clean(c, {
      rawPath: raw,
      out: cleanPath,
      fill: "none",
      maxFillHours: 3,
      stuckHours: 24,
    });
    await c.run(`CREATE OR REPLACE TABLE clean AS SELECT * FROM read_parquet(${lit(cleanPath)})`);
    const st = await c.runAndReadAll(`SELECT DISTINCT station FROM clean ORDER BY station`);
    this.stations = st.getRowObjectsJS().map((r) => String(r.station));
    const features = join(this.#tmp, "features.parquet");
    await writeParquet(
      c,
      `${featureQuery("clean", 1, this.stations)} ORDER BY station, time`,
      features,
    );
    this.all = await loadMatrix(c, features, FEATURE_NAMES, TARGET);
  }

  /** A period's feature rows rebuilt from the clean table, after an optional injection. */
  async period(p: Period, inject: string | null): Promise<LabelledMatrix> {
    const c = this.#c;
    const start = `'${p.start}'`;
    await c.run(
      `CREATE OR REPLACE TEMP TABLE w AS SELECT * FROM clean WHERE time >= TIMESTAMP ${start} - INTERVAL 2 DAY AND time < TIMESTAMP '${p.end}'`,
    );
    if (inject) await c.run(inject.replaceAll("$start", start));
    const out = join(this.#tmp, "period.parquet");
    await writeParquet(
      c,
      `SELECT * FROM (${
        featureQuery("w", 1, this.stations)
      }) WHERE time >= TIMESTAMP ${start} ORDER BY station, time`,
      out,
    );
    return await loadMatrix(c, out, FEATURE_NAMES, TARGET);
  }
}

/** Months [first, first + count) as a period. */
function period(first: number, count: number): Period {
  const at = (m: number) => new Date(Date.UTC(Math.floor(m / 12), m % 12, 1));
  const start = at(first);
  const end = at(first + count);
  const sql = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");
  return {
    start: sql(start),
    end: sql(end),
    hours: (end.getTime() - start.getTime()) / 3_600_000,
  };
}

function judge(
  ref: ReferenceIndex,
  refSample: DriftSample,
  cur: DriftSample,
  feature: string | null,
): Outcome {
  const v: DriftVerdict = driftVerdict(ref, cur, OPTIONS);
  const h = v.headline;
  if (Deno.env.get("DEBUG_CAL")) {
    for (const f of v.features) {
      if (f.state === "drift" || f.state === "within_noise" || f.feature === feature) {
        console.log(`  ${feature ?? "-"} ${f.feature} ${f.state}: ${f.reason}`);
      }
    }
  }
  const seasonal = seasonalIndices(refSample.times, cur.times, "month").indices;
  const t = driftReport(selectRows(refSample.columns, seasonal), cur.columns, {
    features: [...FEATURE_NAMES],
    kinds: { station_code: "categorical" },
    supplementary: false,
  });
  const dist = feature
    ? v.features.find((f) => f.feature === feature)?.checks.find((c) => c.check === "distribution")
    : undefined;
  return {
    ours: {
      drift: h.state === "drift",
      named: feature !== null && h.drifted.includes(feature),
      drifted: h.drifted,
      state: h.state,
      shift: dist ? { value: dist.value, threshold: dist.threshold, z: dist.z } : null,
      checks: [
        ...new Set(v.features.filter((f) => f.state === "drift").map((f) => f.decided_by!)),
      ],
      decidedBy: feature
        ? v.features.find((f) => f.feature === feature && f.state === "drift")?.decided_by ??
          null
        : null,
    },
    textbook: {
      drift: t.datasetDrift,
      named: feature !== null && t.features.some((f) => f.feature === feature && f.drifted),
      share: t.driftShare,
      drifted: t.features.filter((f) => f.drifted).map((f) => f.feature),
    },
  };
}

function rowsWhere(m: LabelledMatrix, keep: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < m.X.nRows; i++) if (keep(i)) out.push(i);
  return Int32Array.from(out);
}

/**
 * A block-bootstrap resample of a month: its own 3-day blocks (every station together)
 * drawn with replacement and laid end to end over the month's dates.
 */
export function resampled(m: LabelledMatrix, rng: Pcg32): DriftSample {
  const DAY = 86_400_000;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of m.time) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  const start = t0 - (t0 % DAY);
  const days = Math.round((t1 - start) / DAY + 1 / 24);
  const blocks: number[][] = Array.from({ length: Math.ceil(days / 3) }, () => []);
  m.time.forEach((t, i) => blocks[Math.floor((t - start) / DAY / 3)]!.push(i));
  const rows: number[] = [];
  const times: number[] = [];
  for (let b = 0; b < blocks.length; b++) {
    const from = blocks[rng.nextInt(blocks.length)]!;
    if (!from.length) continue;
    const fromStart = start + Math.floor((m.time[from[0]!]! - start) / DAY / 3) * 3 * DAY;
    for (const i of from) {
      const t = start + b * 3 * DAY + (m.time[i]! - fromStart);
      if (t <= t1) {
        rows.push(i);
        times.push(t);
      }
    }
  }
  return { ...sampleOfMatrix(m, { rows: Int32Array.from(rows) }), times: Float64Array.from(times) };
}

/**
 * Time of what the drift stage does with the verdict on the PRSA run: index the training
 * rows and judge the test year (12 months, 9 stations), with and without the consistency
 * checks (cross-station, bound); beside it, the textbook report on the same rows against the
 * seasonal reference. Median of 3 runs, the three in turn.
 */
function stageTiming(all: LabelledMatrix, train: Int32Array, test: Int32Array) {
  const refSample = sampleOfMatrix(all, { rows: train });
  const cur = sampleOfMatrix(all, { rows: test });
  const runs: { verdict: number; own_checks_only: number; textbook: number }[] = [];
  let months = 0;
  for (let r = 0; r < 3; r++) {
    const tOwn = performance.now();
    driftVerdict(refSample, cur, { ...OPTIONS, crossStation: [], bounds: [] });
    const t0 = performance.now();
    const v = driftVerdict(refSample, cur, OPTIONS);
    const t1 = performance.now();
    const seasonal = seasonalIndices(refSample.times, cur.times, "month").indices;
    driftReport(selectRows(refSample.columns, seasonal), cur.columns, {
      features: [...FEATURE_NAMES],
      kinds: { station_code: "categorical" },
      supplementary: false,
    });
    runs.push({ verdict: t1 - t0, own_checks_only: t0 - tOwn, textbook: performance.now() - t1 });
    months = v.windows.length;
  }
  return {
    reference_rows: train.length,
    current_rows: test.length,
    months,
    runs,
    verdict_ms: median(runs.map((x) => x.verdict))!,
    own_checks_only_ms: median(runs.map((x) => x.own_checks_only))!,
    textbook_ms: median(runs.map((x) => x.textbook))!,
  };
}

type Table = Record<string, Outcome[]>;

const rate = (xs: boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : NaN);
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : null;
};

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function summarize(table: Table, goals: boolean) {
  return Object.entries(table).map(([batch, os]) => {
    const inj = [...INJECTIONS, ONE_SENSOR_BURST].find((x) => x.name === batch);
    const oursDrift = rate(os.map((o) => o.ours.drift));
    const oursNamed = inj ? rate(os.map((o) => o.ours.drift && o.ours.named)) : null;
    const goal = !goals || batch === ONE_SENSOR_BURST.name
      ? "reported"
      : inj
      ? "feature named in >= 95%"
      : "dataset drift in <= 5%";
    return {
      batch,
      kind: inj ? "injected" : "no drift",
      trials: os.length,
      ours_drift: oursDrift,
      ours_named: oursNamed,
      textbook_dataset_drift: rate(os.map((o) => o.textbook.drift)),
      textbook_named: inj ? rate(os.map((o) => o.textbook.named)) : null,
      shift: inj
        ? {
          median_statistic: median(os.map((o) => o.ours.shift?.value ?? NaN)),
          median_threshold: median(os.map((o) => o.ours.shift?.threshold ?? NaN)),
          median_z: median(os.map((o) => o.ours.shift?.z ?? NaN)),
        }
        : null,
      // No drift: which checks raised the alarms; a shift: which check named the feature.
      by: countBy(
        os.flatMap((o) => inj ? (o.ours.decidedBy ? [o.ours.decidedBy] : []) : o.ours.checks),
      ),
      goal,
      met: goal === "reported" ? null : inj ? oursNamed! >= 0.95 : oursDrift <= 0.05,
    };
  });
}

/** Run the calibration; `months` limits the held-out months (evenly spaced) for a quick run. */
export async function run(
  options: {
    months?: number;
    only?: string[];
    years?: boolean;
    /** Only the timing of the stage's verdict (no calibration batches). */
    timingOnly?: boolean;
    /** Block-bootstrap resamples per held-out month (default 4). */
    resamples?: number;
    prsa?: string;
    log?: (s: string) => void;
  } = {},
): Promise<Record<string, unknown>> {
  const log = options.log ?? ((s: string) => console.log(s));
  const dir = await prsaDir(options.prsa);
  if (!dir) {
    const why =
      "PRSA files not found (set AQLAB_PRSA_DIR or place them in ../shared/data/prsa): calibration not run";
    log(why);
    return { skipped: why };
  }
  const t0 = performance.now();
  const tmp = await Deno.makeTempDir({ prefix: "aqlab-drift-calibration-" });
  const c = await openDuck();
  try {
    const cal = new Calibration(c, tmp);
    await cal.load(dir);
    const all = cal.all;
    const monthOf = Int32Array.from(all.time, (t) => monthOrdinal(t));
    const isTrain = (i: number) => all.time[i]! < TEST_START;
    const train = rowsWhere(all, isTrain);
    const timing = stageTiming(all, train, rowsWhere(all, (i) => !isTrain(i)));
    log(
      `the drift stage's verdict on the PRSA run (${timing.reference_rows} reference rows, ${timing.current_rows} test rows, ${timing.months} months), median of ${timing.runs.length}: index + verdict ${
        timing.verdict_ms.toFixed(0)
      } ms (without the cross-station and bound checks ${
        timing.own_checks_only_ms.toFixed(0)
      } ms); textbook report on the same rows ${timing.textbook_ms.toFixed(0)} ms`,
    );
    if (options.timingOnly) return { timing, seconds: (performance.now() - t0) / 1000 };
    const trainMonths = [...new Set(Array.from(train, (i) => monthOf[i]!))].sort((a, b) => a - b);
    const chosen = options.only
      ? trainMonths.filter((m) => options.only!.includes(monthLabel(m)))
      : options.months && options.months < trainMonths.length
      ? Array.from(
        { length: options.months },
        (_, k) => trainMonths[Math.floor((k * trainMonths.length) / options.months!)]!,
      )
      : trainMonths;
    log(
      `${all.X.nRows} feature rows of ${cal.stations.length} stations; reference: ${train.length} rows in ${trainMonths.length} training months; held out: ${chosen.length} months (load ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s)`,
    );

    // Month batches: each training month held out from the reference.
    const months: Table = { "held-out months": [], "bootstrap resamples": [] };
    for (const inj of [...INJECTIONS, ONE_SENSOR_BURST]) months[inj.name] = [];
    const rng = new Pcg32(16, 0xca1);
    const resamples = options.resamples ?? 4;
    // A month's trial number and resamples are those of a full run, whatever `--only` or
    // `--months` leaves out: a quick run on a few months judges the very batches of the
    // full table (the months left out still draw their blocks).
    for (const [k, m] of trainMonths.entries()) {
      if (!chosen.includes(m)) {
        const blocks = Math.ceil(daysInMonth(m) / 3);
        for (let r = 0; r < resamples * blocks; r++) rng.nextInt(blocks);
        continue;
      }
      const p = period(m, 1);
      const refSample = sampleOfMatrix(all, {
        rows: rowsWhere(all, (i) => isTrain(i) && monthOf[i] !== m),
      });
      const ref = indexReference(refSample, OPTIONS);
      const base = await cal.period(p, null);
      const o = judge(ref, refSample, sampleOfMatrix(base), null);
      months["held-out months"]!.push(o);
      const boots = Array.from(
        { length: resamples },
        () => judge(ref, refSample, resampled(base, rng), null),
      );
      months["bootstrap resamples"]!.push(...boots);
      for (const inj of [...INJECTIONS, ONE_SENSOR_BURST]) {
        const batch = await cal.period(p, inj.sql(k, p, cal.stations));
        months[inj.name]!.push(judge(ref, refSample, sampleOfMatrix(batch), inj.feature(k)));
      }
      log(
        `${monthLabel(m)}: ours ${o.ours.state}${
          o.ours.drifted.length
            ? ` (${o.ours.checks.join(", ")}: ${o.ours.drifted.join(", ")})`
            : ""
        }; resamples ${boots.map((b) => b.ours.state === "drift" ? "D" : ".").join("")}${
          boots.some((b) => b.ours.drift)
            ? ` (${[...new Set(boots.flatMap((b) => b.ours.checks))].join(", ")})`
            : ""
        }; textbook share ${o.textbook.share?.toFixed(2)}; injections named: ${
          [...INJECTIONS, ONE_SENSOR_BURST].map((
            inj,
          ) => (months[inj.name]!.at(-1)!.ours.named ? "+" : "-"))
            .join("")
        }`,
      );
    }

    // Year batches: each training year (March to February) held out, shifts lasting all year.
    const years: Table = { "held-out years": [] };
    for (const inj of INJECTIONS) years[inj.name] = [];
    if (options.years !== false) {
      for (let first = trainMonths[0]!; first + 12 <= trainMonths.at(-1)! + 1; first += 12) {
        const p = period(first, 12);
        const inYear = (i: number) => monthOf[i]! >= first && monthOf[i]! < first + 12;
        const refSample = sampleOfMatrix(all, {
          rows: rowsWhere(all, (i) => isTrain(i) && !inYear(i)),
        });
        const ref = indexReference(refSample, OPTIONS);
        const o = judge(ref, refSample, sampleOfMatrix(await cal.period(p, null)), null);
        years["held-out years"]!.push(o);
        for (const [k, inj] of INJECTIONS.entries()) {
          const batch = await cal.period(p, inj.sql(k + first, p, cal.stations));
          years[inj.name]!.push(
            judge(ref, refSample, sampleOfMatrix(batch), inj.feature(k + first)),
          );
        }
        log(
          `${monthLabel(first)} + 12 months: ours ${o.ours.state}${
            o.ours.drifted.length ? ` (${o.ours.drifted.join(", ")})` : ""
          }; injections named: ${
            INJECTIONS.map((inj) => (years[inj.name]!.at(-1)!.ours.named ? "+" : "-")).join("")
          }`,
        );
      }
    }

    // Year over year: each test month against the whole training period.
    const refSample = sampleOfMatrix(all, { rows: train });
    const ref = indexReference(refSample, OPTIONS);
    const testMonths = [...new Set(Array.from(monthOf).filter((_, i) => !isTrain(i)))].sort((
      a,
      b,
    ) => a - b);
    const yoy = testMonths.map((m) => {
      const cur = sampleOfMatrix(all, { rows: rowsWhere(all, (i) => monthOf[i] === m) });
      const o = judge(ref, refSample, cur, null);
      return {
        month: monthLabel(m),
        ours: o.ours.state,
        ours_drifted: o.ours.drifted,
        textbook_dataset_drift: o.textbook.drift,
        textbook_share: o.textbook.share,
      };
    });

    // How often each injected feature is flagged with no injection at all (held-out months).
    const features = [
      ...new Set(
        [...INJECTIONS, ONE_SENSOR_BURST].flatMap((i) => chosen.map((_, k) => i.feature(k))),
      ),
    ];
    const held = months["held-out months"]!;
    const baseline = Object.fromEntries(features.map((f) => [f, {
      ours: rate(held.map((o) => o.ours.drifted.includes(f))),
      textbook: rate(held.map((o) => o.textbook.drifted.includes(f))),
    }]));
    return {
      data: `PRSA, ${cal.stations.length} stations, ${all.X.nRows} feature rows`,
      reference: "training period before 2016-03-01, the held-out month or year removed",
      held_out_months: chosen.map(monthLabel),
      months: summarize(months, true),
      years: options.years === false ? null : summarize(years, false),
      year_over_year: yoy,
      flagged_without_injection: baseline,
      timing,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    c.closeSync();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

function pct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "-" : `${(100 * x).toFixed(0)}%`;
}

function printTable(title: string, rows: ReturnType<typeof summarize>) {
  console.log(`\n${title}`);
  console.log(
    "| batch | trials | ours: drift | ours: feature named | ours: by check | textbook: dataset drift | textbook: feature flagged | affected feature's distribution: statistic / drift threshold (median) | goal |",
  );
  console.log("| --- | ---: | ---: | ---: | --- | ---: | ---: | --- | --- |");
  for (const r of rows) {
    const shift = r.shift
      ? `${fmt(r.shift.median_statistic)} / ${fmt(r.shift.median_threshold)}`
      : "";
    console.log(
      `| ${r.batch} | ${r.trials} | ${pct(r.ours_drift)} | ${pct(r.ours_named)} | ${
        Object.entries(r.by).map(([k, n]) => `${k} ${n}`).join(", ")
      } | ${pct(r.textbook_dataset_drift)} | ${pct(r.textbook_named)} | ${shift} | ${r.goal}${
        r.met === null ? "" : r.met ? ": met" : ": NOT met"
      } |`,
    );
  }
}

function fmt(x: number | null): string {
  return x === null ? "-" : x.toFixed(2);
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const months = arg("--months");
  const figures = await run({
    ...(months ? { months: Number(months) } : {}),
    ...(arg("--prsa") ? { prsa: arg("--prsa")! } : {}),
    ...(arg("--only") ? { only: arg("--only")!.split(",") } : {}),
    ...(arg("--resamples") ? { resamples: Number(arg("--resamples")) } : {}),
    years: !Deno.args.includes("--no-years"),
    timingOnly: Deno.args.includes("--timing-only"),
  });
  const load = new TextDecoder().decode((await new Deno.Command("uptime").output()).stdout)
    .trim();
  if ("timing" in figures && !("months" in figures)) console.log(load);
  if ("months" in figures) {
    console.log(`\n${figures.data}; ${(figures.seconds as number).toFixed(0)} s; ${load}`);
    printTable("month batches (goals of issue 16)", figures.months as ReturnType<typeof summarize>);
    if (figures.years) {
      printTable(
        "year batches: the shift lasts all year (reported)",
        figures.years as ReturnType<typeof summarize>,
      );
    }
    console.log(
      "\nflagged with no injection (held-out months):",
      JSON.stringify(figures.flagged_without_injection),
    );
    console.log("\nyear over year (reported, not asserted):");
    for (const y of figures.year_over_year as Record<string, unknown>[]) {
      console.log(
        `${y.month}: ours ${y.ours} ${(y.ours_drifted as string[]).join(", ")}; textbook share ${
          (y.textbook_share as number)?.toFixed(2)
        } ${y.textbook_dataset_drift ? "DRIFT" : ""}`,
      );
    }
  }
}
