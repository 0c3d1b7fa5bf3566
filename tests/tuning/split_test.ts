/** splitByTime: train / test by time, folds inside train, and its checks at start. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck, writeParquet } from "../../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { parseDay, splitByTime } from "../../src/features/split.ts";

async function withFeatures(
  fn: (c: Awaited<ReturnType<typeof openDuck>>, dir: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_split_" });
  const c = await openDuck();
  try {
    const cols = FEATURE_NAMES.map((n) => `h::FLOAT AS "${n}"`).join(", ");
    await writeParquet(
      c,
      `SELECT s AS station, TIMESTAMP '2015-01-01' + to_hours(h) AS time, ${cols},
        CASE WHEN h % 97 = 0 THEN NULL ELSE h END::FLOAT AS ${TARGET}
       FROM (VALUES ('A'), ('B'), ('C')) t(s), range(24 * 120) r(h)`,
      join(dir, "features.parquet"),
    );
    await fn(c, dir);
  } finally {
    c.closeSync();
    await Deno.remove(dir, { recursive: true });
  }
}

const options = (dir: string, over: Record<string, unknown> = {}) => ({
  featuresPath: join(dir, "features.parquet"),
  out: {
    train: join(dir, "train.parquet"),
    valid: join(dir, "valid.parquet"),
    test: join(dir, "test.parquet"),
  },
  testStart: "2015-04-01",
  validMonths: 2,
  folds: 4,
  gapHours: 25,
  holdoutStations: [] as string[],
  ...over,
});

Deno.test("splitByTime: train before the gap, folds inside train, the last block as valid", async () => {
  await withFeatures(async (c, dir) => {
    const r = await splitByTime(c, options(dir, { holdoutStations: ["C"] }));
    const rows = async (f: string, where = "true") =>
      Number(
        (await all<{ n: bigint }>(
          c,
          `SELECT count(*) AS n FROM read_parquet(${lit(join(dir, f))}) WHERE ${where}`,
        ))[0]!.n,
      );
    assert.equal(
      await rows("train.parquet", "time >= TIMESTAMP '2015-04-01' - INTERVAL 25 HOUR"),
      0,
    );
    assert.equal(
      await rows("train.parquet", "station = 'C'"),
      0,
      "a held-out station is never trained on",
    );
    assert.equal(
      await rows("test.parquet", "station = 'C' AND time < TIMESTAMP '2015-04-01'") > 0,
      true,
    );
    assert.equal(r.train.rows, await rows("train.parquet"));
    assert.equal(r.folds.length, 4);
    assert.equal(r.folds[0]!.valid_from, "2015-02-01 00:00");
    const last = r.folds[3]!;
    assert.equal(r.valid.rows, last.validRows);
    assert.equal(await rows("valid.parquet"), last.validRows);
    // valid rows are training rows (the last block), not a period the final model misses.
    assert.equal(await rows("valid.parquet", `time < TIMESTAMP '${last.valid_from}'`), 0);
    for (const f of r.folds) assert.ok(f.fitRows > 0 && f.validRows > 0);
    assert.ok(r.folds.every((f, k) => k === 0 || f.fitRows > r.folds[k - 1]!.fitRows));
  });
});

Deno.test("splitByTime checks dates and station names at start, with the values named", async () => {
  await withFeatures(async (c, dir) => {
    await assert.rejects(
      () => splitByTime(c, options(dir, { holdoutStations: ["Nosuch", "A"] })),
      /split\.holdout_stations names "Nosuch", not a station of the data \(A, B, C\)/,
    );
    await assert.rejects(
      () => splitByTime(c, options(dir, { holdoutStations: ["A", "B", "C"] })),
      /holds out every station of the data/,
    );
    await assert.rejects(
      () => splitByTime(c, options(dir, { testStart: "2016-13-45" })),
      /split\.test_start must be a real date "YYYY-MM-DD": got "2016-13-45"/,
    );
    await assert.rejects(
      () => splitByTime(c, options(dir, { testStart: "2019-01-01" })),
      /split\.test_start "2019-01-01" is outside the data/,
    );
    await assert.rejects(
      () => splitByTime(c, options(dir, { validMonths: 3 })),
      /fold 0 has 0 training and \d+ validation rows/,
    );
  });
  assert.equal(parseDay("2016-02-29", "k"), Date.UTC(2016, 1, 29));
  assert.throws(() => parseDay("2015-02-29", "k"), /k must be a real date/);
});
