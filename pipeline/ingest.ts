import { defineStage } from "../src/pipeline/stage.ts";
import { str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { ingest, listRawFiles } from "../src/data/ingest/ingest.ts";
import { ADAPTERS } from "../src/data/ingest/adapters.ts";
import { readStationsFile } from "../src/data/ingest/stations_file.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { PRSA_STATIONS } from "../src/data/stations.ts";
import { INGEST_REPORT, RAW, rawDataDir, REJECTS } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "ingest",
  description:
    "read the raw CSV files, validate and coerce, keep every rejected line with its reason",
  after: ["synth"],
  params: {
    stations_file: str(
      "",
      "station metadata CSV (station,type,...); default: stations.csv in the data folder",
    ),
  },
  uses: { "pipeline.source": "string", "pipeline.data_dir": "string" },
  inputs: (p) => [rawDataDir(p)],
  outputs: () => [RAW, REJECTS, INGEST_REPORT],
  module: import.meta.url,
  async run(ctx) {
    const dir = ctx.path(rawDataDir(ctx.globals));
    const files = await listRawFiles(dir).catch((e) => {
      throw new Error(
        `Cannot read the raw data folder "${dir}": ${e instanceof Error ? e.message : e}`,
      );
    });
    const stationsPath = ctx.params.stations_file || `${dir}/stations.csv`;
    const meta = await readStationsFile(stationsPath);
    const known = meta
      ? new Set(meta.map((m) => m.station))
      : ctx.globals.source === "prsa"
      ? new Set(PRSA_STATIONS.map((s) => s.station))
      : null;
    ctx.log(
      `${files.length} files in ${ctx.relative(dir)}; stations checked against ${
        meta
          ? ctx.relative(stationsPath)
          : known
          ? "the PRSA station list"
          : "nothing (no stations file)"
      }`,
    );
    const c = await openDuck();
    try {
      const report = await ingest(c, {
        files,
        adapter: ctx.globals.source === "long" ? "long" : ADAPTERS[ctx.globals.source]!,
        sourceName: ctx.globals.source,
        knownStations: known,
        rawOut: ctx.out(RAW),
        rejectsOut: ctx.out(REJECTS),
        name: ctx.relative,
      });
      for (const w of report.warnings.slice(0, 20)) ctx.warn(w);
      if (report.warnings.length > 20) {
        ctx.warn(`... and ${report.warnings.length - 20} more warnings (see ${INGEST_REPORT})`);
      }
      if (report.rejected) {
        ctx.warn(
          `${report.rejected} lines rejected (${
            Object.entries(report.rejectsByRule).map(([k, v]) => `${k}: ${v}`).join(", ")
          }); see ${REJECTS}`,
        );
      }
      await writeJsonAtomic(ctx.out(INGEST_REPORT), { ...report, stations: meta ?? null });
      ctx.rows("lines", report.lines);
      ctx.rows("kept", report.kept);
      ctx.rows("rejected", report.rejected);
      ctx.metric("rejected_share", report.lines ? report.rejected / report.lines : 0);
    } finally {
      c.closeSync();
    }
  },
});
