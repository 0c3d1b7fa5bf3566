/**
 * Synthetic dataset generation speed and memory: rows/s and peak RSS for 12 and 120
 * stations x 4 years (453 stations, the size of a national network, with `--stations 453`
 * or any list: `deno run -A bench/synth.ts 12,120,453`).
 */
import { generateSynth } from "../src/data/synth/mod.ts";

export interface SynthBenchRow {
  stations: number;
  years: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  bytesWritten: number;
}

async function one(stations: number, years: number): Promise<SynthBenchRow> {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_synth_bench_" });
  let peak = Deno.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, Deno.memoryUsage().rss));
  const timer = setInterval(sample, 50);
  try {
    const t0 = performance.now();
    const r = await generateSynth({ stations, years, outDir: dir, onProgress: sample });
    const seconds = (performance.now() - t0) / 1000;
    let bytesWritten = 0;
    for (const f of r.files) bytesWritten += (await Deno.stat(f)).size;
    return {
      stations,
      years,
      rows: r.rows,
      seconds,
      rowsPerSecond: r.rows / seconds,
      peakRssMiB: peak / 2 ** 20,
      bytesWritten,
    };
  } finally {
    clearInterval(timer);
    await Deno.remove(dir, { recursive: true });
  }
}

export async function run(sizes: number[] = [12, 120]): Promise<Record<string, unknown>> {
  const rows: SynthBenchRow[] = [];
  for (const n of sizes) rows.push(await one(n, 4));
  return {
    generator: "src/data/synth",
    rssBaselineMiB: Deno.memoryUsage().rss / 2 ** 20,
    runs: rows,
  };
}

if (import.meta.main) {
  const arg = Deno.args.find((a) => /^[\d,]+$/.test(a));
  const sizes = arg
    ? arg.split(",").map(Number)
    : Deno.args.includes("--stations")
    ? [12, 120, Number(Deno.args[Deno.args.indexOf("--stations") + 1])]
    : [12, 120];
  const r = await run(sizes);
  const runs = r.runs as SynthBenchRow[];
  console.log("stations  years        rows   seconds     rows/s  peak RSS MiB   MiB written");
  for (const x of runs) {
    console.log(
      `${String(x.stations).padStart(8)}  ${String(x.years).padStart(5)}  ${
        String(x.rows).padStart(10)
      }  ${x.seconds.toFixed(2).padStart(8)}  ${x.rowsPerSecond.toFixed(0).padStart(9)}  ${
        x.peakRssMiB.toFixed(0).padStart(12)
      }  ${(x.bytesWritten / 2 ** 20).toFixed(0).padStart(12)}`,
    );
  }
}
