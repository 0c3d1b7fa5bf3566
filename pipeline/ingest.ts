import { defineStage } from "../src/pipeline/stage.ts";
import { str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { ingest, scanDataDir } from "../src/data/ingest/ingest.ts";
import { ADAPTERS } from "../src/data/ingest/adapters.ts";
import { readStationsFile } from "../src/data/ingest/stations_file.ts";
import { OFF_HOUR_RULES, type OffHourRule } from "../src/data/ingest/times.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { PRSA_STATIONS } from "../src/data/stations.ts";
import { DUPLICATES, INGEST_REPORT, RAW, rawDataDir, REJECTS } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "ingest",
  description:
    "read the raw CSV files, validate and coerce; every line kept, merged as a duplicate, or rejected with its reason",
  after: ["synth"],
  params: {
    stations_file: str(
      "",
      "station metadata CSV (station,type,...); default: stations.csv in the data folder",
    ),
    off_hour: str(
      "reject",
      "times between whole hours (10:30): reject the line, or floor it to its hour",
      OFF_HOUR_RULES,
    ),
  },
  uses: { "pipeline.source": "string", "pipeline.data_dir": "string" },
  inputs: (p) => [rawDataDir(p)],
  outputs: () => [RAW, REJECTS, DUPLICATES, INGEST_REPORT],
  module: import.meta.url,
  async run(ctx) {
    // Read where the runner put the folder (it may be staged); name files as in the project.
    const dir = ctx.path(rawDataDir(ctx.globals));
    const scan = await scanDataDir(dir).catch((e) => {
      throw new Error(
        `Cannot read the raw data folder "${ctx.relative(dir)}": ${
          e instanceof Error ? e.message : e
        }`,
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
      `${scan.files.length} files in ${
        ctx.relative(dir)
      } (${scan.skipped.length} not read); stations checked against ${
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
        files: scan.files,
        skipped: scan.skipped,
        name: ctx.relative,
        adapter: ctx.globals.source === "long" ? "long" : ADAPTERS[ctx.globals.source]!,
        sourceName: ctx.globals.source,
        knownStations: known,
        offHour: ctx.params.off_hour as OffHourRule,
        rawOut: ctx.out(RAW),
        rejectsOut: ctx.out(REJECTS),
        duplicatesOut: ctx.out(DUPLICATES),
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
      if (report.duplicates.groups) {
        ctx.log(
          `${report.duplicates.lines} duplicate lines merged into ${report.duplicates.groups} values; see ${DUPLICATES}`,
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
