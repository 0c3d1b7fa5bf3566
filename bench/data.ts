/**
 * Data-stage benchmark: ingest + clean + features on the real PRSA files (goal: under 10 s
 * on 2 cores), on synthetic sets of growing size (rows/s and peak RSS: cost should grow
 * linearly; 453 stations must fit in 8 GB), and a no-op `deno task pipeline` (goal < 3 s).
 * `deno run -A bench/data.ts [--stations 12,120] [--big]` (--big adds 453 stations).
 */
import { openDuck } from "../src/data/duck.ts";
import { ingest, listRawFiles } from "../src/data/ingest/ingest.ts";
import { PRSA } from "../src/data/ingest/adapters.ts";
import { clean } from "../src/data/clean.ts";
import { buildFeatures } from "../src/features/build.ts";
import { generateSynth } from "../src/data/synth/mod.ts";

async function dataStages(
  dir: string,
  work: string,
): Promise<{ rows: number; seconds: Record<string, number> }> {
  const c = await openDuck();
  const s: Record<string, number> = {};
  try {
    let t = performance.now();
    const r = await ingest(c, {
      files: await listRawFiles(dir),
      adapter: PRSA,
      sourceName: "prsa",
      knownStations: null,
      rawOut: `${work}/raw.parquet`,
      rejectsOut: `${work}/rejects.parquet`,
    });
    s.ingest = (performance.now() - t) / 1000;
    t = performance.now();
    await clean(c, {
      rawPath: `${work}/raw.parquet`,
      out: `${work}/clean.parquet`,
      fill: "carry_forward",
      maxFillHours: 3,
      stuckHours: 24,
    });
    s.clean = (performance.now() - t) / 1000;
    t = performance.now();
    await buildFeatures(c, {
      cleanPath: `${work}/clean.parquet`,
      out: `${work}/features.parquet`,
      horizonHours: 1,
    });
    s.features = (performance.now() - t) / 1000;
    s.total = s.ingest + s.clean + s.features;
    return { rows: r.kept, seconds: s };
  } finally {
    c.closeSync();
  }
}

function peakRss(): { stop(): number } {
  let peak = Deno.memoryUsage().rss;
  const id = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 50);
  return { stop: () => (clearInterval(id), Math.max(peak, Deno.memoryUsage().rss)) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(args: string[] = []): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const work = await Deno.makeTempDir({ prefix: "aqlab-bench-data-" });
  try {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await dataStages("../shared/data/prsa", work));
    const prsa = {
      rows: runs[0]!.rows,
      ingest_s: median(runs.map((r) => r.seconds.ingest!)),
      clean_s: median(runs.map((r) => r.seconds.clean!)),
      features_s: median(runs.map((r) => r.seconds.features!)),
      total_s: median(runs.map((r) => r.seconds.total!)),
    };
    out.prsa = prsa;
    console.log(
      `PRSA 9 stations, ${prsa.rows} rows: ingest ${prsa.ingest_s.toFixed(2)} s + clean ${
        prsa.clean_s.toFixed(2)
      } s + features ${prsa.features_s.toFixed(2)} s = ${
        prsa.total_s.toFixed(2)
      } s (median of 3; goal < 10 s)`,
    );

    const i = args.indexOf("--stations");
    const sizes = (i >= 0 ? args[i + 1]! : "12,120").split(",").map(Number);
    if (args.includes("--big")) sizes.push(453);
    const synth: Record<string, unknown>[] = [];
    for (const n of sizes) {
      const dir = `${work}/synth${n}`;
      const g0 = performance.now();
      await generateSynth({ stations: n, years: 4, outDir: dir });
      const genS = (performance.now() - g0) / 1000;
      const mem = peakRss();
      const r = await dataStages(dir, `${work}/w${n}`);
      const rss = mem.stop();
      const row = {
        stations: n,
        rows: r.rows,
        generate_s: genS,
        stages_s: r.seconds.total!,
        rows_per_s: r.rows / r.seconds.total!,
        peak_rss_mb: rss / 2 ** 20,
      };
      synth.push(row);
      console.log(
        `synthetic ${n} stations, ${r.rows} rows: ingest→features ${row.stages_s.toFixed(2)} s = ${
          Math.round(row.rows_per_s).toLocaleString("en-US")
        } rows/s, peak RSS ${row.peak_rss_mb.toFixed(0)} MB (generation ${genS.toFixed(1)} s)`,
      );
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(`${work}/w${n}`, { recursive: true });
    }
    out.synthetic = synth;

    // A no-op pipeline run in this checkout (after a full run): the cost of deciding to skip.
    const noop: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      const p = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "pipeline/main.ts"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      noop.push((performance.now() - t) / 1000);
      if (!new TextDecoder().decode(p.stdout).includes("0 stage(s) ran")) {
        console.log("note: the no-op timing ran stages (run `deno task pipeline` once first)");
      }
    }
    out.noop_pipeline_s = median(noop);
    console.log(`no-op deno task pipeline: ${median(noop).toFixed(2)} s (median of 3; goal < 3 s)`);
    return out;
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) await run(Deno.args);
