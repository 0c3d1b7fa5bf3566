import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../pipeline/main.ts";
import { projectPath } from "../../src/pipeline/runner.ts";
import { INGEST_REPORT, RAW, REJECTS } from "../../src/pipeline/catalog.ts";
import { tempDir } from "../_temp.ts";

Deno.test("projectPath() names a staged path by its final place, a project path relatively", () => {
  const root = "/p", staging = "/p/.aqlab/staging/RUN";
  assert.equal(
    projectPath(root, staging, "/p/.aqlab/staging/RUN/synth/data/raw/x.csv"),
    "data/raw/x.csv",
  );
  assert.equal(projectPath(root, staging, "/p/data/raw/x.csv"), "data/raw/x.csv");
  assert.equal(projectPath(root, staging, "data/raw/x.csv"), "data/raw/x.csv");
  assert.equal(projectPath(root, staging, "/elsewhere/x.csv"), "/elsewhere/x.csv");
  assert.equal(projectPath(root, staging, "/p"), ".");
});

Deno.test({
  name:
    "two fresh default runs write byte-identical raw.parquet, rejects and ingest report, with project paths",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const args = [
      "--only",
      "synth",
      "--only",
      "ingest",
      "--set",
      "synth.stations=2",
      "--set",
      "synth.years=1",
    ];
    const roots = [await tempDir("aqlab-repro-"), await tempDir("aqlab-repro-")];
    for (const root of roots) assert.equal(await main(args, root), 0);
    for (const f of [RAW, REJECTS, INGEST_REPORT]) {
      assert.deepEqual(
        await Deno.readFile(join(roots[0]!, f)),
        await Deno.readFile(join(roots[1]!, f)),
        `${f} differs between two identical runs`,
      );
    }
    const report = JSON.parse(await Deno.readTextFile(join(roots[0]!, INGEST_REPORT)));
    assert.ok(report.files.length === 2);
    for (const f of report.files) assert.match(f.file, /^data\/raw\/synth\/PRSA_Data_[\w-]+\.csv$/);
    assert.ok(!JSON.stringify(report).includes(".aqlab"), "no staging path in the report");
  },
});
