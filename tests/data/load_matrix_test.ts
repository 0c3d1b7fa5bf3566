import assert from "node:assert/strict";
import { join } from "node:path";
import { lit, openDuck } from "../../src/data/duck.ts";
import { loadMatrix } from "../../src/data/load_matrix.ts";

/** A table whose rows change between loadMatrix's count and its read (a sequence in the filter). */
async function withTable(
  f: (c: Awaited<ReturnType<typeof openDuck>>, path: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-matrix-" });
  const c = await openDuck();
  try {
    const path = join(dir, "t.parquet");
    await c.run(`COPY (SELECT 'S' AS station, TIMESTAMP '2020-01-01' + INTERVAL (i) HOUR AS time,
      i::FLOAT AS x, (i * 2)::FLOAT AS y FROM range(10) t(i)) TO ${lit(path)} (FORMAT parquet)`);
    await f(c, path);
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadMatrix() loads every row in order", async () => {
  await withTable(async (c, path) => {
    const m = await loadMatrix(c, path, ["x"], "y");
    assert.equal(m.X.nRows, 10);
    assert.deepEqual([...m.X.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...m.y].slice(0, 3), [0, 2, 4]);
  });
});

Deno.test("loadMatrix() fails when fewer rows arrive than were counted (no zero-filled rows)", async () => {
  await withTable(async (c, path) => {
    await c.run(`CREATE OR REPLACE SEQUENCE few START 1`);
    // Counting uses up 1..10 (5 pass); reading sees 11..20 (none pass).
    await assert.rejects(
      loadMatrix(c, path, ["x"], "y", "nextval('few') <= 5"),
      /Cannot load .*t\.parquet: it changed while being read \(5 rows counted, 0 read\)/,
    );
  });
});

Deno.test("loadMatrix() fails when more rows arrive than were counted", async () => {
  await withTable(async (c, path) => {
    await c.run(`CREATE OR REPLACE SEQUENCE many START 1`);
    await assert.rejects(
      loadMatrix(c, path, ["x"], "y", "nextval('many') > 10"),
      /it changed while being read \(0 rows counted, more read\)/,
    );
  });
});

Deno.test("loadMatrix(fileOrder) gives a filtered large file's rows in file order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab-test-matrix-" });
  const c = await openDuck();
  try {
    const path = join(dir, "t.parquet");
    // 400,000 rows of 40 interleaved stations: without the file order, DuckDB's parallel
    // scan returned 12 of them out of order in most runs (checked when this was written).
    await c.run(`COPY (SELECT 'S' || (i % 40) AS station,
      TIMESTAMP '2020-01-01' + INTERVAL (i) HOUR AS time, i::FLOAT AS x,
      (i % 1000)::FLOAT AS z, 0::FLOAT AS y FROM range(400000) t(i))
      TO ${lit(path)} (FORMAT parquet)`);
    const picked = Array.from({ length: 12 }, (_, k) => lit(`S${2 * k + 1}`)).join(", ");
    for (let run = 0; run < 3; run++) {
      const m = await loadMatrix(c, path, ["x", "z"], "y", `station IN (${picked})`, true);
      assert.equal(m.X.nRows, 120_000);
      let ordered = true;
      for (let i = 1; i < m.X.nRows && ordered; i++) {
        ordered = m.X.data[2 * i]! > m.X.data[2 * i - 2]!;
      }
      assert.ok(ordered, `run ${run}: rows out of the file's order`);
    }
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
});
