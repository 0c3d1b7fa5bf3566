import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../pipeline/main.ts";
import { projectPath } from "../../src/pipeline/runner.ts";
import { CLEAN, FEATURES_PATH, INGEST_REPORT, RAW, REJECTS } from "../../src/pipeline/catalog.ts";
import { tempDir } from "../_temp.ts";

/** Byte equality with a short message (deepEqual's diff of two large arrays runs out of memory). */
async function assertSameBytes(p: string, q: string, between: string): Promise<void> {
  const [a, b] = [await Deno.readFile(p), await Deno.readFile(q)];
  assert.ok(a.length > 0, `${p} is empty`);
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  assert.ok(
    a.length === b.length && at === a.length,
    `${
      p.split("/").slice(-2).join("/")
    } differs between ${between} (${a.length} and ${b.length} bytes, first difference at byte ${at})`,
  );
}

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
      await assertSameBytes(join(roots[0]!, f), join(roots[1]!, f), "two identical runs");
    }
    const report = JSON.parse(await Deno.readTextFile(join(roots[0]!, INGEST_REPORT)));
    assert.ok(report.files.length === 2);
    for (const f of report.files) assert.match(f.file, /^data\/raw\/synth\/PRSA_Data_[\w-]+\.csv$/);
    assert.ok(!JSON.stringify(report).includes(".aqlab"), "no staging path in the report");
  },
});

Deno.test({
  name:
    "the data stages write the same bytes with 1 and 8 DuckDB threads (a 1-core machine and a big one)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // 4 stations x 4 years: 140,160 rows, more than one Parquet row group (122,880 rows).
    const args = ["synth", "ingest", "clean", "features"].flatMap((s) => ["--only", s]).concat(
      ["--set", "synth.stations=4", "--set", "synth.years=4"],
    );
    const before = Deno.env.get("AQLAB_DUCKDB_THREADS");
    const roots: string[] = [];
    try {
      for (const threads of ["1", "8"]) {
        Deno.env.set("AQLAB_DUCKDB_THREADS", threads);
        const root = await tempDir("aqlab-threads-");
        assert.equal(await main(args, root), 0);
        roots.push(root);
      }
    } finally {
      if (before === undefined) Deno.env.delete("AQLAB_DUCKDB_THREADS");
      else Deno.env.set("AQLAB_DUCKDB_THREADS", before);
    }
    for (const f of [RAW, REJECTS, CLEAN, FEATURES_PATH]) {
      await assertSameBytes(join(roots[0]!, f), join(roots[1]!, f), "1 and 8 DuckDB threads");
    }
  },
});
