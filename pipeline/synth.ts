import { defineStage } from "../src/pipeline/stage.ts";
import { date, int } from "../src/pipeline/params.ts";
import { generateSynth } from "../src/data/synth/mod.ts";
import { SYNTH_DIR } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "synth",
  description: "generate the synthetic multi-station dataset (PRSA layout)",
  after: [],
  params: {
    stations: int(12, "number of synthetic stations", { min: 1, max: 2000 }),
    years: int(4, "years of hourly data", { min: 1, max: 20 }),
    start: date("2013-03-01", "first day, YYYY-MM-DD"),
  },
  uses: { "pipeline.seed": "number" },
  inputs: () => [],
  outputs: () => [SYNTH_DIR],
  module: import.meta.url,
  enabled: (g) => g.source === "synth",
  async run(ctx) {
    const dir = ctx.out(SYNTH_DIR);
    const bar = ctx.progress("stations", ctx.params.stations);
    const r = await generateSynth({
      stations: ctx.params.stations,
      years: ctx.params.years,
      start: ctx.params.start,
      seed: ctx.globals.seed,
      outDir: dir,
      stationsFile: `${dir}/stations.csv`,
      onProgress: () => bar.tick(),
    });
    bar.done();
    ctx.rows("rows", r.rows);
    ctx.log(`wrote ${r.files.length} station files`);
  },
});
