/**
 * Data-stage benchmark: our ingest -> clean -> features (the library calls the stages make,
 * one DuckDB connection per stage, default parameters) beside the bare engine doing the same
 * reading, lags, rolling mean and target in one DuckDB query (read_csv -> window functions
 * -> Parquet), on the same files, in the same run. Synthetic sets of growing size (rows/s
 * should stay flat: linear cost) and the real PRSA files when present. Each measurement runs
 * in its own process (peak RSS = its VmHWM), in this benchmark's own temporary folder: it
 * never reads or writes the working copy's data/, models/ or reports/.
 *
 *   deno run -A bench/data.ts [--stations 12,120] [--repeat 3] [--no-prsa]
 *   deno run -A bench/data.ts --stations 453 --repeat 1     # 15.9M rows
 */
import process from "node:process";
import { join } from "node:path";
import { openDuck } from "../src/data/duck.ts";
import { ingest, scanDataDir } from "../src/data/ingest/ingest.ts";
import { ADAPTERS } from "../src/data/ingest/adapters.ts";
import { clean } from "../src/data/clean.ts";
import { buildFeatures } from "../src/features/build.ts";
import { generateSynth } from "../src/data/synth/mod.ts";
import { LAGS, ROLL_HOURS } from "../src/features/schema.ts";
import cleanStage from "../pipeline/clean.ts";
import featuresStage from "../pipeline/features.ts";

interface Measure {
  rows: number;
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  stages?: Record<string, number>;
}

/** Our three stages on the files of `dir`, as the pipeline runs them (defaults). */
async function ours(dir: string, work: string): Promise<Omit<Measure, "peak_rss_mb">> {
  const stages: Record<string, number> = {};
  const t0 = performance.now(), c0 = process.cpuUsage();
  let t = t0;
  const lap = (name: string) => {
    const now = performance.now();
    stages[name] = (now - t) / 1000;
    t = now;
  };
  const stage = async <T>(f: (c: Awaited<ReturnType<typeof openDuck>>) => Promise<T>) => {
    const c = await openDuck();
    try {
      return await f(c);
    } finally {
      c.closeSync();
    }
  };
  const scan = await scanDataDir(dir);
  const report = await stage((c) =>
    ingest(c, {
      files: scan.files,
      skipped: scan.skipped,
      adapter: ADAPTERS.prsa!,
      sourceName: "prsa",
      knownStations: null,
      rawOut: join(work, "raw.parquet"),
      rejectsOut: join(work, "rejects.parquet"),
      duplicatesOut: join(work, "duplicates.parquet"),
    })
  );
  lap("ingest");
  const cp = cleanStage.params;
  await stage((c) =>
    clean(c, {
      rawPath: join(work, "raw.parquet"),
      out: join(work, "clean.parquet"),
      fill: cp.fill_inputs.default as "none",
      maxFillHours: cp.max_fill_hours.default,
      stuckHours: cp.stuck_hours.default,
    })
  );
  lap("clean");
  await stage((c) =>
    buildFeatures(c, {
      cleanPath: join(work, "clean.parquet"),
      out: join(work, "features.parquet"),
      horizonHours: featuresStage.params.horizon_hours.default,
    })
  );
  lap("features");
  const cu = process.cpuUsage(c0);
  return {
    rows: report.kept,
    wall_s: (performance.now() - t0) / 1000,
    cpu_s: (cu.user + cu.system) / 1e6,
    stages,
  };
}

/** The bare engine: the same files, lags, rolling mean and target in one query. */
async function bare(dir: string, work: string): Promise<Omit<Measure, "peak_rss_mb">> {
  const t0 = performance.now(), c0 = process.cpuUsage();
  const c = await openDuck();
  try {
    const w = "OVER (PARTITION BY station ORDER BY time)";
    const r = await c.runAndReadAll(
      `COPY (SELECT station, time, "PM2.5", PM10, SO2, NO2, CO, O3, TEMP,
        PRES, DEWP, RAIN, wd, WSPM, ${
        LAGS.map((k) => `lag("PM2.5", ${k}) ${w} AS lag${k}`).join(", ")
      },
        avg("PM2.5") OVER (PARTITION BY station ORDER BY time ROWS BETWEEN ${
        ROLL_HOURS - 1
      } PRECEDING AND CURRENT ROW) AS roll,
        lead("PM2.5", 1) ${w} AS target
      FROM (SELECT *, make_timestamp(year, month, day, hour, 0, 0) AS time
            FROM read_csv(${
        JSON.stringify(join(dir, "*.csv")).replaceAll('"', "'")
      }, nullstr = 'NA')))
      TO '${join(work, "bare.parquet")}' (FORMAT parquet)`,
    );
    const rows = Number(r.getRowObjectsJS()[0]?.Count ?? 0);
    const cu = process.cpuUsage(c0);
    return { rows, wall_s: (performance.now() - t0) / 1000, cpu_s: (cu.user + cu.system) / 1e6 };
  } finally {
    c.closeSync();
  }
}

/** The real PRSA files: AQLAB_PRSA_DIR, else ../shared/data/prsa beside the project; or null. */
async function prsaDir(): Promise<string | null> {
  const dir = Deno.env.get("AQLAB_PRSA_DIR") ??
    new URL("../../shared/data/prsa", import.meta.url).pathname;
  try {
    return (await Deno.stat(dir)).isDirectory ? dir : null;
  } catch {
    return null;
  }
}

/** Peak resident memory of this process (Linux VmHWM), else the current RSS. */
function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** Runs one measurement in a child process (its own memory peak, its own DuckDB). */
async function child(kind: "ours" | "bare", dir: string, work: string): Promise<Measure> {
  await Deno.mkdir(work, { recursive: true });
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", kind, dir, work],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  await Deno.remove(work, { recursive: true }).catch(() => {});
  if (!p.success) throw new Error(`The ${kind} measurement on "${dir}" failed`);
  const lines = new TextDecoder().decode(p.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!);
}

const loadavg = () => {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

/** Ours and bare alternately `repeat` times on `dir`; medians and the ratio. */
async function compare(label: string, dir: string, work: string, repeat: number) {
  const a: Measure[] = [], b: Measure[] = [];
  const loads: string[] = [];
  for (let i = 0; i < repeat; i++) {
    loads.push(loadavg());
    a.push(await child("ours", dir, join(work, `ours${i}`)));
    b.push(await child("bare", dir, join(work, `bare${i}`)));
  }
  loads.push(loadavg());
  const m = (xs: Measure[], k: "wall_s" | "cpu_s" | "peak_rss_mb") => median(xs.map((x) => x[k]));
  const stages = Object.fromEntries(
    Object.keys(a[0]!.stages!).map((s) => [s, median(a.map((x) => x.stages![s]!))]),
  );
  const row = {
    label,
    rows: a[0]!.rows,
    ours_s: m(a, "wall_s"),
    ours_cpu_s: m(a, "cpu_s"),
    ours_rows_per_s: a[0]!.rows / m(a, "wall_s"),
    ours_peak_rss_mb: Math.max(...a.map((x) => x.peak_rss_mb)),
    stages_s: stages,
    bare_s: m(b, "wall_s"),
    bare_cpu_s: m(b, "cpu_s"),
    bare_peak_rss_mb: Math.max(...b.map((x) => x.peak_rss_mb)),
    ratio: m(a, "wall_s") / m(b, "wall_s"),
    cpu_ratio: m(a, "cpu_s") / m(b, "cpu_s"),
    repeat,
    load: loads,
  };
  console.log(
    `${label}, ${fmt(row.rows)} rows: ours ${row.ours_s.toFixed(2)} s (ingest ${
      stages.ingest!.toFixed(2)
    } + clean ${stages.clean!.toFixed(2)} + features ${stages.features!.toFixed(2)}) = ${
      fmt(row.ours_rows_per_s)
    } rows/s, peak RSS ${fmt(row.ours_peak_rss_mb)} MB | bare DuckDB ${
      row.bare_s.toFixed(2)
    } s, peak RSS ${fmt(row.bare_peak_rss_mb)} MB | ratio ${row.ratio.toFixed(2)}x wall, ${
      row.cpu_ratio.toFixed(2)
    }x CPU (median of ${repeat}; load ${loads.join(" -> ")})`,
  );
  return row;
}

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : fallback;
  };
  const sizes = arg("--stations", "12,120").split(",").map(Number);
  const repeat = Number(arg("--repeat", "3"));
  const work = await Deno.makeTempDir({ prefix: "aqlab-bench-data-" });
  const out: Record<string, unknown> = { cores: navigator.hardwareConcurrency };
  try {
    if (!args.includes("--no-prsa")) {
      const real = await prsaDir();
      if (real) out.prsa = await compare("PRSA 9 stations", real, join(work, "prsa"), repeat);
      else console.log("PRSA files not found (AQLAB_PRSA_DIR or ../shared/data/prsa): skipped");
    }
    const synth: Record<string, unknown>[] = [];
    for (const n of sizes) {
      const dir = join(work, `synth${n}`);
      await generateSynth({ stations: n, years: 4, outDir: dir });
      synth.push(
        await compare(`synthetic ${n} stations`, dir, join(work, `w${n}`), n > 200 ? 1 : repeat),
      );
      await Deno.remove(dir, { recursive: true });
    }
    out.synthetic = synth;
    if (synth.length > 1) {
      const rate = (r: Record<string, unknown>) => r.ours_rows_per_s as number;
      const first = synth[0]!, last = synth[synth.length - 1]!;
      out.scaling = rate(first) / rate(last);
      console.log(
        `scaling: rows/s at ${fmt(first.rows as number)} rows / rows/s at ${
          fmt(last.rows as number)
        } rows = ${(out.scaling as number).toFixed(2)} (1.00 = linear)`,
      );
    }
    return out;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--child");
  if (i >= 0) {
    const [kind, dir, work] = Deno.args.slice(i + 1) as ["ours" | "bare", string, string];
    const r = kind === "ours" ? await ours(dir, work) : await bare(dir, work);
    console.log(JSON.stringify({ ...r, peak_rss_mb: peakRssMb() }));
  } else await run(Deno.args);
}
