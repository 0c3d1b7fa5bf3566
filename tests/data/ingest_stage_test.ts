/**
 * The ingest stage through the runner: two fresh runs in two project folders (so two
 * different staging paths) give byte-identical raw.parquet and ingest report, and the files
 * are named relative to the project.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import { resolveStageParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import type { Stage } from "../../src/pipeline/stage.ts";
import { INGEST_REPORT, RAW } from "../../src/pipeline/catalog.ts";
import synthStage from "../../pipeline/synth.ts";
import ingestStage from "../../pipeline/ingest.ts";

const stages = [synthStage, ingestStage] as unknown as Stage[];

async function freshRun(): Promise<{ root: string; raw: Uint8Array; report: string }> {
  const root = await Deno.makeTempDir({ prefix: "aqlab-test-ingest-stage-" });
  await runPipeline(stages, {
    root,
    params: resolveStageParams(stages, null, ["synth.stations=2", "synth.years=1"]),
    log: () => {},
  });
  return {
    root,
    raw: await Deno.readFile(join(root, RAW)),
    report: await Deno.readTextFile(join(root, INGEST_REPORT)),
  };
}

Deno.test("two fresh default runs give byte-identical raw.parquet and ingest report, with project-relative names", async () => {
  const a = await freshRun();
  const b = await freshRun();
  try {
    assert.ok(a.raw.length > 1000);
    assert.deepEqual(a.raw, b.raw, "raw.parquet is byte-identical");
    assert.equal(a.report, b.report, "reports/data/ingest.json is byte-identical");
    assert.doesNotMatch(a.report, /staging|aqlab-test/, "no staging or temp path in the report");
    const report = JSON.parse(a.report);
    assert.match(report.files[0].file, /^data\/raw\/synth\/PRSA_Data_\w+_20130301-20140228\.csv$/);
    assert.deepEqual(
      report.skipped.map((s: { file: string }) => s.file),
      ["data/raw/synth/stations.csv"],
    );
    const c = await openDuck();
    try {
      const files = await all<{ file: string }>(
        c,
        `SELECT DISTINCT file FROM read_parquet(${lit(join(a.root, RAW))}) ORDER BY file`,
      );
      assert.ok(files.every((f) => f.file.startsWith("data/raw/synth/")), JSON.stringify(files));
    } finally {
      c.closeSync();
    }
  } finally {
    await Deno.remove(a.root, { recursive: true });
    await Deno.remove(b.root, { recursive: true });
  }
});
